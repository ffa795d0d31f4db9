from __future__ import annotations

import httpx

from app.db import Database
from app.pipeline.cluster import ClusterStage
from app.pipeline.match import MatchStage
from app.scoring import load_scorer
from app.services.scoring import score_pending
from tests.factories import make_article

FLOOD = "Banjir besar merendam ribuan rumah warga dan menewaskan tiga orang."


async def _negative_article(db: Database) -> int:
    async with db.writer.begin() as session:
        article = await make_article(session, title="Banjir Tewaskan Tiga Warga", body=FLOOD)
    async with db.writer.begin() as session:
        await score_pending(session, scorer=load_scorer(), limit=10, entities=())
    await MatchStage(db).run_pending()
    await ClusterStage(db).run_pending()
    return article.id


async def test_override_wins_in_article_issue_and_history(
    client: httpx.AsyncClient, db: Database, analyst: dict[str, str], viewer: dict[str, str]
) -> None:
    article_id = await _negative_article(db)
    article = (await client.get(f"/v1/articles/{article_id}", headers=viewer)).json()
    assert article["label"] == "negative"
    issue_url = f"/v1/issues/{article['issue_id']}"
    issue = (await client.get(issue_url, headers=viewer)).json()
    assert issue["negative_count"] == 1
    negative_severity = issue["severity"]
    assert negative_severity > 0 and issue["severity_breakdown"]["components"]["negativity"] > 0

    entity = await client.post("/v1/entities", json={"name": "BPBD"}, headers=analyst)
    assert entity.status_code == 201
    body = {"label": "neutral", "targets": [{"name": "bpbd", "label": "neutral"}], "note": "ok"}
    assert (
        await client.post(f"/v1/articles/{article_id}/label", json=body, headers=viewer)
    ).status_code == 403
    posted = await client.post(f"/v1/articles/{article_id}/label", json=body, headers=analyst)
    assert posted.status_code == 201
    assert posted.json()["api_key_name"] == "test analyst"

    article = (await client.get(f"/v1/articles/{article_id}", headers=viewer)).json()
    assert (article["label"], article["negativity"]) == ("neutral", 0.0)
    assert {"name": "BPBD", "label": "neutral"}.items() <= article["targets"][0].items()
    listed = (await client.get("/v1/articles?label=neutral", headers=viewer)).json()["items"]
    assert [a["id"] for a in listed] == [article_id]
    issue = (await client.get(issue_url, headers=viewer)).json()
    assert issue["negative_count"] == 0 and issue["severity"] < negative_severity
    assert issue["severity_breakdown"]["components"]["negativity"] == 0
    assert issue["articles"][0]["label"] == "neutral"

    await client.post(
        f"/v1/articles/{article_id}/label", json={"label": "negative"}, headers=analyst
    )
    history = (await client.get(f"/v1/articles/{article_id}/labels", headers=viewer)).json()
    assert [h["label"] for h in history["items"]] == ["negative", "neutral"]
    assert history["label"] == "negative" and history["label_source"] == "analyst"
    assert history["model_label"] == "negative"


async def test_label_errors(
    client: httpx.AsyncClient, db: Database, analyst: dict[str, str]
) -> None:
    missing = await client.post(
        "/v1/articles/999999/label", json={"label": "negative"}, headers=analyst
    )
    assert missing.status_code == 404
    article_id = await _negative_article(db)
    bad = await client.post(
        f"/v1/articles/{article_id}/label", json={"label": "bad"}, headers=analyst
    )
    assert bad.status_code == 422
    await client.post("/v1/entities", json={"name": "KPK", "aliases": ["Komisi"]}, headers=analyst)
    twice = {
        "label": "negative",
        "targets": [{"name": "KPK", "label": "neutral"}, {"name": "komisi", "label": "neutral"}],
    }
    dup = await client.post(f"/v1/articles/{article_id}/label", json=twice, headers=analyst)
    assert dup.status_code == 422 and "distinct" in dup.json()["detail"]
    # A label cannot invent an entity (it would then show up in the stats).
    for names in (["BPK"], ["KPK", "BPK", "Kejagung"]):
        invented = {
            "label": "negative",
            "targets": [{"name": n, "label": "negative"} for n in names],
        }
        refused = await client.post(
            f"/v1/articles/{article_id}/label", json=invented, headers=analyst
        )
        assert refused.status_code == 422
        assert refused.json()["unknown"] == [n for n in names if n != "KPK"]
        assert refused.json()["known"] == ["KPK"]
