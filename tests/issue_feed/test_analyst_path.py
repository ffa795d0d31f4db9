"""The analyst's path end to end, over the HTTP API on the local news farm: watch, crawl,
read the team's feed, comment and triage, get an actionable alert, add an entity that reaches
past coverage, export."""

from __future__ import annotations

import csv
import io
import json

import httpx

from app.db import Database
from app.scoring import load_scorer
from app.services.feed_config import FeedConfig
from app.services.feed_jobs import run_feed_jobs
from tests.farm.site import Site
from tests.issue_feed.farm import FUNERAL, KPK_LAW, OUTLETS, SYNDICATED, crawl_farm, farm_articles
from tests.issue_feed.receiver import receiver

PUBLIC = "https://pantau.example.go.id"
CONFIG = FeedConfig(allow_private_networks=True, public_url=PUBLIC)


async def test_the_analyst_path_through_the_api(
    client: httpx.AsyncClient,
    db: Database,
    admin: dict[str, str],
    analyst: dict[str, str],
    viewer: dict[str, str],
) -> None:
    events, unrelated = farm_articles()
    site = Site([*events, *unrelated])
    site.syndicate(SYNDICATED, "kompas")
    by_id = {a.id: a for a in events}

    # Watch: an entity, a watchlist on it, and an alert for new issues on the watchlist.
    entity = await client.post(
        "/v1/entities",
        json={"name": "KPK", "aliases": ["Komisi Pemberantasan Korupsi"]},
        headers=analyst,
    )
    watchlist = await client.post(
        "/v1/watchlists",
        json={"name": "KPK", "query": "entity:KPK", "entity_ids": [entity.json()["id"]]},
        headers=analyst,
    )
    kpk = watchlist.json()["id"]
    with receiver() as hook:
        created = await client.post(
            "/v1/webhooks", json={"name": "krisis", "url": hook.url}, headers=admin
        )
        rule = await client.post(
            "/v1/alert-rules",
            json={
                "name": "Isu baru KPK",
                "kind": "new_issue",
                "watchlist_id": kpk,
                "webhook_id": created.json()["id"],
            },
            headers=analyst,
        )
        assert rule.status_code == 201, rule.text

        # Crawl the outlets' real Indonesian articles; the feed jobs alert and deliver.
        await crawl_farm(db, site, CONFIG)
        await run_feed_jobs(db, config=CONFIG, scorer=load_scorer())

    # The team's feed: only issues the KPK watchlist matched; the funeral story is not there.
    feed = await client.get("/v1/issues", params={"sort": "-severity"}, headers=viewer)
    assert feed.status_code == 200
    items = feed.json()["items"]
    assert items and all(kpk in i["watchlist_ids"] for i in items)
    funeral_title = by_id[FUNERAL[0]].title
    everything = (await client.get("/v1/issues?scope=all&limit=200", headers=viewer)).json()
    assert len(everything["items"]) > len(items)
    law = next(i for i in items if i["article_count"] >= 3)
    detail = (await client.get(f"/v1/issues/{law['id']}", headers=viewer)).json()
    titles = {a["title"] for a in detail["articles"]}
    assert titles >= {by_id[a].title for a in KPK_LAW[:2]} and funeral_title not in titles
    assert detail["story_count"] >= 3 and detail["stories"]
    typo = await client.get("/v1/issues", params={"watchlsit": kpk}, headers=viewer)
    assert typo.status_code == 422 and typo.json()["unknown"] == ["watchlsit"]

    # The alert names the issue, links to it, and lists its top articles by outlet name.
    alerts = [json.loads(r.body) for r in hook.received]
    assert alerts and all(a["reason"] == "new-issue" for a in alerts)
    about_law = next(a for a in alerts if a["subject"] == f"issue:{law['id']}")
    assert about_law["link"] == f"{PUBLIC}/v1/issues/{law['id']}"
    assert about_law["title"] == detail["title"] and about_law["watchlists"] == ["KPK"]
    assert about_law["severity_breakdown"]["components"]
    assert {a["outlet"] for a in about_law["top_articles"]} <= {s.capitalize() for s in OUTLETS}
    assert about_law["failing_sources"] == []
    log = await client.get(f"/v1/alert-rules/{rule.json()['id']}/deliveries", headers=analyst)
    assert {d["status"] for d in log.json()["items"]} == {"delivered"}

    # Triage: a comment alone, then escalate with an assignee; dismiss another issue.
    url = f"/v1/issues/{law['id']}"
    said = await client.patch(url, json={"comment": "Humas KPK sudah dihubungi"}, headers=analyst)
    assert said.status_code == 200
    escalated = await client.patch(
        url, json={"status": "escalated", "assignee": "rina"}, headers=analyst
    )
    assert escalated.status_code == 200
    trail = (await client.get(f"{url}/events", headers=viewer)).json()["items"]
    assert [e["action"] for e in trail][-3:] == ["comment", "status", "assignee"]
    comments = (await client.get(url, headers=viewer)).json()["comments"]
    assert [c["text"] for c in comments] == ["Humas KPK sudah dihubungi"]
    others = [i for i in items if i["id"] != law["id"]]  # the condolence note names KPK too
    assert others
    dismissed = await client.patch(
        f"/v1/issues/{others[0]['id']}",
        json={"status": "dismissed", "dismissed_reason": "not_relevant"},
        headers=analyst,
    )
    assert dismissed.status_code == 200
    left = (await client.get("/v1/issues", headers=viewer)).json()["items"]
    assert others[0]["id"] not in {i["id"] for i in left} and law["id"] in {i["id"] for i in left}

    # A new entity reaches the coverage already stored.
    assert (await client.get("/v1/articles?entity=DPR", headers=viewer)).json()["items"] == []
    dpr = await client.post("/v1/entities", json={"name": "DPR"}, headers=analyst)
    await run_feed_jobs(db, config=CONFIG, scorer=load_scorer())
    rescan = (await client.get(f"/v1/entities/{dpr.json()['id']}/rescan", headers=viewer)).json()
    assert rescan["state"] == "done" and rescan["mentioned"] > 0
    found = (await client.get("/v1/articles?entity=DPR&limit=200", headers=viewer)).json()
    assert len(found["items"]) == rescan["mentioned"]

    # Export: the escalated issue with its assignee, watchlist, link and local times.
    exported = await client.get("/v1/exports/issues.csv", headers=viewer)
    rows = list(csv.DictReader(io.StringIO(exported.text.lstrip("\ufeff"))))
    row = next(r for r in rows if r["id"] == str(law["id"]))
    assert (row["status"], row["assignee"], row["watchlists"]) == ("escalated", "rina", "KPK")
    assert row["url"].endswith(f"/v1/issues/{law['id']}")
    assert row["last_seen_at"].endswith("+07:00") and row["first_outlet"]
