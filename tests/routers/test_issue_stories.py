"""Issues show their story groups: syndicated copies, outlets, who published first."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import httpx

from app.db import Database
from app.models import StoryGroup
from tests.factories import link, make_article, make_issue, make_source, make_watchlist

T0 = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)


async def test_issue_lists_its_stories_with_copies_outlets_and_first_publisher(
    client: httpx.AsyncClient, db: Database, viewer: dict[str, str]
) -> None:
    async with db.writer.begin() as session:
        watchlist = await make_watchlist(session)
        antara = await make_source(session, name="Antara")
        tempo = await make_source(session, name="Tempo")
        issue = await make_issue(session, last_seen_at=T0)
        lonely = await make_issue(session, last_seen_at=T0 - timedelta(hours=1))
        first = await make_article(
            session, source_id=antara.id, outlet="antaranews.com", published_at=T0
        )
        story = StoryGroup(
            title="KPK Tetapkan Tersangka Baru",
            first_article_id=first.id,
            first_outlet="antaranews.com",
            first_published_at=T0,
            copy_count=3,
            outlet_count=2,
        )
        single = StoryGroup(title="Lain", first_outlet="tempo.co", first_published_at=T0)
        session.add_all([story, single])
        await session.flush()
        first.story_group_id = story.id
        copies = [
            await make_article(
                session,
                source_id=tempo.id,
                outlet="tempo.co",
                published_at=T0 + timedelta(minutes=m),
                story_group_id=story.id,
            )
            for m in (5, 9)
        ]
        other = await make_article(session, outlet="tempo.co", story_group_id=single.id)
        for article in (first, *copies, other):
            await link(session, issue=issue, article=article, watchlists=(watchlist,))
        await link(session, issue=lonely, article=await make_article(session), watchlists=())

    detail = (await client.get(f"/v1/issues/{issue.id}", headers=viewer)).json()
    assert detail["story_count"] == 2
    top = detail["stories"][0]
    assert top["id"] == story.id and top["title"] == "KPK Tetapkan Tersangka Baru"
    assert (top["in_issue"], top["copies"], top["outlets"]) == (3, 3, 2)
    assert top["first_outlet"] == "Antara"  # the source's name, not its host
    assert top["first_published_at"].startswith("2026-11-20T01:00:00")
    assert detail["stories"][1]["first_outlet"] == "tempo.co"  # no known source: the host

    listed = (await client.get("/v1/issues?scope=all", headers=viewer)).json()["items"]
    by_id = {i["id"]: i for i in listed}
    assert by_id[issue.id]["story_count"] == 2 and by_id[issue.id]["stories"][0]["copies"] == 3
    assert by_id[lonely.id]["story_count"] == 0 and by_id[lonely.id]["stories"] == []


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


async def test_csv_exports_carry_assignee_watchlists_link_story_and_local_times(
    client: httpx.AsyncClient, db: Database, viewer: dict[str, str]
) -> None:
    async with db.writer.begin() as session:
        kpk = await make_watchlist(session, name="KPK")
        dpr = await make_watchlist(session, name="DPR")
        antara = await make_source(session, name="Antara")
        issue = await make_issue(
            session,
            assignee="rina",
            watchlist_ids=[kpk.id, dpr.id],
            first_seen_at=T0,
            last_seen_at=T0 + timedelta(hours=20),  # 2026-11-21 04:00 in Jakarta
        )
        first = await make_article(
            session, source_id=antara.id, outlet="antaranews.com", published_at=T0
        )
        story = StoryGroup(
            title="KPK",
            first_article_id=first.id,
            first_outlet="antaranews.com",
            first_published_at=T0,
            copy_count=4,
            outlet_count=3,
        )
        session.add(story)
        await session.flush()
        first.story_group_id = story.id
        await link(session, issue=issue, article=first, watchlists=(kpk,))

    issues = await client.get("/v1/exports/issues.csv", headers=viewer)
    (row,) = _csv(issues.text)
    assert row["assignee"] == "rina" and row["watchlists"] == "KPK; DPR"
    assert row["url"] == f"http://pantau.test/v1/issues/{issue.id}"
    assert (row["story_count"], row["top_story_copies"], row["top_story_outlets"]) == (
        "1",
        "4",
        "3",
    )
    assert row["first_outlet"] == "Antara"
    assert row["first_published_at"] == "2026-11-20T08:00:00+07:00"
    assert row["last_seen_at"] == "2026-11-21T04:00:00+07:00"
    utc = _csv((await client.get("/v1/exports/issues.csv?tz=UTC", headers=viewer)).text)
    assert utc[0]["last_seen_at"] == "2026-11-20T21:00:00+00:00"

    articles = _csv((await client.get("/v1/exports/articles.csv", headers=viewer)).text)
    assert [(a["outlet"], a["host"], a["story_copies"]) for a in articles] == [
        ("Antara", "antaranews.com", "4")
    ]
    assert articles[0]["published_at"] == "2026-11-20T08:00:00+07:00"
