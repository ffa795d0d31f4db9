"""Build labels/tone-id/labels.jsonl from the two passes and the adjudication.

A pair's label is the readers' label when they agree, else the third reader's decision; a pair
is left out when it is a skip, when a pass did not label it, or when its disagreement is not yet
decided. Rows follow `pantau scoring export-labels` (article_id, label, targets), without the
article text (CLICK-ID's publishers own it): training takes the text from the corpus by id.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict

from label import HERE, read_pass

BY = "reading: two independent passes, third reader on disagreements"


def main() -> None:
    entities = {e["name"]: e for e in json.loads((HERE / "entities.json").read_text())}
    pairs = json.loads((HERE / "pairs.json").read_text())
    per_article: dict[str, list[dict]] = defaultdict(list)
    meta: dict[str, dict] = {}
    tally: Counter[str] = Counter()
    for b in sorted({p["batch"] for p in pairs}):
        a, bb, adj = (
            read_pass(f"A-b{b}.jsonl"),
            read_pass(f"B-b{b}.jsonl"),
            read_pass(f"ADJ-b{b}.jsonl"),
        )
        for p in (p for p in pairs if p["batch"] == b):
            k = p["pair_id"]
            if k not in a or k not in bb:
                tally["not labelled by both passes"] += 1
                continue
            if a[k]["label"] == bb[k]["label"]:
                label, how = a[k]["label"], "agreed"
            elif k in adj:
                label, how = adj[k]["label"], "adjudicated"
            else:
                tally["disagreement not yet adjudicated"] += 1
                continue
            if label == "skip":
                tally["skip"] += 1
                continue
            tally[label] += 1
            tally[f"split {p['split']}"] += 1
            e = entities[p["entity"]]
            per_article[p["article_id"]].append(
                {
                    "name": e["name"],
                    "aliases": e["aliases"],
                    "kind": e["kind"],
                    "label": label,
                    "pair_id": k,
                    "how": how,
                }
            )
            meta[p["article_id"]] = {"split": p["split"], "group": p["group"], "batch": b}
    out = HERE.parent / "labels.jsonl"
    with out.open("w", encoding="utf-8") as fh:
        for aid in sorted(per_article):
            fh.write(
                json.dumps(
                    {
                        "article_id": aid,
                        "label": None,
                        "targets": per_article[aid],
                        "split": meta[aid]["split"],
                        "story_group": meta[aid]["group"],
                        "labelled_by": BY,
                        "note": f"CLICK-ID article, batch {meta[aid]['batch']}",
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
    print(
        f"{len(per_article)} articles, {sum(len(v) for v in per_article.values())} pairs -> {out}"
    )
    print(dict(sorted(tally.items())))


if __name__ == "__main__":
    main()
