"""Loading the labelled training sets (training time only; the product never reads them)."""

from __future__ import annotations

import csv
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATA_DIR = Path("../shared/data/sentiment")
# Headlines from this date on are the validation period (the later slice of cnbc 2024).
VALIDATION_FROM = "2024/11/01"
_CNBC = {"negatif": "negative", "netral": "neutral", "positif": "positive"}
_POLARITY = {2.0: "negative", 4.0: "neutral", 6.0: "positive"}


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    label: str
    source: str  # cnbc, smsa, nusax-id, nusax-en, newsmtsc, analyst
    date: str = ""


@dataclass(frozen=True, slots=True)
class TargetExample:
    text: str
    start: int
    end: int
    label: str
    source: str


def load_cnbc(data_dir: Path) -> list[Example]:
    path = data_dir / "cnbc-headlines-2024" / "headlines.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        return [
            Example(r["judul"], _CNBC[r["sentimen"]], "cnbc", r["tanggal"])
            for r in csv.DictReader(fh)
            if r["sentimen"] in _CNBC and r["judul"].strip()
        ]


def split_cnbc(rows: list[Example]) -> tuple[list[Example], list[Example]]:
    """(earlier training period, later validation period), by headline date."""
    train = [r for r in rows if r.date < VALIDATION_FROM]
    valid = [r for r in rows if r.date >= VALIDATION_FROM]
    return train, valid


def load_smsa(data_dir: Path, names: tuple[str, ...] = ("train.tsv",)) -> list[Example]:
    """SmSA rows; ``valid.tsv`` is kept out of training to measure general sentiment."""
    out = []
    for name in names:
        with (data_dir / "smsa" / name).open(encoding="utf-8") as fh:
            for line in fh:
                text, _, label = line.rstrip("\n").rpartition("\t")
                if text and label in _CNBC.values():
                    out.append(Example(text, label, "smsa"))
    return out


def load_nusax(data_dir: Path, language: str) -> list[Example]:
    folder = data_dir / "nusax-senti" / ("indonesian" if language == "id" else "english")
    out = []
    for name in ("train.csv", "valid.csv"):
        with (folder / name).open(encoding="utf-8", newline="") as fh:
            out += [Example(r["text"], r["label"], f"nusax-{language}") for r in csv.DictReader(fh)]
    return out


def load_newsmtsc(data_dir: Path, split: str) -> tuple[list[Example], list[TargetExample]]:
    """Sentence-level examples (majority target polarity, ties -> negative) and target rows."""
    sentences: list[Example] = []
    targets: list[TargetExample] = []
    with (data_dir / "newsmtsc" / f"{split}.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            text = row["sentence_normalized"]
            labels = [_POLARITY[float(t["polarity"])] for t in row["targets"]]
            for t, label in zip(row["targets"], labels, strict=True):
                targets.append(TargetExample(text, int(t["from"]), int(t["to"]), label, "newsmtsc"))
            counts = Counter(labels).most_common()
            top = [lab for lab, n in counts if n == counts[0][1]]
            label = "negative" if "negative" in top else top[0]
            sentences.append(Example(text, label, "newsmtsc"))
    return sentences, targets


def load_analyst_labels(path: Path) -> tuple[list[Example], list[dict[str, str]]]:
    """Analyst labels: {"text", "title", "label", "targets": [{"name", "label"}]} per line.

    Returns article examples and the raw target rows (with the article text) for the caller.
    """
    articles: list[Example] = []
    targets: list[dict[str, str]] = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            row = json.loads(line)
            # a blank line keeps the title its own sentence, as the scorer reads an article
            text = "\n\n".join(p for p in (row.get("title") or "", row.get("text") or "") if p)
            if row.get("label") in _CNBC.values() and text:
                articles.append(Example(text, row["label"], "analyst"))
            for target in row.get("targets") or []:
                if target.get("label") in _CNBC.values() and target.get("name"):
                    targets.append({"text": text, "name": target["name"], "label": target["label"]})
    return articles, targets


@dataclass(frozen=True, slots=True)
class ToneExample:
    """One (article, entity) pair labelled for the entity's reputation."""

    article_id: str
    title: str
    text: str
    name: str
    aliases: tuple[str, ...]
    label: str
    split: str  # train, validation, test ("" for analyst labels from the product)


def load_corpus(path: Path) -> dict[str, tuple[str, str]]:
    """Article id -> (title, body) of a news corpus in JSON lines ({id, title, body})."""
    out: dict[str, tuple[str, str]] = {}
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                out[str(row["id"])] = (row.get("title") or "", row.get("body") or "")
    return out


def load_tone_pairs(path: Path, corpus: Path | None = None) -> list[ToneExample]:
    """Per-entity labels of analyst label files (``export-labels`` format). A row without its
    text (the reading-made set in ``labels/tone-id``) takes it from ``corpus`` by article id;
    a row whose text cannot be found is an error, not a silent loss."""
    texts = load_corpus(corpus) if corpus is not None else {}
    out: list[ToneExample] = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            row = json.loads(line)
            title, text = row.get("title") or "", row.get("text") or ""
            if not (title or text):
                key = str(row.get("article_id"))
                if key not in texts:
                    raise ValueError(f"{path}:{number}: no text for article {key} (--corpus?)")
                title, text = texts[key]
            for target in row.get("targets") or []:
                if target.get("label") in _CNBC.values() and target.get("name"):
                    out.append(
                        ToneExample(
                            str(row.get("article_id", "")),
                            title,
                            text,
                            target["name"],
                            tuple(target.get("aliases") or ()),
                            target["label"],
                            row.get("split") or "",
                        )
                    )
    return out
