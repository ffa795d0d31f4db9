"""`one_of`: IN on SQLite, = ANY(array) on PostgreSQL; the same rows either way."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, select

from app.db import Database, one_of
from app.models import Article
from tests.factories import make_article


async def test_one_of_selects_the_listed_rows_with_one_parameter_on_postgresql(
    db: Database, backend: str
) -> None:
    async with db.writer.begin() as session:
        ids = [(await make_article(session)).id for _ in range(6)]
    wanted = [ids[0], ids[2], ids[5], 10**6]  # an id that no row has
    sent: list[Any] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if statement.startswith("SELECT"):
            sent.append(parameters)

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        async with db.sessionmaker() as session:
            found = await session.scalars(
                select(Article.id).where(one_of(session, Article.id, wanted)).order_by(Article.id)
            )
            assert list(found) == [ids[0], ids[2], ids[5]]
            none = await session.scalars(select(Article.id).where(one_of(session, Article.id, [])))
            assert list(none) == []
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)
    if backend == "postgresql":
        assert [len(p) for p in sent] == [1, 1]  # the list travels as one array parameter
        assert list(sent[0][0]) == wanted
    else:
        assert len(sent[0]) == len(wanted)
