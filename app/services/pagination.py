"""Opaque keyset cursors: (sort value, id) pairs, base64url-encoded JSON."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import InstrumentedAttribute

from app.errors import InvalidInput


def encode_cursor(*values: Any) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    raw = json.dumps(plain, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, *, kinds: tuple[type, ...]) -> tuple[Any, ...]:
    """Decode a cursor whose parts have the given types (datetime, int, float, str)."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list) or len(values) != len(kinds):
            raise ValueError("wrong shape")
        out: list[Any] = []
        for value, kind in zip(values, kinds, strict=True):
            if kind is datetime:
                out.append(datetime.fromisoformat(value))
            elif kind is float:
                out.append(float(value))
            elif not isinstance(value, kind):
                raise ValueError("wrong type")
            else:
                out.append(value)
        return tuple(out)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidInput(
            "invalid cursor: pass back the next_cursor a previous page returned"
        ) from exc


@dataclass(frozen=True, slots=True)
class SortKey:
    """One whitelisted sort order: a public name, a non-null column and a direction."""

    name: str
    column: InstrumentedAttribute[Any]
    kind: type
    descending: bool = True


def sort_key(sorts: dict[str, SortKey], name: str) -> SortKey:
    try:
        return sorts[name]
    except KeyError:
        raise InvalidInput(f"unknown sort {name!r}; use one of {', '.join(sorts)}") from None


def keyset_page(
    query: Select[Any],
    *,
    sort: SortKey,
    id_column: InstrumentedAttribute[int],
    cursor: str | None,
    limit: int,
) -> Select[Any]:
    """Order by (sort column, id) and continue after `cursor`; fetches one extra row."""
    if sort.descending:
        query = query.order_by(sort.column.desc(), id_column.desc())
    else:
        query = query.order_by(sort.column.asc(), id_column.asc())
    if cursor:
        name, value, last_id = decode_cursor(cursor, kinds=(str, sort.kind, int))
        if name != sort.name:
            raise InvalidInput("this cursor belongs to another sort order; start again")
        if sort.descending:
            query = query.where(
                or_(sort.column < value, and_(sort.column == value, id_column < last_id))
            )
        else:
            query = query.where(
                or_(sort.column > value, and_(sort.column == value, id_column > last_id))
            )
    return query.limit(limit + 1)


def page_cursor(sort: SortKey, last_row: Any) -> str:
    """The cursor that continues after `last_row` (an ORM object) in `sort` order."""
    return encode_cursor(sort.name, getattr(last_row, sort.column.key), last_row.id)
