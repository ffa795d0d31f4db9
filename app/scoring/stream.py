"""The JSON-lines scoring contract behind ``pantau score`` (stdin -> stdout, input order).

In:  {"id": ..., "text": "...", "title": optional, "targets": optional ["name", ...],
      "kind": optional "post" or "article" (a post is read by the informal model)}
Out: {"id": ..., "label": ..., "negativity": ..., "language": ...,
      "targets": [{"name": ..., "label": ..., "negativity": ...}]}
A bad line (invalid JSON, no text) yields {"id": <id or null>, "error": "reason"} instead.
Blank lines are skipped. Lines are read and scored in batches, so memory stays flat.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import IO, Any

from app.scoring.encoder import Encoder
from app.scoring.result import Entity
from app.scoring.scorer import Scorer

BATCH_SIZE = 256


class BadLineError(ValueError):
    def __init__(self, reason: str, item_id: Any = None) -> None:
        super().__init__(reason)
        self.item_id = item_id


Parsed = tuple[Any, str | None, str, tuple[Entity, ...], str | None]


def parse_line(line: str) -> Parsed:
    """(id, title, text, entities, kind) of one input line; raises BadLineError with the
    reason."""
    try:
        obj = json.loads(line)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise BadLineError(f"invalid JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise BadLineError("line is not a JSON object")
    item_id = obj.get("id")
    text = obj.get("text")
    if not isinstance(text, str):
        raise BadLineError("missing text" if text is None else "text must be a string", item_id)
    title = obj.get("title")
    if title is not None and not isinstance(title, str):
        raise BadLineError("title must be a string", item_id)
    kind = obj.get("kind")
    if kind is not None and not isinstance(kind, str):
        raise BadLineError("kind must be a string", item_id)
    return item_id, title, text, _entities(obj.get("targets"), item_id), kind


def _entities(raw: Any, item_id: Any) -> tuple[Entity, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise BadLineError("targets must be a list of names", item_id)
    out = []
    for entry in raw:
        if isinstance(entry, str) and entry.strip():
            out.append(Entity(entry.strip()))
        elif isinstance(entry, dict) and isinstance(entry.get("name"), str):
            aliases = entry.get("aliases") or []
            if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
                raise BadLineError("target aliases must be a list of strings", item_id)
            out.append(Entity(entry["name"], tuple(aliases)))
        else:
            raise BadLineError("each target must be a non-empty name", item_id)
    return tuple(out)


def score_lines(lines: Iterable[str], scorer: Scorer) -> Iterator[dict[str, Any]]:
    """Output objects for a batch of input lines, in order."""
    parsed: list[Parsed | BadLineError] = []
    for line in lines:
        try:
            parsed.append(parse_line(line))
        except BadLineError as exc:
            parsed.append(exc)
    good = [p for p in parsed if not isinstance(p, BadLineError)]
    scores = iter(
        scorer.score_many(
            [(t, x, e) for _, t, x, e, _ in good],
            explain=False,
            kinds=[k for *_, k in good],
        )
    )
    for item in parsed:
        if isinstance(item, BadLineError):
            yield {"id": _jsonable_id(item.item_id), "error": str(item)}
            continue
        score = next(scores)
        yield {
            "id": item[0],
            "label": score.label,
            "negativity": score.negativity,
            "language": score.language,
            "targets": [
                {"name": t.name, "label": t.label, "negativity": t.negativity}
                for t in score.targets
            ],
        }


def _jsonable_id(item_id: Any) -> Any:
    try:
        json.dumps(item_id)
    except (TypeError, ValueError):
        return None
    return item_id


def run_score_stream(
    stdin: IO[str], stdout: IO[str], scorer: Scorer, *, encoder_threads: int | None = None
) -> int:
    """Score JSON lines from ``stdin`` to ``stdout``; returns the exit code (0).

    One process reads the stream, so the sentence encoder (English mentions) may use every
    core: the command passes `Settings.encoder_threads_for(one_process=True)`."""
    if encoder_threads is not None:
        Encoder.use_threads(encoder_threads)
    lines = (line for line in stdin if line.strip())
    while batch := list(islice(lines, BATCH_SIZE)):
        for obj in score_lines(batch, scorer):
            stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
        stdout.flush()
    return 0
