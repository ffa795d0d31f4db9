"""NEAR/n over the API on both backends: the watchlist test endpoint and a watchlist's matches
agree, and a bad NEAR answers 422 at its position."""

from __future__ import annotations

import httpx

from app.db import Database
from tests.factories import make_article

ARTICLES = {
    "near": ("KPK periksa saksi korupsi tol", "Penyidik KPK memeriksa tiga saksi kemarin."),
    "far": (
        "KPK umumkan jadwal",
        "KPK mengumumkan jadwal sidang pekan depan, sementara di tempat lain polisi "
        "memeriksa saksi kecelakaan.",
    ),
    "phrase": ("Near 5 km dari bandara", "Lokasi near 5 km dari pusat kota."),
}


async def test_near_over_the_api(
    client: httpx.AsyncClient, db: Database, analyst: dict[str, str]
) -> None:
    async with db.writer.begin() as session:
        ids = {}
        for key, (title, body) in ARTICLES.items():
            ids[(await make_article(session, title=title, body=body)).id] = key
    cases = {
        "kpk NEAR/1 memeriksa": {"near"},
        "kpk NEAR/9 memeriksa": {"near"},  # "far" has ten words between in its text
        "kpk NEAR/10 memeriksa": {"near", "far"},
        "(kpk OR polisi) NEAR/1 memeriksa": {"near", "far"},
        "bandara NEAR/5 km": {"phrase"},
    }
    for query, expected in cases.items():
        response = await client.post(
            "/v1/watchlists/test", json={"query": query, "scan": 100}, headers=analyst
        )
        assert response.status_code == 200, response.text
        assert {ids[i["id"]] for i in response.json()["items"]} == expected, query
    bad = await client.post(
        "/v1/watchlists", json={"name": "w", "query": "kpk NEAR/0 saksi"}, headers=analyst
    )
    assert bad.status_code == 422
    assert bad.json()["position"] == 9 and "NEAR/0 is out of range" in bad.json()["detail"]
    chained = await client.post(
        "/v1/watchlists/test", json={"query": "a NEAR/2 b NEAR/2 c"}, headers=analyst
    )
    assert chained.status_code == 422 and chained.json()["position"] == 11
