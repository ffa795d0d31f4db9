"""The team's feed: scoped to active watchlists and open issues unless asked; `watchlist=`
filters; unknown query parameters are refused on every route."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from app.db import Database
from tests.factories import link as put
from tests.factories import make_article, make_issue, make_watchlist
from tests.routers.test_conditional_gate import _client as _gate_client

BASE = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)


async def _seed(db: Database) -> tuple[dict[str, int], dict[str, int]]:
    """Issues: watched new / escalated / dismissed / resolved, one unwatched, one matched only
    by an inactive watchlist, one by the second watchlist."""
    ids: dict[str, int] = {}
    lists: dict[str, int] = {}
    async with db.writer.begin() as session:
        kpk = await make_watchlist(session, name="KPK")
        dpr = await make_watchlist(session, name="DPR")
        paused = await make_watchlist(session, name="Lama", active=False)
        lists |= {"kpk": kpk.id, "dpr": dpr.id, "paused": paused.id}
        plan = [
            ("new", "new", (kpk,), 40.0),
            ("escalated", "escalated", (kpk, dpr), 70.0),
            ("dismissed", "dismissed", (kpk,), 95.0),
            ("resolved", "resolved", (kpk,), 90.0),
            ("unwatched", "new", (), 99.0),  # the Saudi Aramco story nobody watches
            ("paused", "new", (paused,), 80.0),
            ("dpr", "monitoring", (dpr,), 20.0),
        ]
        for n, (name, status, hits, severity) in enumerate(plan):
            issue = await make_issue(
                session, status=status, severity=severity, last_seen_at=BASE + timedelta(hours=n)
            )
            article = await make_article(session, published_at=BASE + timedelta(hours=n))
            await put(session, issue=issue, article=article, watchlists=hits)
            ids[name] = issue.id
    return ids, lists


def _names(ids: dict[str, int], items: list[dict[str, object]]) -> set[str]:
    by_id = {v: k for k, v in ids.items()}
    return {by_id[int(str(i["id"]))] for i in items}


async def test_default_feed_is_watched_open_issues_and_scope_all_widens_it(
    client: httpx.AsyncClient, db: Database, viewer: dict[str, str]
) -> None:
    ids, lists = await _seed(db)

    async def listed(**params: object) -> set[str]:
        response = await client.get("/v1/issues", params=params, headers=viewer)
        assert response.status_code == 200, response.text
        return _names(ids, response.json()["items"])

    assert await listed() == {"new", "escalated", "dpr"}
    top = (await client.get("/v1/issues?sort=-severity", headers=viewer)).json()["items"]
    assert top[0]["id"] == ids["escalated"]  # not the unwatched 99, not the dismissed 95
    assert await listed(status="dismissed") == {"dismissed"}
    assert await listed(status=["dismissed", "resolved"]) == {"dismissed", "resolved"}
    assert await listed(scope="all") == set(ids)
    assert await listed(scope="all", status="new") == {"new", "unwatched", "paused"}
    assert await listed(watchlist=lists["dpr"]) == {"escalated", "dpr"}
    assert await listed(watchlist=lists["paused"]) == {"paused"}  # asked for by id
    assert await listed(watchlist=[lists["kpk"]], scope="all") == {
        "new",
        "escalated",
        "dismissed",
        "resolved",
    }
    bad = await client.get("/v1/issues", params={"scope": "mine"}, headers=viewer)
    assert bad.status_code == 422


async def test_issues_csv_has_the_same_scope_and_watchlist_filter(
    client: httpx.AsyncClient, db: Database, viewer: dict[str, str]
) -> None:
    ids, lists = await _seed(db)

    async def exported(**params: object) -> set[str]:
        response = await client.get("/v1/exports/issues.csv", params=params, headers=viewer)
        assert response.status_code == 200, response.text
        rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
        return _names(ids, [{"id": r["id"]} for r in rows])

    assert await exported() == {"new", "escalated", "dpr"}
    assert await exported(watchlist=lists["dpr"]) == {"escalated", "dpr"}
    assert len(await exported(scope="all")) == 7


async def test_articles_and_stats_take_a_watchlist_filter(
    client: httpx.AsyncClient, db: Database, viewer: dict[str, str]
) -> None:
    _, lists = await _seed(db)
    window = {"since": "2026-11-19", "until": "2026-11-22", "watchlist": lists["dpr"]}
    articles = await client.get("/v1/articles", params=window, headers=viewer)
    assert len(articles.json()["items"]) == 2
    timeline = await client.get(
        "/v1/stats/timeline", params={**window, "interval": "day"}, headers=viewer
    )
    assert sum(b["total"] for b in timeline.json()["buckets"]) == 2


@pytest.mark.parametrize(
    "path",
    [
        "/v1/issues?watchlist=1&bogus=3",
        "/v1/articles?bogus=3",
        "/v1/stats/top-entities?watchlsit=1",
        "/v1/exports/issues.csv?bogus=3",
        "/v1/sources?bogus=3",
        "/v1/issues/1/events?bogus=3",
        "/v1/entities?bogus=3",
    ],
)
async def test_unknown_query_parameters_answer_422_naming_them(
    client: httpx.AsyncClient, db: Database, admin: dict[str, str], path: str
) -> None:
    await _seed(db)
    response = await client.get(path, headers=admin)
    assert response.status_code == 422, response.text
    problem = response.json()
    unknown = path.split("&")[-1].split("?")[-1].split("=")[0]
    assert problem["unknown"] == [unknown] and repr(unknown) in problem["detail"]
    assert unknown not in problem["known"]


async def test_known_parameters_listed_come_from_the_route_and_its_dependencies(
    client: httpx.AsyncClient, db: Database, viewer: dict[str, str]
) -> None:
    response = await client.get("/v1/stats/top-entities?nope=1", headers=viewer)
    known = set(response.json()["known"])
    assert {"limit", "watchlist", "entity", "since", "until", "tz", "q"} <= known
    assert (await client.get("/v1/stats/top-entities?limit=3", headers=viewer)).status_code == 200


async def test_the_pre_routing_gate_never_answers_for_unknown_parameters(
    db: Database, viewer: dict[str, str]
) -> None:
    async with _gate_client(db) as client:
        assert (await client.get("/v1/issues", headers=viewer)).status_code == 200  # key cached
        star = {**viewer, "If-None-Match": "*"}
        assert (await client.get("/v1/issues", headers=star)).status_code == 304
        refused = await client.get("/v1/issues?bogus=1", headers=star)
        assert refused.status_code == 422 and refused.json()["unknown"] == ["bogus"]
