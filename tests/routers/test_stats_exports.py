"""Dashboard stats in a time zone, and streamed CSV exports."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import httpx

from app.db import Database
from app.services.exports import safe_cell
from tests.factories import make_article

# 2026-11-20 16:30 UTC is 23:30 in Jakarta; 17:30 UTC is already the 21st there.
T0 = datetime(2026, 11, 20, 16, 30, tzinfo=UTC)


async def _seed(db: Database) -> None:
    async with db.writer.begin() as session:
        rows = [
            (T0, "negative", "a.id", "Banjir Jakarta meluas, warga mengungsi", "Polri"),
            (T0 + timedelta(minutes=10), "neutral", "a.id", "Banjir surut di Bekasi", None),
            (T0 + timedelta(hours=1), "negative", "b.id", "Jakarta banjir lagi", "Polri"),
            (T0 + timedelta(hours=1, minutes=5), None, "c.id", '=HYPERLINK("x")', None),
        ]
        for when, label, outlet, title, target in rows:
            # The scorer stores a result for every watched entity, `mentions: 0` when absent.
            absent = {"name": "KPK", "label": "neutral", "mentions": 0}
            targets = [
                absent,
                *([{"name": target, "label": "negative", "mentions": 1}] * bool(target)),
            ]
            await make_article(
                session, published_at=when, label=label, outlet=outlet, title=title, targets=targets
            )


async def test_timeline_buckets_by_local_day_and_hour(
    client: httpx.AsyncClient, db: Database, viewer: dict[str, str]
) -> None:
    await _seed(db)
    window = {"since": "2026-11-20", "until": "2026-11-21"}
    days = (
        await client.get("/v1/stats/timeline", params={**window, "interval": "day"}, headers=viewer)
    ).json()
    assert [(b["start"], b["total"]) for b in days["buckets"]] == [
        ("2026-11-20T00:00:00+07:00", 2),
        ("2026-11-21T00:00:00+07:00", 2),
    ]
    assert days["buckets"][0]["negative"] == 1 and days["buckets"][1]["unscored"] == 1
    utc = (
        await client.get(
            "/v1/stats/timeline",
            params={**window, "interval": "day", "tz": "UTC"},
            headers=viewer,
        )
    ).json()
    assert [b["total"] for b in utc["buckets"]] == [4, 0]
    hours = (
        await client.get(
            "/v1/stats/timeline",
            params={"since": "2026-11-20T23:00:00", "until": "2026-11-21T01:00:00"},
            headers=viewer,
        )
    ).json()
    assert [(b["start"], b["total"]) for b in hours["buckets"]] == [
        ("2026-11-20T23:00:00+07:00", 2),
        ("2026-11-21T00:00:00+07:00", 2),
    ]
    too_long = await client.get(
        "/v1/stats/timeline", params={"since": "2026-01-01", "interval": "hour"}, headers=viewer
    )
    assert too_long.status_code == 422


async def test_share_terms_entities_and_304(
    client: httpx.AsyncClient, db: Database, viewer: dict[str, str]
) -> None:
    await _seed(db)
    window = {"since": "2026-11-20", "until": "2026-11-21"}
    share = await client.get("/v1/stats/share-of-voice", params=window, headers=viewer)
    body = share.json()
    assert body["total"] == 4
    assert body["items"][0] == {"key": "a.id", "count": 2, "negative": 1, "share": 0.5}
    terms = (await client.get("/v1/stats/top-terms", params=window, headers=viewer)).json()
    assert terms["items"][:2] == [
        {"term": "banjir", "articles": 3},
        {"term": "jakarta", "articles": 2},
    ]
    assert all(t["term"] not in ("di", "lagi") for t in terms["items"])
    entities = (await client.get("/v1/stats/top-entities", params=window, headers=viewer)).json()
    assert entities["items"] == [{"name": "Polri", "mentions": 2, "negative": 2}]
    again = await client.get(
        "/v1/stats/share-of-voice",
        params=window,
        headers={**viewer, "If-None-Match": share.headers["etag"]},
    )
    assert again.status_code == 304


async def test_article_export_streams_every_row_safely(
    client: httpx.AsyncClient, db: Database, viewer: dict[str, str]
) -> None:
    await _seed(db)
    async with db.writer.begin() as session:
        for n in range(2100):  # more than two export batches
            await make_article(session, title=f"Berita {n}", published_at=T0 - timedelta(days=3))
    response = await client.get("/v1/exports/articles.csv", headers=viewer)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert len(rows) == 2104 and len({r["id"] for r in rows}) == 2104
    formula = next(r for r in rows if "HYPERLINK" in r["title"])
    assert formula["title"].startswith("'=")
    filtered = await client.get(
        "/v1/exports/articles.csv", params={"label": "negative"}, headers=viewer
    )
    assert len(list(csv.DictReader(io.StringIO(filtered.text.lstrip("\ufeff"))))) == 2


async def test_issue_export_and_csv_cell_rules(
    client: httpx.AsyncClient, viewer: dict[str, str]
) -> None:
    response = await client.get("/v1/exports/issues.csv", headers=viewer)
    assert response.status_code == 200 and response.text.lstrip("\ufeff").startswith("id,title")
    assert [safe_cell(v) for v in ("+1", "-x", "@a", "=1", "ok", 0.5, None, -2)] == [
        "'+1",
        "'-x",
        "'@a",
        "'=1",
        "ok",
        "0.5",
        "",
        "-2",
    ]
