import hashlib
import struct

from datasketch import MinHash

from app.crawlers.neardup import (
    BANDS,
    NUM_PERM,
    ROWS,
    SCHEME,
    SEED,
    bands,
    shingles,
    signature,
)

TEXTS = [
    "Banjir merendam ribuan rumah warga di Jakarta Utara sejak Senin pagi, kata petugas. " * 3,
    "Harga cabai rawit naik tajam menjelang Lebaran; pedagang di Pasar Induk Kramat Jati "
    "mengeluh pembeli berkurang dan stok dari Jawa Tengah terlambat datang pekan ini.",
    "Ṡtraße café naïve — 東京 ２０１９ résumé déjà vu über alles; ünïcödé wörds everywhere "
    "in this text with enough words to pass the minimum number of shingles we need here.",
    " ".join(f"kata{k}" for k in range(5000)),
]


def _datasketch_signature(text: str) -> bytes:
    """The signature as datasketch makes it: each shingle's 4-byte BLAKE2b hash through
    `MinHash.update_batch` (what `signature` computed before it applied the permutations
    itself)."""
    minhash = MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=lambda v: v, scheme=SCHEME)
    minhash.update_batch(
        [
            int.from_bytes(hashlib.blake2b(gram, digest_size=4).digest(), "little")
            for gram in shingles(text)
        ]
    )
    packed: bytes = minhash.hashvalues.astype("<u4").tobytes()
    return packed


def test_signature_is_datasketchs_minhash_of_the_shingle_hashes() -> None:
    for text in TEXTS:
        assert signature(text) == _datasketch_signature(text)


def test_band_keys_hash_each_band_with_its_index() -> None:
    for text in TEXTS:
        sig = signature(text)
        assert sig is not None
        expected = [
            struct.unpack(
                "<q",
                hashlib.blake2b(
                    bytes([k]) + sig[k * ROWS * 4 : (k + 1) * ROWS * 4], digest_size=8
                ).digest(),
            )[0]
            for k in range(BANDS)
        ]
        assert bands(sig) == expected


def test_short_text_has_no_signature() -> None:
    assert signature("terlalu pendek untuk disebut salinan") is None
    assert signature(None) is None
