"""/docs and /redoc load every script and style from the application, none from a CDN."""

from __future__ import annotations

import re

import httpx
import pytest

ASSET = re.compile(r"""(?:src|href)\s*[=:]\s*["']([^"']+)["']""")
URL_IN_HTML = re.compile(r"https?://[^\s\"'<>)]+")


@pytest.mark.parametrize(
    ("page", "script"), [("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")]
)
async def test_docs_pages_use_local_assets_only(
    client: httpx.AsyncClient, page: str, script: str
) -> None:
    response = await client.get(page)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    html = response.text
    assert URL_IN_HTML.findall(html) == []  # no CDN, no fonts: nothing outside this server
    assets = [a for a in ASSET.findall(html) if a != "/openapi.json"]
    assert f"/docs/assets/{script}" in assets
    for asset in assets:
        loaded = await client.get(asset)
        assert loaded.status_code == 200, asset
        assert len(loaded.content) > 1000, asset
    js = await client.get(f"/docs/assets/{script}")
    assert "javascript" in js.headers["content-type"] and len(js.content) > 500_000
    spec = await client.get("/openapi.json")
    assert spec.status_code == 200 and spec.json()["info"]["title"] == "Pantau API"


async def test_missing_asset_is_404(client: httpx.AsyncClient) -> None:
    assert (await client.get("/docs/assets/nothing.js")).status_code == 404
    assert (await client.get("/docs/assets/../main.py")).status_code == 404
