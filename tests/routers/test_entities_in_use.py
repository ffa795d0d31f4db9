"""Entities that watchlists use cannot vanish under them; top entities count real mentions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from app.db import Database
from app.scoring import load_scorer
from app.services.scoring import score_pending
from tests.factories import make_article


async def _entity(client: httpx.AsyncClient, headers: dict[str, str], **body: object) -> int:
    response = await client.post("/v1/entities", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def test_deleting_or_renaming_an_entity_a_watchlist_uses_is_409_naming_them(
    client: httpx.AsyncClient, db: Database, analyst: dict[str, str], viewer: dict[str, str]
) -> None:
    kpk = await _entity(client, analyst, name="KPK", aliases=["Komisi Pemberantasan Korupsi"])
    dpr = await _entity(client, analyst, name="DPR")
    polri = await _entity(client, analyst, name="Polri")
    free = await _entity(client, analyst, name="Kejagung")
    by_query = await client.post(
        "/v1/watchlists", json={"name": "Korupsi", "query": "entity:KPK suap"}, headers=analyst
    )
    by_alias = await client.post(
        "/v1/watchlists",
        json={"name": "Komisi", "query": 'entity:"Komisi Pemberantasan Korupsi"', "active": False},
        headers=analyst,
    )
    by_ids = await client.post(
        "/v1/watchlists", json={"name": "Parlemen", "entity_ids": [dpr]}, headers=analyst
    )
    assert {r.status_code for r in (by_query, by_alias, by_ids)} == {201}

    refused = await client.delete(f"/v1/entities/{kpk}", headers=analyst)
    assert refused.status_code == 409
    named = refused.json()["watchlists"]
    assert [(w["name"], w["active"]) for w in named] == [("Korupsi", True), ("Komisi", False)]
    assert "'Korupsi'" in refused.json()["detail"] and "'Komisi'" in refused.json()["detail"]
    assert (await client.delete(f"/v1/entities/{dpr}", headers=analyst)).status_code == 409
    # Renaming away the name or an alias a query uses breaks it too; keeping it as an alias
    # does not.
    renamed = await client.patch(
        f"/v1/entities/{kpk}", json={"name": "Komisi Antirasuah"}, headers=analyst
    )
    assert renamed.status_code == 409
    dropped = await client.patch(f"/v1/entities/{kpk}", json={"aliases": []}, headers=analyst)
    assert dropped.status_code == 409 and dropped.json()["watchlists"][0]["name"] == "Komisi"
    kept = await client.patch(
        f"/v1/entities/{kpk}",
        json={"name": "Komisi Antirasuah", "aliases": ["KPK", "Komisi Pemberantasan Korupsi"]},
        headers=analyst,
    )
    assert kept.status_code == 200, kept.text
    assert (await client.get(f"/v1/entities/{kpk}", headers=viewer)).status_code == 200

    assert (await client.delete(f"/v1/entities/{polri}", headers=analyst)).status_code == 204
    assert (await client.delete(f"/v1/entities/{free}", headers=analyst)).status_code == 204
    await client.delete(f"/v1/watchlists/{by_ids.json()['id']}", headers=analyst)
    assert (await client.delete(f"/v1/entities/{dpr}", headers=analyst)).status_code == 204


NOW = datetime.now(UTC).replace(microsecond=0)


async def test_top_entities_count_mentions_per_entity_and_window(
    client: httpx.AsyncClient, db: Database, analyst: dict[str, str], viewer: dict[str, str]
) -> None:
    for name in ("KPK", "DPR", "Polri", "Jokowi"):
        await _entity(client, analyst, name=name)
    texts = [
        (1, "KPK periksa anggota DPR", "KPK memeriksa dua anggota DPR soal suap proyek jalan."),
        (2, "Polri tangkap bandar", "Polri menangkap bandar narkoba di Medan."),
        (3, "KPK sita aset", "KPK menyita aset tersangka korupsi."),
        (30, "Jokowi resmikan bendungan", "Presiden Jokowi meresmikan bendungan di NTT."),
    ]
    async with db.writer.begin() as session:
        for hours, title, body in texts:
            await make_article(
                session, title=title, body=body, published_at=NOW - timedelta(hours=hours)
            )
    async with db.writer.begin() as session:
        await score_pending(session, scorer=load_scorer(), limit=10)

    day = (await client.get("/v1/stats/top-entities", headers=viewer)).json()
    counts = {i["name"]: i["mentions"] for i in day["items"]}
    assert day["articles"] == 3
    assert counts == {"KPK": 2, "DPR": 1, "Polri": 1}  # Jokowi's article is 30 hours old
    two_days = {"since": (NOW - timedelta(hours=48)).isoformat()}
    wider = (await client.get("/v1/stats/top-entities", params=two_days, headers=viewer)).json()
    assert {i["name"]: i["mentions"] for i in wider["items"]}["Jokowi"] == 1
