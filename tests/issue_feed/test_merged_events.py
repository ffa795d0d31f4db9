"""Nothing an analyst wrote is lost when issues merge or rows go: the surviving issue shows the
merged issues' comments and triage events, a merged-away issue points at its survivor, and the
database refuses to delete an issue that carries analyst work (no cascade)."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from app.db import Database
from app.models import Issue, IssueArticle, IssueEvent, IssueResponse, utcnow
from tests.issue_feed.test_triage import CALM, FLOOD, _articles, _cluster, _issue_of, _patch

QUAKE = (
    "Gempa magnitudo 5,6 mengguncang Cianjur, puluhan rumah rusak berat dan warga mengungsi "
    "ke tenda darurat di lapangan desa."
)


async def _three_issues(db: Database) -> tuple[int, int, int]:
    flood = await _articles(
        db, ["Banjir Rendam Jakarta Utara"], body=FLOOD, label="negative", negativity=0.8
    )
    park = await _articles(
        db, ["Taman Kota Baru Diresmikan"], body=CALM, label="positive", negativity=0.1
    )
    quake = await _articles(
        db, ["Gempa Guncang Cianjur"], body=QUAKE, label="negative", negativity=0.7
    )
    await _cluster(db)
    ids = (
        await _issue_of(db, flood[0]),
        await _issue_of(db, park[0]),
        await _issue_of(db, quake[0]),
    )
    assert len(set(ids)) == 3
    return ids


async def test_survivor_shows_the_merged_issues_comments_and_triage(
    client: httpx.AsyncClient, db: Database, analyst: dict[str, str], viewer: dict[str, str]
) -> None:
    flood, park, quake = await _three_issues(db)
    assert (await _patch(client, analyst, park, comment="Humas taman dihubungi")).status_code == 200
    moved = await _patch(
        client, analyst, park, status="monitoring", assignee="rina", comment="Dipantau"
    )
    assert moved.status_code == 200
    assert (await _patch(client, analyst, quake, comment="BNPB sudah rilis")).status_code == 200

    # park -> quake, then quake -> flood: flood carries both histories.
    for source, into, why in (
        (park, quake, "Sama dengan isu gempa"),
        (quake, flood, "Digabung ke banjir"),
    ):
        merged = await client.post(
            f"/v1/issues/{source}/merge", json={"into": into, "comment": why}, headers=analyst
        )
        assert merged.status_code == 200, merged.text

    events = (await client.get(f"/v1/issues/{flood}/events", headers=viewer)).json()["items"]
    trail = [(e["issue_id"], e["action"], e["reason"]) for e in events if e["actor"] != "system"]
    assert (park, "comment", "Humas taman dihubungi") in trail
    assert (park, "status", "Dipantau") in trail
    assert (park, "assignee", "Dipantau") in trail
    assert (quake, "comment", "BNPB sudah rilis") in trail
    assert [e["from_value"] for e in events if e["action"] == "merged_from"] == [
        str(park),
        str(quake),
    ]
    assert [e["id"] for e in events] == sorted(e["id"] for e in events)

    detail = (await client.get(f"/v1/issues/{flood}", headers=viewer)).json()
    said = [(c["issue_id"], c["action"], c["text"]) for c in detail["comments"]]
    assert said == [
        (park, "comment", "Humas taman dihubungi"),
        (park, "status", "Dipantau"),
        (park, "assignee", "Dipantau"),
        (quake, "comment", "BNPB sudah rilis"),
        (park, "merged", "Sama dengan isu gempa"),
        (quake, "merged", "Digabung ke banjir"),
    ]


async def test_a_merged_issue_points_at_its_survivor(
    client: httpx.AsyncClient, db: Database, analyst: dict[str, str], viewer: dict[str, str]
) -> None:
    flood, park, quake = await _three_issues(db)
    for source, into in ((park, quake), (quake, flood)):
        merged = await client.post(
            f"/v1/issues/{source}/merge", json={"into": into}, headers=analyst
        )
        assert merged.status_code == 200, merged.text

    gone = (await client.get(f"/v1/issues/{park}", headers=viewer)).json()
    assert gone["merged_into_id"] == quake and gone["survivor_id"] == flood
    live = (await client.get(f"/v1/issues/{flood}", headers=viewer)).json()
    assert live["survivor_id"] is None
    trail = (await client.get(f"/v1/issues/{park}/events", headers=viewer)).json()
    assert trail["survivor_id"] == flood
    assert [e["action"] for e in trail["items"]][-1] == "merged"

    late = await _patch(client, analyst, park, comment="Komentar terlambat")
    assert late.status_code == 409
    assert late.json()["merged_into"] == quake and late.json()["survivor"] == flood
    again = await client.post(f"/v1/issues/{park}/merge", json={"into": flood}, headers=analyst)
    assert again.status_code == 409 and again.json()["survivor"] == flood


async def test_survivor_holds_the_merged_issues_responses(
    client: httpx.AsyncClient, db: Database, analyst: dict[str, str], viewer: dict[str, str]
) -> None:
    flood, park, _quake = await _three_issues(db)
    made = await client.post(
        f"/v1/issues/{park}/responses",
        json={"kind": "hak_jawab", "outlet": "Tempo", "note": "Dikirim ke redaksi"},
        headers=analyst,
    )
    assert made.status_code == 201, made.text
    merged = await client.post(f"/v1/issues/{park}/merge", json={"into": flood}, headers=analyst)
    assert merged.status_code == 200, merged.text

    listed = (await client.get(f"/v1/issues/{flood}/responses", headers=viewer)).json()
    assert [(r["issue_id"], r["note"]) for r in listed["items"]] == [(park, "Dikirim ke redaksi")]
    metrics = (await client.get(f"/v1/issues/{flood}/response-metrics", headers=viewer)).json()
    assert metrics["first_response_at"] == made.json()["responded_at"]
    assert metrics["first_triage_at"] is not None
    published = await client.patch(
        f"/v1/issues/{flood}/responses/{made.json()['id']}",
        json={"published": True},
        headers=analyst,
    )
    assert published.status_code == 200 and published.json()["published"] is True
    late = await client.post(
        f"/v1/issues/{park}/responses", json={"kind": "statement"}, headers=analyst
    )
    assert late.status_code == 409 and late.json()["survivor"] == flood


async def _delete_issue(db: Database, issue_id: int) -> None:
    async with db.writer.begin() as session:
        await session.execute(delete(IssueArticle).where(IssueArticle.issue_id == issue_id))
        await session.execute(delete(Issue).where(Issue.id == issue_id))


@pytest.mark.parametrize("work", ["event", "response"])
async def test_the_database_refuses_to_delete_an_issue_with_analyst_work(
    client: httpx.AsyncClient, db: Database, analyst: dict[str, str], work: str
) -> None:
    flood, _park, _quake = await _three_issues(db)
    if work == "event":
        assert (await _patch(client, analyst, flood, comment="Jangan hilang")).status_code == 200
    else:
        made = await client.post(
            f"/v1/issues/{flood}/responses",
            json={"kind": "statement", "note": "Siaran pers", "responded_at": utcnow().isoformat()},
            headers=analyst,
        )
        assert made.status_code == 201, made.text
    with pytest.raises(IntegrityError):
        await _delete_issue(db, flood)
    async with db.sessionmaker() as session:
        assert await session.get(Issue, flood) is not None
        kept = select(func.count()).where(IssueEvent.issue_id == flood)
        assert (await session.scalar(kept)) >= 1
        answers = select(func.count()).where(IssueResponse.issue_id == flood)
        assert (await session.scalar(answers)) == (1 if work == "response" else 0)
