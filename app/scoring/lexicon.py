"""Hand-written word lists: crisis and reputation terms, and stopwords for language detection.

The lexicon is written for this product (Indonesian government PR monitoring); it is not a
translated general-purpose polarity lexicon. It only adds features: the trained model decides
how much each group weighs. A copy is stored in the artefact so scoring uses the exact lists the
model was trained with. Entries are comma-separated; multi-word entries match as token bigrams.
"""

from __future__ import annotations


def _entries(block: str) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for item in block.replace("\n", ",").split(","):
        if item.strip():
            seen.setdefault(" ".join(item.split()), None)
    return tuple(seen)


CRISIS_TERMS: tuple[str, ...] = _entries(
    # corruption and law enforcement
    """korupsi, koruptor, suap, disuap, menyuap, gratifikasi, pungli, pungutan liar, ott,
    operasi tangkap, tersangka, terdakwa, terpidana, ditahan, ditangkap, penangkapan, dibui,
    divonis, vonis, dipenjara, penjara, penyelewengan, penggelapan, pencucian uang, mark up,
    mangkrak, kpk, kejagung, dakwaan, didakwa, diperiksa, penyidikan, digeledah,
    penggeledahan, buron, dpo, kriminalisasi, pelanggaran, melanggar, penipuan, tipu, menipu,
    kecurangan, curang, manipulasi, skandal, kasus, sidang etik, pemecatan, dipecat, mundur,
    """
    # disasters and accidents
    """banjir, longsor, tanah longsor, gempa, tsunami, kebakaran, terbakar, karhutla, kabut asap,
    asap, erupsi, kekeringan, bencana, korban, tewas, meninggal, luka, luka-luka, kecelakaan,
    tabrakan, ambruk, roboh, jebol, tenggelam, evakuasi, mengungsi, pengungsi, wabah,
    keracunan, darurat,
    """
    # unrest and conflict
    """demo, demonstrasi, unjuk rasa, ricuh, kericuhan, bentrok, bentrokan, rusuh, kerusuhan,
    anarkis, mogok, protes, memprotes, menolak, penolakan, tolak, kecam, mengecam, kecaman,
    kritik, dikritik, mengkritik, desak, mendesak, tuntut, menuntut, gugat, digugat, gugatan,
    somasi, polemik, kontroversi, kisruh, konflik, sengketa, teror, teroris, ancam, ancaman,
    mengancam, intimidasi, kekerasan, penganiayaan, pembunuhan, dibunuh, perkosaan, pelecehan,
    """
    # misinformation and reputation
    """hoaks, hoax, fitnah, disinformasi, provokasi, ujaran kebencian, blunder, dikeluhkan,
    keluhan, mengeluh, kecewa, mengecewakan, gagal, kegagalan, lalai, kelalaian, buruk,
    memburuk, parah, rusak, kerusakan, macet,
    """
    # economy and markets
    """anjlok, ambles, merosot, jeblok, terjun, melemah, pelemahan, rugi, merugi, kerugian,
    defisit, resesi, krisis, inflasi, phk, pailit, bangkrut, gagal bayar, utang, tunggakan,
    menunggak, mahal, lonjakan harga, kelangkaan, langka, ambyar, boncos, tekor, bubar,
    tumbang, rontok, koreksi, zona merah, terkoreksi, net sell, sanksi, denda, didenda"""
)

# Favourable outcomes: a counterweight in the same style.
FAVOURABLE_TERMS: tuple[str, ...] = _entries(
    """naik, melonjak, meroket, menguat, penguatan, melesat, terbang, cuan, laba, untung,
    keuntungan, surplus, tumbuh, pertumbuhan, rekor, tertinggi, zona hijau, net buy, prestasi,
    penghargaan, apresiasi, diapresiasi, berhasil, keberhasilan, sukses, meresmikan,
    diresmikan, peresmian, bantuan, membantu, menyalurkan, pulih, pemulihan, membaik,
    perbaikan, aman, kondusif, lancar, inovasi, investasi, peluang, optimis, optimistis,
    dukung, dukungan, mendukung, juara, terbaik, positif, stabil, bangga, membanggakan,
    sejahtera, kesejahteraan"""
)

# Reading direction of market and economy headlines: a word that moves (UP/DOWN) and the
# thing that moved. Good things going up and bad things going down are good news ("IHSG
# menguat", "utang turun"); "dolar" counts as bad because a strong dollar is a weak rupiah.
# Single words; the model also learns every preceding word paired with the direction.
UP_WORDS: tuple[str, ...] = _entries(
    """naik, menguat, melonjak, meroket, melesat, terbang, tumbuh, bertambah, melejit, bangkit,
    perkasa, bergairah, rebound, tembus, mendaki, menanjak"""
)
DOWN_WORDS: tuple[str, ...] = _entries(
    """turun, melemah, anjlok, ambles, ambruk, merosot, jeblok, terjun, loyo, lesu, tersungkur,
    keok, rontok, tumbang, terkoreksi, koreksi, susut, menyusut, berkurang, jatuh, longsor,
    ambrol, amblas, terpuruk, tertekan, memerah, merana, lunglai"""
)
GOOD_SUBJECTS: tuple[str, ...] = _entries(
    """rupiah, ihsg, laba, saham, ekspor, investasi, penjualan, pendapatan, kredit, dpk,
    cadangan, devisa, pertumbuhan, ekonomi, indeks, lq45, kinerja, produksi, daya, beli,
    penerimaan, aset, dividen, untung, emiten, kapitalisasi"""
)
BAD_SUBJECTS: tuple[str, ...] = _entries(
    """utang, inflasi, defisit, rugi, kerugian, npl, pengangguran, kemiskinan, impor, harga,
    biaya, beban, suku, bunga, dolar, yield, phk, kasus"""
)

ID_STOPWORDS: frozenset[str] = frozenset(
    _entries(
        """yang, dan, di, ke, dari, ini, itu, dengan, untuk, pada, adalah, dalam, tidak, akan,
        juga, atau, oleh, karena, sudah, bisa, ada, saat, telah, para, kata, tersebut, lebih,
        masih, harus, agar, bagi, hingga, namun, serta, kami, kita, mereka, sebagai, secara,
        tak, belum, bukan, jadi, saya, anda, dia, ia, nya, sangat, tapi, tetapi, lagi, pun,
        bahwa, seperti, saja, hanya, banyak, baru, dapat, sebuah, setelah, sedang, paling,
        tahun, hari, orang, menjadi, melalui, terhadap, antara, tentang, sejak, ketika, kepada,
        maka, yaitu, yakni, dua, satu, tiga, enak, banget, gak, nggak, sih, dong, deh, kok"""
    )
)

EN_STOPWORDS: frozenset[str] = frozenset(
    _entries(
        """the, and, of, to, in, is, that, for, it, on, was, with, he, be, by, at, are,
        this, his, have, from, but, not, they, an, she, which, or, we, her, had, has, were,
        been, their, there, would, will, what, all, its, about, one, who, so, said, more, when,
        up, if, out, no, than, them, can, could, into, some, other, only, also, after, over,
        new, just, very, i, you, my, our, your, me, us, do, does, did, how, because, while,
        where, before, those, these, being, should, may, year, years, people"""
    )
)
