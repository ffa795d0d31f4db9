"""Done-when, on the local news farm: one event across outlets is one issue, unrelated
articles stay out, and a watchlist for an entity in the data matches what a person expects."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from app.db import Database
from app.models import Article, IssueArticle
from app.services import watchlists as watchlist_service
from app.services.feed_config import FeedConfig
from tests.farm.site import Site
from tests.issue_feed.farm import (
    FUNERAL,
    KPK_CONDOLENCES,
    KPK_LAW,
    OUTLETS,
    SYNDICATED,
    crawl_farm,
    farm_articles,
)


async def _issue_of(db: Database) -> dict[tuple[str, str], int]:
    """(outlet host, title) -> issue id of every stored article (each outlet is served on its
    own loopback address, so outlets are told apart by host as in production)."""
    async with db.sessionmaker() as session:
        rows = await session.execute(
            select(Article.outlet, Article.title, IssueArticle.issue_id).join(
                IssueArticle, IssueArticle.article_id == Article.id
            )
        )
        return {(str(o), str(t)): int(i) for o, t, i in rows}


async def test_one_event_across_outlets_is_one_issue_and_watchlists_match(
    db: Database, client: httpx.AsyncClient, analyst: dict[str, str], viewer: dict[str, str]
) -> None:
    events, unrelated = farm_articles()
    site = Site([*events, *unrelated])
    copy = site.syndicate(SYNDICATED, "kompas")
    by_id = {a.id: a for a in events}

    entity = await client.post(
        "/v1/entities",
        json={"name": "KPK", "aliases": ["Komisi Pemberantasan Korupsi"]},
        headers=analyst,
    )
    assert entity.status_code == 201
    created = await client.post(
        "/v1/watchlists",
        json={
            "name": "KPK",
            "query": "entity:KPK",
            "priority": 5,
            "entity_ids": [entity.json()["id"]],
        },
        headers=analyst,
    )
    assert created.status_code == 201, created.text

    summary = await crawl_farm(db, site, FeedConfig())
    assert summary.grouped == len(events) + len(unrelated) + 1

    issue_of = await _issue_of(db)
    host = {slug: f"127.0.0.{n}" for n, slug in enumerate(OUTLETS, 1)}

    def issue(article_id: str, outlet: str | None = None) -> int:
        article = by_id[article_id]
        slug = outlet or article_id.split("-")[1]
        matches = [i for (o, t), i in issue_of.items() if t == article.title and o == host[slug]]
        assert matches, (article_id, slug)
        return matches[0]

    funeral = {issue(a) for a in FUNERAL}
    assert len(funeral) == 1, "one event reported by three outlets is one issue"
    funeral_issue = funeral.pop()
    copies = [i for (o, t), i in issue_of.items() if o == host["kompas"] and t == copy.title]
    assert copies == [funeral_issue], "a syndicated copy joins its story's issue"
    law = {issue(a) for a in KPK_LAW}
    assert funeral_issue not in law
    unrelated_titles = {a.title for a in unrelated}
    strays = [t for (_o, t), i in issue_of.items() if i == funeral_issue and t in unrelated_titles]
    assert strays == []

    detail = (await client.get(f"/v1/issues/{funeral_issue}", headers=viewer)).json()
    assert detail["article_count"] >= 4
    assert set(detail["outlets"]) == set(host.values())  # three reports and the copy
    assert "habibie" in detail["top_terms"] and "pemakaman" in detail["top_terms"]
    assert "Habibie" in detail["title"]
    # The syndicated report and its copy are one story carried by two outlets.
    syndicated = [s for s in detail["stories"] if s["copies"] >= 2]
    assert syndicated and syndicated[0]["outlets"] == 2 and syndicated[0]["in_issue"] == 2
    assert detail["story_count"] == detail["article_count"] - 1
    assert 0 <= detail["severity"] <= 100
    assert abs(sum(detail["severity_breakdown"]["components"].values()) - detail["severity"]) < 0.1

    # The KPK watchlist: every KPK-law article, and the condolence article that names the
    # KPK chairman; none of the funeral articles.
    listed = await client.get(
        "/v1/articles", params={"watchlist": created.json()["id"], "limit": 200}, headers=viewer
    )
    titles = {a["title"] for a in listed.json()["items"]}
    assert {by_id[a].title for a in KPK_LAW} <= titles
    assert by_id[KPK_CONDOLENCES].title in titles
    assert not titles & {by_id[a].title for a in FUNERAL}
    assert not titles & unrelated_titles
    law_issue = (await client.get(f"/v1/issues/{law.pop()}", headers=viewer)).json()
    assert created.json()["id"] in law_issue["watchlist_ids"]
    assert law_issue["severity_breakdown"]["priority"] == 5

    # A watchlist created after ingestion re-matches the stored articles in the background.
    later = await client.post(
        "/v1/watchlists",
        json={"name": "Pemakaman", "query": "title:pemakaman habibie"},
        headers=analyst,
    )
    job = later.json()["rematch"]
    assert job["state"] == "pending" and job["total"] == len(issue_of)
    await watchlist_service.run_rematch_jobs(db, config=FeedConfig(rematch_batch=5))
    progress = (
        await client.get(f"/v1/watchlists/{later.json()['id']}/rematch", headers=viewer)
    ).json()
    assert progress["state"] == "done" and progress["done"] == len(issue_of)
    assert progress["matched"] == 4  # the three funeral reports and the syndicated copy
    funeral_now = (await client.get(f"/v1/issues/{funeral_issue}", headers=viewer)).json()
    assert later.json()["id"] in funeral_now["watchlist_ids"]

    share = await client.get(
        "/v1/stats/share-of-voice",
        params={"by": "watchlist", "since": "2019-09-01", "until": "2019-10-01"},
        headers=viewer,
    )
    assert share.status_code == 200, share.text
    counts = {i["key"]: i["count"] for i in share.json()["items"]}
    assert counts == {"KPK": len(KPK_LAW) + 1, "Pemakaman": 4}
