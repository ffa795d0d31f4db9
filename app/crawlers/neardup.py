"""Near-duplicate text detection (pure): MinHash signatures over word shingles, cut into LSH bands.

Two copies of a story that an outlet republished with a new title, a dateline, a few word swaps
and a credit line still share most of their word 3-grams. Articles sharing any LSH band are
candidates; a candidate counts as the same story when the signatures agree on at least
`SAME_STORY` of their positions (an estimate of the shingle sets' Jaccard similarity).

numpy and datasketch (which imports scipy: most of a second) are imported on first use, so a
process that only imports the stages (a cron `crawl --once` with nothing due) does not pay.
"""

from __future__ import annotations

import hashlib
import re
import struct
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

NUM_PERM = 128
BANDS = 32  # 32 bands of 4 rows: pairs at Jaccard 0.5 collide in some band with p > 0.85
ROWS = NUM_PERM // BANDS
SHINGLE = 3
MIN_SHINGLES = 12  # below this a text is too short to call anything a copy of it
SAME_STORY = 0.5
SEED = 20190322

_WORD = re.compile(r"\w+", re.UNICODE)
SCHEME = "affine32"


@lru_cache(maxsize=1)
def permutations() -> Any:
    """datasketch's permutations for `SEED` (computed once per process)."""
    from datasketch import MinHash

    return MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME).permutations


def _hashes(grams: set[bytes]) -> np.ndarray:
    """The hash of every shingle, as one array: the first 4 bytes of its BLAKE2b digest,
    little-endian (one digest per shingle, no Python int per shingle)."""
    import numpy as np

    blake = hashlib.blake2b
    packed = b"".join([blake(gram, digest_size=4).digest() for gram in grams])
    return np.frombuffer(packed, dtype="<u4")


def shingles(text: str) -> set[bytes]:
    words = _WORD.findall(text.lower())
    join = " ".join
    # The i-th word list starts i words later; zip stops at the shortest, the last full shingle.
    grams = zip(*(words[i:] for i in range(SHINGLE)), strict=False)
    return {join(gram).encode("utf-8") for gram in grams}


def signature(text: str | None) -> bytes | None:
    """The MinHash signature of a text (512 bytes), or None when the text is too short."""
    grams = shingles(text or "")
    if len(grams) < MIN_SHINGLES:
        return None
    # datasketch's affine32 update, on the whole array of shingle hashes at once: each hash
    # pre-mixed by the MurmurHash3 finalizer, then every permutation a * h + b (wrapping in 32
    # bits) and the least per permutation. The same signature as `MinHash.update_batch` with
    # the identity hashfunc (tests/crawlers/test_neardup.py holds it), without a Python int
    # per shingle or a MinHash per text.
    import numpy as np

    a, b = permutations()
    mixed = _fmix32(_hashes(grams).astype(np.uint32, copy=False)).reshape(-1, 1)
    packed: bytes = (mixed * a + b).min(axis=0).astype("<u4").tobytes()
    return packed


def _fmix32(hv: np.ndarray) -> np.ndarray:
    """The MurmurHash3 32-bit finalizer (datasketch's pre-mix of the affine32 scheme)."""
    import numpy as np

    hv = hv ^ (hv >> np.uint32(16))
    hv = hv * np.uint32(0x85EBCA6B)
    hv = hv ^ (hv >> np.uint32(13))
    hv = hv * np.uint32(0xC2B2AE35)
    result: np.ndarray = hv ^ (hv >> np.uint32(16))
    return result


def signatures(texts: list[str | None]) -> list[bytes | None]:
    """`signature` of each text (a batch for the CPU pool)."""
    return [signature(t) for t in texts]


# Band keys computed in another process (the CPU pool, with the signature), waiting for their
# first use here; bounded, oldest dropped first.
_BANDS: dict[bytes, list[int]] = {}
_BANDS_MAX = 8192


def remember_bands(sig: bytes, keys: list[int]) -> None:
    """Hand over `bands(sig)` computed elsewhere: the next `bands(sig)` here returns it."""
    if len(_BANDS) >= _BANDS_MAX:
        del _BANDS[next(iter(_BANDS))]
    _BANDS[sig] = keys


def bands(sig: bytes) -> list[int]:
    """One signed 64-bit key per LSH band (the band's index is part of the key)."""
    known = _BANDS.pop(sig, None)
    if known is not None:
        return known
    blake = hashlib.blake2b
    width = ROWS * 4
    return [
        _INT64.unpack(
            blake(
                bytes((index,)) + sig[index * width : (index + 1) * width], digest_size=8
            ).digest()
        )[0]
        for index in range(BANDS)
    ]


_INT64 = struct.Struct("<q")


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of the two texts' shingle sets."""
    import numpy as np

    left, right = np.frombuffer(a, dtype="<u4"), np.frombuffer(b, dtype="<u4")
    if left.shape != right.shape:
        return 0.0
    return float(np.mean(left == right))


def similarities(sig: bytes, others: list[bytes]) -> list[float]:
    """`similarity` of `sig` with each of `others`, in one vectorised comparison."""
    width = len(sig)
    same = [o for o in others if len(o) == width]
    if not same:
        return [0.0] * len(others)
    import numpy as np

    left = np.frombuffer(sig, dtype="<u4")
    matrix = np.frombuffer(b"".join(same), dtype="<u4").reshape(len(same), -1)
    scores = iter((matrix == left).mean(axis=1).tolist())
    return [next(scores) if len(o) == width else 0.0 for o in others]
