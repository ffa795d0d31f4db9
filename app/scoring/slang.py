"""Informal Indonesian to its standard form: slang, chat abbreviations, emoji (pure, shipped).

Social posts write "gak" for "tidak", "bgt" for "banget", "yg" for "yang" and mark feelings
with emoji; the labelled data the informal model learns from (SmSA, NusaX) is mostly written
out in full and has almost no emoji. Mapping the informal forms onto the words the model knows
lets a post's words count as the same features as the training rows' words.

Sources of the table: hand-written by the Pantau team from everyday Indonesian chat and social
usage (Jakarta colloquial "gue/lo", "-in" verbs, "nggak" and its spellings, chat
abbreviations); every entry is a common form known to the authors, and the frequent ones were
checked against the forms that occur in SmSA's training split (IndoNLU, CC BY-SA 4.0). No
third-party slang dictionary was copied. Keep entries unambiguous: a form that is also a
standard word with another meaning ("bang", "dong") stays out, and so does anything whose
standard form would need context.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

# Informal form -> standard form (lower case; a value may be several words).
SLANG: dict[str, str] = {
    # negation
    "gak": "tidak",
    "ga": "tidak",
    "gk": "tidak",
    "nggak": "tidak",
    "ngga": "tidak",
    "ngak": "tidak",
    "nggk": "tidak",
    "enggak": "tidak",
    "engga": "tidak",
    "kagak": "tidak",
    "kaga": "tidak",
    "ndak": "tidak",
    "nda": "tidak",
    "tdk": "tidak",
    "tak": "tidak",
    "blm": "belum",
    "blum": "belum",
    "bkn": "bukan",
    "jgn": "jangan",
    "jngn": "jangan",
    "gausah": "tidak usah",
    "gaada": "tidak ada",
    "gada": "tidak ada",
    "gabisa": "tidak bisa",
    "gamau": "tidak mau",
    "gatau": "tidak tahu",
    "gatahu": "tidak tahu",
    "gpp": "tidak apa apa",
    "gapapa": "tidak apa apa",
    "nggapapa": "tidak apa apa",
    # pronouns and people
    "gue": "saya",
    "gua": "saya",
    "gw": "saya",
    "gwe": "saya",
    "aq": "aku",
    "ak": "aku",
    "sy": "saya",
    "sya": "saya",
    "lo": "kamu",
    "lu": "kamu",
    "loe": "kamu",
    "elo": "kamu",
    "elu": "kamu",
    "km": "kamu",
    "kmu": "kamu",
    "org": "orang",
    "orng": "orang",
    "ortu": "orang tua",
    "bokap": "ayah",
    "nyokap": "ibu",
    "temen": "teman",
    "tmn": "teman",
    "cowok": "laki-laki",
    "cewek": "perempuan",
    "cwe": "perempuan",
    "cwo": "laki-laki",
    "doi": "dia",
    "dy": "dia",
    # very frequent function words
    "yg": "yang",
    "yng": "yang",
    "dgn": "dengan",
    "dg": "dengan",
    "dngn": "dengan",
    "sm": "sama",
    "ama": "sama",
    "utk": "untuk",
    "untk": "untuk",
    "tuk": "untuk",
    "krn": "karena",
    "krna": "karena",
    "karna": "karena",
    "soalnya": "karena",
    "tp": "tapi",
    "tpi": "tapi",
    "jg": "juga",
    "jga": "juga",
    "aja": "saja",
    "aj": "saja",
    "ajah": "saja",
    "doang": "saja",
    "dah": "sudah",
    "udah": "sudah",
    "udh": "sudah",
    "sdh": "sudah",
    "sudh": "sudah",
    "lg": "lagi",
    "lgi": "lagi",
    "bs": "bisa",
    "bsa": "bisa",
    "trs": "terus",
    "trus": "terus",
    "kalo": "kalau",
    "klo": "kalau",
    "klau": "kalau",
    "kl": "kalau",
    "kyk": "seperti",
    "kayak": "seperti",
    "kyak": "seperti",
    "kek": "seperti",
    "gitu": "begitu",
    "gt": "begitu",
    "gini": "begini",
    "gmn": "bagaimana",
    "gimana": "bagaimana",
    "gmna": "bagaimana",
    "knp": "kenapa",
    "knpa": "kenapa",
    "napa": "kenapa",
    "ngapain": "mengapa",
    "dmn": "di mana",
    "dimana": "di mana",
    "kmn": "ke mana",
    "kemana": "ke mana",
    "drpd": "daripada",
    "dri": "dari",
    "pd": "pada",
    "sbg": "sebagai",
    "spt": "seperti",
    "stlh": "setelah",
    "sblm": "sebelum",
    "smpe": "sampai",
    "sampe": "sampai",
    "ampe": "sampai",
    "smp": "sampai",
    "skrg": "sekarang",
    "skrng": "sekarang",
    "sekrg": "sekarang",
    "skg": "sekarang",
    "td": "tadi",
    "tdi": "tadi",
    "bsk": "besok",
    "kmrn": "kemarin",
    "kmarin": "kemarin",
    "kemaren": "kemarin",
    "tgl": "tanggal",
    "thn": "tahun",
    "bln": "bulan",
    "hr": "hari",
    "mlm": "malam",
    "pgi": "pagi",
    "bgt": "banget",
    "bngt": "banget",
    "bgd": "banget",
    "bangettt": "banget",
    "bener": "benar",
    "bnr": "benar",
    "beneran": "benar",
    "emg": "memang",
    "emang": "memang",
    "mmg": "memang",
    "sgt": "sangat",
    "sngt": "sangat",
    "bnyk": "banyak",
    "byk": "banyak",
    "bnyak": "banyak",
    "sdkt": "sedikit",
    "dikit": "sedikit",
    "cm": "cuma",
    "cuman": "cuma",
    "cmn": "cuma",
    "msh": "masih",
    "masi": "masih",
    "mo": "mau",
    "mw": "mau",
    "pgn": "ingin",
    "pengen": "ingin",
    "pingin": "ingin",
    "pengin": "ingin",
    "tau": "tahu",
    "tw": "tahu",
    "ttg": "tentang",
    "hrs": "harus",
    "hrus": "harus",
    "kudu": "harus",
    "ato": "atau",
    "atw": "atau",
    "ataw": "atau",
    "lbh": "lebih",
    "lebi": "lebih",
    "brp": "berapa",
    "bbrp": "beberapa",
    "sj": "saja",
    "aga": "agak",
    "agk": "agak",
    "kn": "kan",
    "tuh": "itu",
    "tu": "itu",
    "ni": "ini",
    "nih": "ini",
    "mulu": "melulu",
    "mlulu": "melulu",
    "btw": "ngomong ngomong",
    "otw": "dalam perjalanan",
    "jd": "jadi",
    "jdi": "jadi",
    "dpt": "dapat",
    "dapet": "dapat",
    "bli": "beli",
    "blanja": "belanja",
    "dtg": "datang",
    "dateng": "datang",
    "mkn": "makan",
    "maem": "makan",
    "mkan": "makan",
    "mnm": "minum",
    "bljr": "belajar",
    "krj": "kerja",
    "pake": "pakai",
    "pke": "pakai",
    "liat": "lihat",
    "ngeliat": "melihat",
    "denger": "dengar",
    "ngomong": "bicara",
    "ngmng": "bicara",
    "ngasih": "memberi",
    "kasi": "kasih",
    "nunggu": "menunggu",
    "nungguin": "menunggu",
    "nyari": "mencari",
    "nyariin": "mencari",
    "ngerti": "mengerti",
    "ngerasa": "merasa",
    "ngebantu": "membantu",
    "bikin": "membuat",
    "bkin": "membuat",
    "nyampe": "sampai",
    "nyoba": "mencoba",
    "nyobain": "mencoba",
    "ngabisin": "menghabiskan",
    "balikin": "kembalikan",
    "kasihin": "berikan",
    "beliin": "belikan",
    "bawain": "bawakan",
    "bilangin": "bilang",
    # opinion, feeling
    "mantul": "mantap",
    "mantep": "mantap",
    "mantab": "mantap",
    "mntp": "mantap",
    "mantabs": "mantap",
    "jos": "bagus",
    "joss": "bagus",
    "kece": "keren",
    "gokil": "hebat",
    "top": "bagus",
    "oke": "baik",
    "ok": "baik",
    "okey": "baik",
    "okay": "baik",
    "sip": "baik",
    "sippp": "baik",
    "bgs": "bagus",
    "bgus": "bagus",
    "seneng": "senang",
    "sneng": "senang",
    "asik": "asyik",
    "asyique": "asyik",
    "syuka": "suka",
    "makasih": "terima kasih",
    "makasi": "terima kasih",
    "mksh": "terima kasih",
    "mks": "terima kasih",
    "trims": "terima kasih",
    "tq": "terima kasih",
    "thx": "terima kasih",
    "thanks": "terima kasih",
    "tengkyu": "terima kasih",
    "maap": "maaf",
    "mf": "maaf",
    "sory": "maaf",
    "sorry": "maaf",
    "sori": "maaf",
    "jlek": "jelek",
    "jlk": "jelek",
    "ancur": "hancur",
    "ancurr": "hancur",
    "parahh": "parah",
    "prh": "parah",
    "nyesel": "menyesal",
    "nyesal": "menyesal",
    "kcewa": "kecewa",
    "kesel": "kesal",
    "ksl": "kesal",
    "sebel": "sebal",
    "bete": "kesal",
    "bt": "kesal",
    "ngeselin": "menyebalkan",
    "nyebelin": "menyebalkan",
    "sebelin": "menyebalkan",
    "nyusahin": "menyusahkan",
    "ngecewain": "mengecewakan",
    "ngecewin": "mengecewakan",
    "ngerepotin": "merepotkan",
    "males": "malas",
    "mls": "malas",
    "capek": "lelah",
    "cape": "lelah",
    "capk": "lelah",
    "galau": "bingung",
    "baper": "terbawa perasaan",
    "mager": "malas gerak",
    "lemot": "lambat",
    "lelet": "lambat",
    "telat": "terlambat",
    "tlt": "terlambat",
    "murmer": "murah meriah",
    "mrh": "murah",
    "rame": "ramai",
    "ancem": "ancam",
    "bokis": "bohong",
    "hoax": "hoaks",
    "hoaxx": "hoaks",
    "bego": "bodoh",
    "bloon": "bodoh",
    "oon": "bodoh",
    "goblog": "goblok",
    "gblk": "goblok",
    "anjir": "anjing",
    "anjrit": "anjing",
    "anjay": "anjing",
    "njir": "anjing",
    "anjg": "anjing",
    "anjng": "anjing",
    "asu": "anjing",
    "bgst": "bangsat",
    "kampret": "sialan",
    "sial": "sialan",
    "cuy": "kawan",
    "bro": "kawan",
    "sis": "kakak",
    "gan": "kawan",
    "mimin": "admin",
    # time and place
    "ntar": "nanti",
    "entar": "nanti",
    "ntr": "nanti",
    "bntr": "sebentar",
    "bentar": "sebentar",
    "sbntr": "sebentar",
    "dket": "dekat",
    "deket": "dekat",
    "dkt": "dekat",
    "rmh": "rumah",
    "kntr": "kantor",
    "jkt": "jakarta",
    "bdg": "bandung",
    "jogja": "yogyakarta",
    "jogjakarta": "yogyakarta",
    # services and shopping (reviews)
    "ongkir": "ongkos kirim",
    "brg": "barang",
    "brng": "barang",
    "pesenan": "pesanan",
    "pesen": "pesan",
    "psn": "pesan",
    "smpai": "sampai",
    "krg": "kurang",
    "kurg": "kurang",
    "rekomen": "rekomendasi",
    "recommended": "direkomendasikan",
    "recomended": "direkomendasikan",
    "rekomended": "direkomendasikan",
    "worth": "sepadan",
    "worthit": "sepadan",
    "cs": "layanan pelanggan",
    "apk": "aplikasi",
    "app": "aplikasi",
    "eror": "rusak",
    "error": "rusak",
    "lag": "lambat",
    "ngelag": "lambat",
    "ngehang": "macet",
    "nge-lag": "lambat",
    "delay": "terlambat",
    "refund": "pengembalian dana",
    "cancel": "batal",
    "cancelled": "batal",
    "dicancel": "dibatalkan",
    "gratisan": "gratis",
    "diskonan": "diskon",
}

# Frequent English words of code-switched posts -> Indonesian (kept apart: they must not make
# an English text look Indonesian to the language router).
CODE_SWITCH: dict[str, str] = {
    "good": "bagus",
    "nice": "bagus",
    "bad": "buruk",
    "worst": "terburuk",
    "best": "terbaik",
    "love": "suka",
    "like": "suka",
    "hate": "benci",
    "happy": "senang",
    "sad": "sedih",
    "angry": "marah",
    "great": "hebat",
    "amazing": "luar biasa",
    "awesome": "luar biasa",
    "boring": "membosankan",
    "slow": "lambat",
    "fast": "cepat",
    "cheap": "murah",
    "expensive": "mahal",
    "disappointed": "kecewa",
    "disappointing": "mengecewakan",
    "never": "tidak pernah",
    "please": "tolong",
    "pls": "tolong",
    "plis": "tolong",
    "plz": "tolong",
    "tlg": "tolong",
}

# Emoji -> a word the model knows (it saw almost no emoji in training).
EMOJI: dict[str, str] = {
    "😍": "suka",
    "🥰": "suka",
    "😘": "suka",
    "❤": "suka",
    "♥": "suka",
    "💕": "suka",
    "💖": "suka",
    "😊": "senang",
    "🙂": "senang",
    "😁": "senang",
    "😀": "senang",
    "😃": "senang",
    "😄": "senang",
    "🤗": "senang",
    "🥳": "senang",
    "👍": "bagus",
    "👌": "bagus",
    "🔥": "keren",
    "💯": "mantap",
    "👏": "hebat",
    "💪": "semangat",
    "🙏": "terima kasih",
    "😋": "enak",
    "🤤": "enak",
    "😂": "haha",
    "🤣": "haha",
    "😆": "haha",
    "😅": "haha",
    "😭": "sedih",
    "😢": "sedih",
    "😔": "sedih",
    "😞": "kecewa",
    "😟": "khawatir",
    "😩": "kesal",
    "😫": "lelah",
    "😡": "marah",
    "😠": "marah",
    "🤬": "marah",
    "👿": "marah",
    "😤": "kesal",
    "😒": "kesal",
    "🙄": "kesal",
    "😑": "kesal",
    "😐": "biasa",
    "🤔": "bingung",
    "😕": "bingung",
    "🙁": "sedih",
    "☹": "sedih",
    "👎": "jelek",
    "💩": "jelek",
    "🤮": "jijik",
    "🤢": "jijik",
    "😱": "takut",
    "😨": "takut",
    "😰": "takut",
    "💔": "kecewa",
}

# Vowel-doubling standard words kept as written when a run of three or more letters shrinks.
_DOUBLE_WORDS = frozenset(
    {"maaf", "saat", "taat", "manfaat", "keadaan", "ketaatan", "pemaaf", "memaafkan", "sunnah"}
)
_URL_RE = re.compile(r"https?://\S+|www\.\S+")
_MENTION_RE = re.compile(r"(?<!\w)@\w+")
_HASHTAG_RE = re.compile(r"(?<!\w)#(\w+)")
_CAMEL_RE = re.compile(r"(?<=[a-z])(?=[A-Z])")
_LAUGH_RE = re.compile(
    r"(?<!\w)(?:w?k+w+k+[wk]*|a?wo?k+wo?k+[wok]*|(?:ha){2,}h?|(?:he){2,}h?|(?:hi){2,}h?|"
    r"(?:xi){2,}|(?:ck){2,})(?!\w)",
    re.IGNORECASE,
)
_RUN_RE = re.compile(r"([a-z])\1{2,}")
# "baik2" -> "baik-baik" (a word followed by the digit 2 reduplicates it).
_REDUP_RE = re.compile(r"(?<![\w-])([a-z]{2,})2(?!\w)")
_WORD_RE = re.compile(r"[a-z]+(?:-[a-z]+)*|[^\sa-z]+|\s+")


def shorten_runs(word: str) -> str:
    """ "bangeeet" -> "banget", "mantaaap" -> "mantap", "maaaaf" -> "maaf": a letter written
    three or more times in a row is written once (twice where that makes a known word)."""
    if not _RUN_RE.search(word):
        return word
    twice = _RUN_RE.sub(r"\1\1", word)
    if twice in _DOUBLE_WORDS:
        return twice
    return _RUN_RE.sub(r"\1", word)


@lru_cache(maxsize=100_000)
def standard_word(word: str, english: bool = True) -> str:
    """The standard form of one lower-case word (itself when the tables do not know it);
    ``english`` maps the code-switched English words too."""
    for form in (word, shorten_runs(word)):
        if form in SLANG:
            return SLANG[form]
        if english and form in CODE_SWITCH:
            return CODE_SWITCH[form]
    return shorten_runs(word)


def normalise_informal(text: str, *, english: bool = True) -> str:
    """Lower-cased, HTML-unescaped text with URLs and @mentions gone, hashtags as words (camel
    case split), laughter as "haha", emoji as words, "kata2" as "kata-kata" and every word the
    tables know in its standard form (the English ones only with ``english``). Punctuation
    stays: it ends negation scopes and marks sentences."""
    # posts come HTML-escaped from some APIs ("&amp;", "&quot;")
    text = unicodedata.normalize("NFKC", html.unescape(text) if "&" in text else text)
    text = _URL_RE.sub(" ", text)
    text = _MENTION_RE.sub(" ", text)
    text = _HASHTAG_RE.sub(lambda m: " " + _CAMEL_RE.sub(" ", m.group(1)) + " ", text)
    text = _LAUGH_RE.sub(" haha ", text)
    if any(ord(c) > 0x2500 for c in text):
        # commas around the word: an emoji's feeling is never inside a negation's scope
        text = "".join(f" , {EMOJI[c]} , " if c in EMOJI else c for c in text)
    text = text.lower()
    text = _REDUP_RE.sub(lambda m: f"{m.group(1)}-{m.group(1)}", text)
    return "".join(
        standard_word(piece, english) if piece[:1].isalpha() and piece.isascii() else piece
        for piece in _WORD_RE.findall(text)
    )


# Table forms that news writes too (counted over 3,000 articles of the shared news corpus):
# they are no sign of informal writing.
FORMAL_TOO = frozenset(
    {
        "tak",
        "dimana",
        "kemana",
        "top",
        "km",
        "smp",
        "sbg",
        "cs",
        "hr",
        "pd",
        "oke",
        "ok",
        "hoax",
        "delay",
        "bli",
        "jogja",
        "tau",
        "cowok",
        "cewek",
        "bikin",
        "ngomong",
        "sorry",
        "error",
        "cancel",
        "refund",
        "worth",
        "app",
        "lag",
        "bkn",
    }
)
_MARK_WORDS = frozenset(SLANG) - FORMAL_TOO


def informal_signals(text: str) -> tuple[int, int]:
    """(informal marks, words) of a text: chat forms the table rewrites (not those news
    writes too), letters run three times, laughter, emoji, @mentions, hashtags and "kata2"
    reduplication count as marks."""
    lowered = text.lower()
    words = re.findall(r"[a-z]+", lowered)
    marks = sum(1 for w in words if w in _MARK_WORDS or _RUN_RE.search(w))
    marks += len(_LAUGH_RE.findall(text)) + len(_MENTION_RE.findall(text))
    marks += len(_HASHTAG_RE.findall(text)) + len(_REDUP_RE.findall(lowered))
    marks += sum(1 for c in text if c in EMOJI)
    return marks, len(words)
