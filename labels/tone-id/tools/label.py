"""Show articles to a reader and write the labels the reader types. Nothing here decides a label.

    label.py show   --batch 1 --start 0 --count 10     # articles 0-9 of batch 1, with pair ids
    label.py write  --pass A --batch 1 < labels.txt     # lines: "<pair_id> <label> [note]"
    label.py status --pass A --batch 1                  # how many pairs are labelled / left

Labels: negative, neutral, positive, skip (skip needs a note: why the pair is not a real mention).
Each pass writes passes/<pass>-b<batch>.jsonl; a later line for the same pair replaces an earlier.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections import OrderedDict
from pathlib import Path

HERE = Path(__file__).resolve().parent
PASSES = HERE.parent / "passes"
CORPUS = Path(
    os.environ.get("PANTAU_NEWS_CORPUS", HERE.parents[3] / "shared/data/news/articles.jsonl")
)
LABELS = {"negative", "neutral", "positive", "skip"}
LEAD_CHARS = 3000


def read_pass(name: str) -> dict[str, dict]:
    """The rows of one pass file (passes/<name>) by pair id; empty when it does not exist."""
    path = PASSES / name
    if not path.exists():
        return {}
    return {r["pair_id"]: r for r in map(json.loads, path.read_text().splitlines()) if r}


def _pairs(batch: int) -> OrderedDict[str, list[dict]]:
    by_article: OrderedDict[str, list[dict]] = OrderedDict()
    for p in json.loads((HERE / "pairs.json").read_text()):
        if p["batch"] == batch:
            by_article.setdefault(p["article_id"], []).append(p)
    return by_article


def _articles(ids: set[str]) -> dict[str, dict]:
    out = {}
    with CORPUS.open(encoding="utf-8") as fh:
        for line in fh:
            a = json.loads(line)
            if a["id"] in ids:
                out[a["id"]] = a
    return out


def _body(body: str, patterns: list[re.Pattern[str]]) -> str:
    body = body.replace("_x000D_", "")
    if len(body) <= LEAD_CHARS:
        return body
    paras = body.split("\n\n")
    shown, used, skipped = [], 0, 0
    for para in paras:
        if used < LEAD_CHARS or any(p.search(para) for p in patterns):
            if skipped:
                shown.append(f"[... {skipped} paragraph(s) without the entities left out ...]")
                skipped = 0
            shown.append(para)
            used += len(para)
        else:
            skipped += 1
    if skipped:
        shown.append(f"[... {skipped} paragraph(s) without the entities left out ...]")
    return "\n\n".join(shown)


def show(batch: int, start: int, count: int) -> None:
    entities = {e["name"]: e for e in json.loads((HERE / "entities.json").read_text())}
    by_article = _pairs(batch)
    ids = list(by_article)[start : start + count]
    arts = _articles(set(ids))
    for n, aid in enumerate(ids, start):
        a = arts[aid]
        pats = [re.compile(entities[p["entity"]]["pattern"]) for p in by_article[aid]]
        print(f"========== article {n} of {len(by_article)} (batch {batch}) ==========")
        print(f"TITLE: {a['title']}\nOUTLET: {a['outlet']}  DATE: {a['published']}\n")
        print(_body(a["body"], pats))
        print("\nLABEL THESE PAIRS:")
        for p in by_article[aid]:
            e = entities[p["entity"]]
            print(
                f"  {p['pair_id']}  {p['entity']}  "
                f"({e['kind']}; also called: {', '.join(e['aliases'])})"
            )
        print()


def write(pass_: str, batch: int) -> None:
    valid = {p["pair_id"] for ps in _pairs(batch).values() for p in ps}
    PASSES.mkdir(exist_ok=True)
    path = PASSES / f"{pass_}-b{batch}.jsonl"
    rows = OrderedDict(read_pass(path.name))
    bad = 0
    for line in sys.stdin:
        parts = line.strip().split(maxsplit=2)
        if not parts or parts[0].startswith("#"):
            continue
        if len(parts) < 2 or parts[0] not in valid or parts[1] not in LABELS:
            print(f"REJECTED (unknown pair id for this batch or bad label): {line.rstrip()}")
            bad += 1
            continue
        if parts[1] == "skip" and len(parts) < 3:
            print(f"REJECTED (skip needs a note): {line.rstrip()}")
            bad += 1
            continue
        rows[parts[0]] = {
            "pair_id": parts[0],
            "label": parts[1],
            "note": parts[2] if len(parts) > 2 else "",
        }
    tmp = path.with_suffix(".tmp")
    tmp.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows.values()), encoding="utf-8"
    )
    tmp.replace(path)
    print(f"{len(rows)} of {len(valid)} pairs labelled in {path.name}; {bad} rejected")


def status(pass_: str, batch: int) -> None:
    by_article = _pairs(batch)
    path = PASSES / f"{pass_}-b{batch}.jsonl"
    done = set()
    if path.exists():
        lines = path.read_text().splitlines()
        done = {json.loads(line)["pair_id"] for line in lines if line.strip()}
    missing = [
        (n, p["pair_id"])
        for n, ps in enumerate(by_article.values())
        for p in ps
        if p["pair_id"] not in done
    ]
    print(f"{len(done)} labelled, {len(missing)} missing")
    if missing:
        print("first articles with missing pairs:", sorted({n for n, _ in missing})[:20])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["show", "write", "status"])
    ap.add_argument("--batch", type=int, required=True)
    ap.add_argument("--pass", dest="pass_", choices=["A", "B"])
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--count", type=int, default=8)
    a = ap.parse_args()
    if a.cmd == "show":
        show(a.batch, a.start, a.count)
    elif a.cmd == "write":
        write(a.pass_, a.batch)
    else:
        status(a.pass_, a.batch)


if __name__ == "__main__":
    main()
