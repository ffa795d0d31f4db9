"""Show a batch's disagreements between pass A and pass B to the third reader; store their
decisions in passes/ADJ-b<batch>.jsonl. The script shows and stores; the reader decides.

    adjudicate.py show  --batch 1 [--start 0 --count 10]
    adjudicate.py write --batch 1 < decisions.txt   # "<pair_id> <label> <one-line reason>"
    adjudicate.py status --batch 1
"""

from __future__ import annotations

import argparse
import json
import re
import sys

from label import HERE, LABELS, PASSES, _articles, _body, read_pass


def disagreements(batch: int) -> list[dict]:
    a, b = read_pass(f"A-b{batch}.jsonl"), read_pass(f"B-b{batch}.jsonl")
    pairs = [p for p in json.loads((HERE / "pairs.json").read_text()) if p["batch"] == batch]
    return [
        {**p, "A": a[p["pair_id"]], "B": b[p["pair_id"]]}
        for p in pairs
        if p["pair_id"] in a
        and p["pair_id"] in b
        and a[p["pair_id"]]["label"] != b[p["pair_id"]]["label"]
    ]


def show(batch: int, start: int, count: int) -> None:
    entities = {e["name"]: e for e in json.loads((HERE / "entities.json").read_text())}
    items = disagreements(batch)[start : start + count]
    arts = _articles({d["article_id"] for d in items})
    print(
        f"{len(disagreements(batch))} disagreements in batch {batch}; "
        f"showing {start}..{start + len(items) - 1}"
    )
    for n, d in enumerate(items, start):
        a = arts[d["article_id"]]
        e = entities[d["entity"]]
        print(
            f"==================== disagreement {n}: {d['pair_id']}  entity: {d['entity']} "
            f"({e['kind']}; also called: {', '.join(e['aliases'])}) ===================="
        )
        print(f"TITLE: {a['title']}\nOUTLET: {a['outlet']}  DATE: {a['published']}\n")
        print(_body(a["body"], [re.compile(e["pattern"])]))
        for p in ("A", "B"):
            note = d[p].get("note") or ""
            print(f"\nREADER {p}: {d[p]['label']}" + (f"  (note: {note})" if note else ""))
        print()


def write(batch: int) -> None:
    valid = {d["pair_id"] for d in disagreements(batch)}
    rows = read_pass(f"ADJ-b{batch}.jsonl")
    bad = 0
    for line in sys.stdin:
        parts = line.strip().split(maxsplit=2)
        if not parts or parts[0].startswith("#"):
            continue
        if len(parts) < 3 or parts[0] not in valid or parts[1] not in LABELS:
            print(
                "REJECTED (not a disagreement of this batch, bad label, or no reason): "
                + line.rstrip()
            )
            bad += 1
            continue
        rows[parts[0]] = {"pair_id": parts[0], "label": parts[1], "reason": parts[2]}
    path = PASSES / f"ADJ-b{batch}.jsonl"
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows.values()))
    tmp.replace(path)
    print(f"{len(rows)} of {len(valid)} disagreements decided; {bad} rejected")


def status(batch: int) -> None:
    valid = {d["pair_id"] for d in disagreements(batch)}
    done = set(read_pass(f"ADJ-b{batch}.jsonl")) & valid
    print(f"{len(done)} decided, {len(valid - done)} left: {sorted(valid - done)[:30]}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["show", "write", "status"])
    ap.add_argument("--batch", type=int, required=True)
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--count", type=int, default=10)
    a = ap.parse_args()
    {
        "show": lambda: show(a.batch, a.start, a.count),
        "write": lambda: write(a.batch),
        "status": lambda: status(a.batch),
    }[a.cmd]()


if __name__ == "__main__":
    main()
