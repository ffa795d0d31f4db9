"""A new or edited entity reaches past coverage: stored articles are re-scanned in the
background with progress over the API, and watchlists naming it are re-matched."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from app.db import Database
from app.scoring import load_scorer
from app.services.feed_config import FeedConfig
from app.services.feed_jobs import run_feed_jobs
from app.services.scoring import score_pending
from tests.factories import make_article

NOW = datetime.now(UTC).replace(microsecond=0)
TEXTS = [
    ("Anies Baswedan kunjungi korban banjir", "Anies Baswedan meninjau pengungsian di Kemang."),
    ("Anies dikritik soal trotoar", "Kebijakan Anies soal trotoar Tanah Abang dikritik warga."),
    ("Baswedan bicara pemilu", "Baswedan menyebut pemilu harus jujur dan adil."),
    ("Harga cabai naik", "Harga cabai rawit di pasar induk naik dua kali lipat."),
    ("Polri amankan mudik", "Polri menyiapkan pos pengamanan mudik di jalur Pantura."),
]
CONFIG = FeedConfig(entity_job_batch=2, rematch_batch=2)


async def _titles(client: httpx.AsyncClient, headers: dict[str, str], **params: object) -> set[str]:
    response = await client.get("/v1/articles", params={**params, "limit": 50}, headers=headers)
    assert response.status_code == 200, response.text
    return {a["title"] for a in response.json()["items"]}


async def test_a_new_entity_applies_to_past_coverage_with_visible_progress(
    client: httpx.AsyncClient, db: Database, analyst: dict[str, str], viewer: dict[str, str]
) -> None:
    async with db.writer.begin() as session:
        for n, (title, body) in enumerate(TEXTS):
            await make_article(
                session, title=title, body=body, published_at=NOW - timedelta(hours=n)
            )
    scorer = load_scorer()
    async with db.writer.begin() as session:
        await score_pending(session, scorer=scorer, limit=50)
    assert await _titles(client, viewer, entity="Anies") == set()

    created = await client.post("/v1/entities", json={"name": "Anies"}, headers=analyst)
    assert created.status_code == 201
    entity_id = created.json()["id"]
    job = created.json()["rescan"]
    assert (job["state"], job["total"], job["done"]) == ("pending", len(TEXTS), 0)

    await run_feed_jobs(db, config=CONFIG, scorer=scorer)
    progress = (await client.get(f"/v1/entities/{entity_id}/rescan", headers=viewer)).json()
    assert progress["state"] == "done" and progress["done"] == len(TEXTS)
    assert progress["mentioned"] == 2 and progress["finished_at"]
    assert await _titles(client, viewer, entity="Anies") == {TEXTS[0][0], TEXTS[1][0]}
    stats = (await client.get("/v1/stats/top-entities", headers=viewer)).json()
    assert {i["name"]: i["mentions"] for i in stats["items"]} == {"Anies": 2}

    watchlist = await client.post(
        "/v1/watchlists", json={"name": "Anies", "query": "entity:Anies"}, headers=analyst
    )
    await run_feed_jobs(db, config=CONFIG, scorer=scorer)
    watched = await _titles(client, viewer, watchlist=watchlist.json()["id"])
    assert watched == {TEXTS[0][0], TEXTS[1][0]}

    # A new alias: the stored articles are re-scanned again, and the watchlist whose query
    # names the entity is re-matched with the alias.
    edited = await client.patch(
        f"/v1/entities/{entity_id}", json={"aliases": ["Baswedan"]}, headers=analyst
    )
    assert edited.status_code == 200 and edited.json()["rescan"]["state"] == "pending"
    rematch = await client.get(f"/v1/watchlists/{watchlist.json()['id']}/rematch", headers=viewer)
    assert rematch.json()["state"] == "pending"
    await run_feed_jobs(db, config=CONFIG, scorer=scorer)
    expected = {TEXTS[0][0], TEXTS[1][0], TEXTS[2][0]}
    assert await _titles(client, viewer, entity="Anies") == expected
    assert await _titles(client, viewer, watchlist=watchlist.json()["id"]) == expected

    # Nothing to re-scan for a change that adds no name; a deactivated entity is not scanned.
    quiet = await client.patch(f"/v1/entities/{entity_id}", json={"active": False}, headers=analyst)
    assert quiet.status_code == 200 and quiet.json()["rescan"] is None
    back = await client.patch(f"/v1/entities/{entity_id}", json={"active": True}, headers=analyst)
    assert back.json()["rescan"]["state"] == "pending"
    unknown = await client.get("/v1/entities/999999/rescan", headers=viewer)
    assert unknown.status_code == 404
