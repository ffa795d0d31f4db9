"""Choose the (article, entity) pairs to label from CLICK-ID (../shared/data/news/articles.jsonl).

Selection only: which article is read for which entity. It never decides a label. Each entity's
pattern (entities.json) finds the articles that name it; up to `cap` of them are taken in a fixed
pseudo-random order, then every entity named in a chosen article is paired with it. Articles that
tell the same story (near-duplicate bodies) share a story group, and the split is drawn per group:
no story is in two splits. Writes pairs.json.

    python labels/tone-id/tools/build_pairs.py --corpus ../shared/data/news/articles.jsonl
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _h(text: str) -> float:
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) / 2**32


def _shingles(text: str) -> set[int]:
    words = re.findall(r"\w+", text.lower())[:400]
    return {hash(" ".join(words[i : i + 5])) for i in range(max(len(words) - 4, 1))}


def story_groups(articles: list[dict]) -> dict[str, str]:
    """Union-find over articles whose first 400 words share >= 50 % of their 5-word shingles."""
    parent = {a["id"]: a["id"] for a in articles}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    sh = {a["id"]: _shingles(a["title"] + " " + a["body"]) for a in articles}
    index: dict[int, list[str]] = defaultdict(list)
    for aid, s in sh.items():
        for x in s:
            index[x].append(aid)
    for aid, s in sh.items():
        seen: dict[str, int] = defaultdict(int)
        for x in s:
            for other in index[x]:
                if other != aid:
                    seen[other] += 1
        for other, n in seen.items():
            if n / max(1, min(len(s), len(sh[other]))) >= 0.5:
                parent[find(aid)] = find(other)
    return {aid: find(aid) for aid in parent}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=Path("../shared/data/news/articles.jsonl"))
    ap.add_argument("--out", type=Path, default=HERE / "pairs.json")
    ap.add_argument("--batches", type=int, default=6)
    ap.add_argument(
        "--extend",
        type=float,
        default=0.0,
        help="keep pairs.json and add the articles that caps times this factor choose, "
        "as new batches of --batch-size articles",
    )
    ap.add_argument("--batch-size", type=int, default=190)
    args = ap.parse_args()
    if args.extend:
        extend(args)
        return
    entities = json.loads((HERE / "entities.json").read_text())
    articles = [json.loads(line) for line in args.corpus.open(encoding="utf-8")]
    rx = {e["name"]: re.compile(e["pattern"]) for e in entities}
    named: dict[str, list[str]] = {}
    for a in articles:
        text = a["title"] + "\n" + a["body"]
        named[a["id"]] = [e["name"] for e in entities if rx[e["name"]].search(text)]
    chosen: set[str] = set()
    for e in entities:
        having = sorted(
            (a["id"] for a in articles if e["name"] in named[a["id"]]),
            key=lambda i: _h("pick-" + e["name"] + i),
        )
        chosen.update(having[: e["cap"]])
    groups = story_groups([a for a in articles if a["id"] in chosen])
    order = sorted(chosen, key=lambda i: _h("order-" + i))
    pairs = []
    for n, aid in enumerate(order):
        g = groups[aid]
        r = _h("pantau-tone-" + g)
        split = "test" if r < 0.21 else "validation" if r < 0.33 else "train"
        for name in named[aid]:
            pairs.append(
                {
                    "pair_id": f"p{len(pairs):05d}",
                    "article_id": aid,
                    "entity": name,
                    "group": g,
                    "split": split,
                    "batch": 1 + n * args.batches // len(order),
                }
            )
    args.out.write_text(json.dumps(pairs, ensure_ascii=False, indent=0) + "\n")
    by_split: dict[str, int] = defaultdict(int)
    for p in pairs:
        by_split[p["split"]] += 1
    print(
        len(chosen),
        "articles",
        len(pairs),
        "pairs",
        dict(by_split),
        sum(1 for g in set(groups.values()) if list(groups.values()).count(g) > 1),
        "multi-article groups",
    )


def extend(args: argparse.Namespace) -> None:
    """Round 2: more articles per entity; earlier pairs, ids, batches and splits stay."""
    entities = json.loads((HERE / "entities.json").read_text())
    old = json.loads(args.out.read_text())
    articles = [json.loads(line) for line in args.corpus.open(encoding="utf-8")]
    rx = {e["name"]: re.compile(e["pattern"]) for e in entities}
    named = {
        a["id"]: [
            e["name"] for e in entities if rx[e["name"]].search(a["title"] + "\n" + a["body"])
        ]
        for a in articles
    }
    before = {p["article_id"] for p in old}
    chosen = set(before)
    for e in entities:
        having = sorted(
            (a["id"] for a in articles if e["name"] in named[a["id"]]),
            key=lambda i: _h("pick-" + e["name"] + i),
        )
        chosen.update(having[: int(e["cap"] * args.extend)])
    groups = story_groups([a for a in articles if a["id"] in chosen])
    old_split = {groups[p["article_id"]]: p["split"] for p in old}
    # New articles, and earlier articles that name an entity added since (their new pairs).
    paired = {(p["article_id"], p["entity"]) for p in old}
    split_of = {p["article_id"]: p["split"] for p in old}
    todo = [i for i in chosen if any((i, name) not in paired for name in named[i])]
    new = sorted(todo, key=lambda i: _h("order-" + i))
    first = max(p["batch"] for p in old) + 1
    n_batches = max(1, round(len(new) / args.batch_size))
    pairs = list(old)
    for n, aid in enumerate(new):
        g = groups[aid]
        r = _h("pantau-tone-" + g)
        split = (
            split_of.get(aid)
            or old_split.get(g)
            or ("test" if r < 0.21 else "validation" if r < 0.33 else "train")
        )
        for name in (x for x in named[aid] if (aid, x) not in paired):
            pairs.append(
                {
                    "pair_id": f"p{len(pairs):05d}",
                    "article_id": aid,
                    "entity": name,
                    "group": g,
                    "split": split,
                    "batch": first + n * n_batches // len(new),
                }
            )
    args.out.write_text(json.dumps(pairs, ensure_ascii=False, indent=0) + "\n")
    added = pairs[len(old) :]
    print(
        len(new),
        "articles added,",
        len(added),
        "pairs, batches",
        first,
        "to",
        first + n_batches - 1,
    )


if __name__ == "__main__":
    main()
