"""24 informal Indonesian posts written by hand for the tests (not taken from any data set):
slang, chat abbreviations, emoji, letters run together, code-switching; labels as a reader
would give them."""

POSTS: list[tuple[str, str]] = [
    # negative
    ("gw kecewa bgt sm pelayanan PLN, udh 2 hari mati listrik ga ada kabar 😡😡", "negative"),
    ("parah sih ini, antrean bbm panjang bgt dr subuh, capek nunggu 😤", "negative"),
    ("jalan depan rmh rusak parahhh udh setaun gak dibenerin, pemda kmn aja sih", "negative"),
    ("aplikasinya error mulu, mau bayar tagihan aja susah bgt. nyesel pake", "negative"),
    ("harga cabe naik lg 😭 emak2 pada pusing, gaji ga naik2", "negative"),
    ("bener2 ga becus ngurus banjir, tiap taun gini trs 🙄", "negative"),
    ("kurirnya telat 3 hari, barang dateng penyok. worst service ever 👎", "negative"),
    ("sinyal ilang terus dr kemaren, lemot parah, mau kerja jd terganggu", "negative"),
    ("pejabatnya cm janji doang, pas udh kepilih lupa sm rakyat. muak gw", "negative"),
    ("hoax lg hoax lg, capek liat grup wa keluarga isinya fitnah semua", "negative"),
    # positive
    ("mantul bgt petugasnya gercep, jalan udh dibersihin 👍👍 makasih pak", "positive"),
    ("seneng bgt bansosnya udh cair, alhamdulillah 🙏😊", "positive"),
    ("pelayanan di kelurahan skrg cepet bgt, ga sampe 10 menit KTP jadi. keren 🔥", "positive"),
    ("makanannya enak2 bgt, harganya jg murah. recommended pokoknya 😍", "positive"),
    ("salut sm relawan yg turun bantu korban gempa, kalian luar biasa 💪❤️", "positive"),
    ("akhirnya jalan tol nya jadi, mudik taun ini lancar jaya 😁", "positive"),
    ("cs nya ramah bgt, masalah gw langsung beres. thanks min!", "positive"),
    ("bangga bgt timnas menang 3-0!! gasss terusss 🔥🔥", "positive"),
    # neutral
    ("btw besok ada pemadaman listrik ga sih di daerah bekasi?", "neutral"),
    ("info dong, jadwal krl ke bogor jam brp aja ya skrg", "neutral"),
    ("lg di stasiun gambir, nunggu kereta ke bandung", "neutral"),
    ("yg mau daftar cpns jgn lupa, pendaftaran dibuka mulai senin", "neutral"),
    ("otw rapat rt bahas jadwal ronda minggu depan", "neutral"),
    ("ada yg tau kantor samsat buka jam brp kalo sabtu?", "neutral"),
]

# Posts naming a watched entity: (text, entity, the tone toward it).
ENTITY_POSTS: list[tuple[str, str, str]] = [
    (
        "gw kecewa bgt sm pelayanan PLN, udh 2 hari mati listrik ga ada kabar 😡😡",
        "PLN",
        "negative",
    ),
    ("mantul bgt petugas Pemkot Batu gercep, jalan udh dibersihin 👍👍", "Pemkot Batu", "positive"),
    ("KPK ga becus bgt, koruptor malah dibebasin mulu 🙄", "KPK", "negative"),
    (
        "salut sm Basarnas yg turun bantu korban gempa, kalian luar biasa 💪❤️",
        "Basarnas",
        "positive",
    ),
    ("Pertamina bikin antrean bbm panjang bgt dr subuh, capek nunggu 😤", "Pertamina", "negative"),
    ("seneng bgt bansos dr Kemensos udh cair, alhamdulillah 🙏😊", "Kemensos", "positive"),
]
