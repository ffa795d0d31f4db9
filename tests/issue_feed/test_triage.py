"""Triage over the API: the state machine and its audit trail, merge and split (with the
sync tombstone), reopen-on-rise, and query-language errors."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise
from typing import Any

import httpx
from sqlalchemy import select

from app.db import Database
from app.feed.query import QuerySyntaxError, parse
from app.models import IssueArticle, utcnow
from app.pipeline.cluster import ClusterStage
from app.pipeline.match import MatchStage
from app.services.feed_config import FeedConfig
from tests.factories import make_article
from tests.routers.test_issue_sync import _sync as follow_sync

FLOOD = (
    "Banjir besar merendam ribuan rumah warga di Jakarta Utara dan menewaskan tiga orang. "
    "Warga mengeluhkan lambannya evakuasi dan bantuan yang tidak kunjung datang."
)
CALM = "Pemprov DKI meresmikan taman kota baru di Jakarta Utara yang ramah anak dan lansia."


async def _articles(
    db: Database, titles: list[str], *, body: str, label: str, negativity: float, hours: float = 0
) -> list[int]:
    """Scored articles (label given: the scorer is not under test here), then matched and
    clustered by the stages."""
    now = utcnow() - timedelta(hours=hours)
    async with db.writer.begin() as session:
        ids = []
        for n, title in enumerate(titles):
            article = await make_article(
                session,
                title=title,
                body=body,
                outlet=f"outlet{n % 3}.example.id",
                published_at=now + timedelta(minutes=n),
                label=label,
                negativity=negativity,
                scored_at=now,
                model_version="test",
            )
            ids.append(article.id)
    return ids


async def _cluster(db: Database, config: FeedConfig | None = None) -> None:
    await MatchStage(db, batch_size=500).run_pending()
    await ClusterStage(db, feed=config or FeedConfig(), batch_size=500).run_pending()


async def _issue_of(db: Database, article_id: int) -> int:
    async with db.sessionmaker() as session:
        found = await session.scalar(
            select(IssueArticle.issue_id).where(IssueArticle.article_id == article_id)
        )
        assert found is not None
        return int(found)


async def _patch(
    client: httpx.AsyncClient, headers: dict[str, str], issue_id: int, **body: Any
) -> httpx.Response:
    return await client.patch(f"/v1/issues/{issue_id}", json=body, headers=headers)


async def test_triage_state_machine_and_audit_trail(
    client: httpx.AsyncClient, db: Database, analyst: dict[str, str], viewer: dict[str, str]
) -> None:
    (article,) = await _articles(
        db, ["Banjir Rendam Jakarta Utara"], body=FLOOD, label="negative", negativity=0.8
    )
    await _cluster(db)
    issue_id = await _issue_of(db, article)

    assert (await _patch(client, viewer, issue_id, status="monitoring")).status_code == 403
    ok = await _patch(
        client, analyst, issue_id, status="monitoring", assignee="rina", comment="dipantau"
    )
    assert ok.status_code == 200 and ok.json()["status"] == "monitoring"
    assert ok.json()["assignee"] == "rina"
    back = await _patch(client, analyst, issue_id, status="new")
    assert back.status_code == 409 and back.json()["type"].endswith("/conflict")
    assert back.json()["allowed"] == ["dismissed", "escalated", "resolved"]
    no_reason = await _patch(client, analyst, issue_id, status="dismissed")
    assert no_reason.status_code == 422
    for status in ("escalated", "resolved", "monitoring"):
        assert (await _patch(client, analyst, issue_id, status=status)).status_code == 200
    dismissed = await _patch(
        client, analyst, issue_id, status="dismissed", dismissed_reason="not_relevant"
    )
    assert dismissed.json()["dismissed_reason"] == "not_relevant"
    assert (await _patch(client, analyst, issue_id, status="resolved")).status_code == 409
    await _patch(client, analyst, issue_id, notes="Sudah dijawab humas.")
    await _patch(client, analyst, issue_id, assignee="")

    events = (await client.get(f"/v1/issues/{issue_id}/events", headers=viewer)).json()["items"]
    trail = [(e["action"], e["from_value"], e["to_value"]) for e in events]
    assert trail == [
        ("created", None, None),
        ("status", "new", "monitoring"),
        ("assignee", None, "rina"),
        ("status", "monitoring", "escalated"),
        ("status", "escalated", "resolved"),
        ("status", "resolved", "monitoring"),
        ("status", "monitoring", "dismissed"),
        ("notes", None, "Sudah dijawab humas."),
        ("assignee", "rina", None),
    ]
    assert {e["actor"] for e in events[1:]} == {"test analyst"} and events[0]["actor"] == "system"
    assert events[1]["reason"] == "dipantau"
    assert events[6]["details"]["dismissed_reason"] == "not_relevant"
    assert all(a["at"] <= b["at"] for a, b in pairwise(events))


async def test_a_comment_alone_is_an_event_and_a_patch_that_changes_nothing_is_422(
    client: httpx.AsyncClient, db: Database, analyst: dict[str, str], viewer: dict[str, str]
) -> None:
    (article,) = await _articles(
        db, ["Banjir Rendam Jakarta Utara"], body=FLOOD, label="negative", negativity=0.8
    )
    await _cluster(db)
    issue_id = await _issue_of(db, article)

    said = await _patch(client, analyst, issue_id, comment="  Humas sudah dihubungi  ")
    assert said.status_code == 200 and said.json()["status"] == "new"
    # The same status again with a comment: the comment is kept, as its own event.
    again = await _patch(client, analyst, issue_id, status="new", comment="Menunggu klarifikasi")
    assert again.status_code == 200
    moved = await _patch(client, analyst, issue_id, status="monitoring", comment="Dipantau")
    assert moved.status_code == 200
    for nothing in ({}, {"status": "monitoring"}, {"comment": "   "}, {"assignee": ""}):
        refused = await _patch(client, analyst, issue_id, **nothing)
        assert refused.status_code == 422, (nothing, refused.text)
        assert "nothing to change" in refused.json()["detail"]

    events = (await client.get(f"/v1/issues/{issue_id}/events", headers=viewer)).json()["items"]
    assert [(e["action"], e["reason"]) for e in events[1:]] == [
        ("comment", "Humas sudah dihubungi"),
        ("comment", "Menunggu klarifikasi"),
        ("status", "Dipantau"),
    ]
    detail = (await client.get(f"/v1/issues/{issue_id}", headers=viewer)).json()
    assert [(c["action"], c["text"], c["actor"]) for c in detail["comments"]] == [
        ("comment", "Humas sudah dihubungi", "test analyst"),
        ("comment", "Menunggu klarifikasi", "test analyst"),
        ("status", "Dipantau", "test analyst"),
    ]


async def test_merge_leaves_a_tombstone_and_split_makes_a_new_issue(
    client: httpx.AsyncClient, db: Database, analyst: dict[str, str], viewer: dict[str, str]
) -> None:
    flood = await _articles(
        db,
        ["Banjir Rendam Jakarta Utara", "Banjir Jakarta Utara Tewaskan Tiga Warga"],
        body=FLOOD,
        label="negative",
        negativity=0.8,
    )
    park = await _articles(
        db, ["Taman Kota Baru Diresmikan"], body=CALM, label="positive", negativity=0.1
    )
    await _cluster(db)
    flood_issue, park_issue = await _issue_of(db, flood[0]), await _issue_of(db, park[0])
    assert flood_issue == await _issue_of(db, flood[1]) != park_issue
    _, cursor = await follow_sync(client, viewer, "0")

    merged = await client.post(
        f"/v1/issues/{park_issue}/merge", json={"into": flood_issue}, headers=analyst
    )
    assert merged.status_code == 200 and merged.json()["article_count"] == 3
    synced, _ = await follow_sync(client, viewer, cursor)  # waits out other transactions
    assert {"id": park_issue, "deleted": True, "merged_into": flood_issue} in synced
    listed = (await client.get("/v1/issues?scope=all", headers=viewer)).json()["items"]
    assert [i["id"] for i in listed] == [flood_issue]
    again = await client.post(
        f"/v1/issues/{park_issue}/merge", json={"into": flood_issue}, headers=analyst
    )
    assert again.status_code == 409

    split = await client.post(
        f"/v1/issues/{flood_issue}/split", json={"article_ids": park}, headers=analyst
    )
    assert split.status_code == 201
    new_issue = split.json()
    assert new_issue["article_count"] == 1 and new_issue["title"] == "Taman Kota Baru Diresmikan"
    assert await _issue_of(db, park[0]) == new_issue["id"]
    left = (await client.get(f"/v1/issues/{flood_issue}", headers=viewer)).json()
    assert left["article_count"] == 2 and "banjir" in left["top_terms"]
    stranger = await client.post(
        f"/v1/issues/{flood_issue}/split", json={"article_ids": park}, headers=analyst
    )
    assert stranger.status_code == 422
    everything = await client.post(
        f"/v1/issues/{flood_issue}/split", json={"article_ids": flood}, headers=analyst
    )
    assert everything.status_code == 422
    events = (await client.get(f"/v1/issues/{flood_issue}/events", headers=viewer)).json()
    # The merged issue's own trail is read through the survivor (tests/issue_feed/
    # test_merged_events.py); each event keeps the issue it was made on.
    assert [(e["issue_id"], e["action"]) for e in events["items"]] == [
        (flood_issue, "created"),
        (park_issue, "created"),
        (park_issue, "merged"),
        (flood_issue, "merged_from"),
        (flood_issue, "split"),
    ]


async def test_dismissed_issue_reopens_only_when_severity_rises_past_the_margin(
    client: httpx.AsyncClient, db: Database, analyst: dict[str, str], viewer: dict[str, str]
) -> None:
    config = FeedConfig(reopen_margin=20)
    title = "Banjir Rendam Jakarta Utara"
    first = await _articles(db, [title], body=FLOOD, label="neutral", negativity=0.2, hours=2)
    await _cluster(db, config)
    issue_id = await _issue_of(db, first[0])
    dismissed = await _patch(
        client, analyst, issue_id, status="dismissed", dismissed_reason="false_positive"
    )
    before = dismissed.json()["severity"]

    # One more calm report: a little more volume, still below the margin.
    await _articles(db, [title], body=FLOOD, label="neutral", negativity=0.2, hours=1)
    await _cluster(db, config)
    issue = (await client.get(f"/v1/issues/{issue_id}", headers=viewer)).json()
    assert issue["article_count"] == 2 and issue["status"] == "dismissed"
    assert issue["severity"] < before + 20

    # A burst of negative coverage of the same flood: past the margin, so it reopens.
    await _articles(db, [title] * 8, body=FLOOD, label="negative", negativity=0.95)
    await _cluster(db, config)
    issue = (await client.get(f"/v1/issues/{issue_id}", headers=viewer)).json()
    assert issue["article_count"] == 10
    assert issue["severity"] >= before + 20
    assert issue["status"] == "new" and issue["dismissed_reason"] is None
    events = (await client.get(f"/v1/issues/{issue_id}/events", headers=viewer)).json()["items"]
    reopened = events[-1]
    assert reopened["action"] == "reopened" and reopened["actor"] == "system"
    assert (reopened["from_value"], reopened["to_value"]) == ("dismissed", "new")
    assert "reopen margin 20" in reopened["reason"]


async def test_query_syntax_errors_answer_422_with_position(
    client: httpx.AsyncClient, analyst: dict[str, str], viewer: dict[str, str]
) -> None:
    for query in ("(banjir OR rob", "title:text:banjir", "korup*si", 'entity:"Tidak Ada"', "NOT x"):
        try:
            parse(query)
            raise AssertionError(query)
        except QuerySyntaxError as exc:
            expected = exc
        for path, headers in (("/v1/watchlists", analyst), ("/v1/watchlists/test", viewer)):
            response = await client.post(path, json={"name": "w", "query": query}, headers=headers)
            assert response.status_code == 422, (path, query)
            body = response.json()
            assert response.headers["content-type"].startswith("application/problem+json")
            assert body["type"].endswith("/invalid-query")
            assert (body["position"], body["expected"]) == (expected.position, expected.expected)
    fine = await client.post("/v1/watchlists/test", json={"query": "banjir OR rob"}, headers=viewer)
    assert fine.status_code == 200 and fine.json()["terms"] == ["banjir", "rob"]
