"""Two outlets telling one story under close headlines, each with its own lead, reach the
analyst as one issue of the team's feed (the headline bonus), over the HTTP API on the local
news farm; the same crawl without the bonus shows them as two issues."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest

from app.db import Database
from app.feed.clustering import ClusterConfig
from app.services.feed_config import FeedConfig
from tests.farm.fixtures import articles_or_skip
from tests.farm.site import Site
from tests.issue_feed.farm import OUTLETS, crawl_farm, farm_articles

# Jakarta's luxury cars in tax arrears, 16-17 September 2019: kompas counts the 1,000 cars,
# tempo asks the tax office about the relief. Their leads share few words (cosine under the
# threshold); their headlines share the story's words.
STORY = ("clickid-kompas-47670b270f", "clickid-tempo-35cbf8aafc")


async def _watch_taxes(client: httpx.AsyncClient, analyst: dict[str, str]) -> None:
    watchlist = await client.post(
        "/v1/watchlists", json={"name": "Pajak daerah", "query": "pajak"}, headers=analyst
    )
    assert watchlist.status_code == 201, watchlist.text


@pytest.mark.parametrize("bonus", [True, False], ids=["headline-bonus", "without"])
async def test_one_story_under_close_headlines_is_one_issue_in_the_feed(
    db: Database,
    client: httpx.AsyncClient,
    analyst: dict[str, str],
    viewer: dict[str, str],
    bonus: bool,
) -> None:
    everything = {a.id: a for a in articles_or_skip(outlets=OUTLETS)}
    story = [everything[i] for i in STORY]
    events, unrelated = farm_articles()
    site = Site([*story, *events, *unrelated])
    cluster = ClusterConfig() if bonus else replace(ClusterConfig(), headline_bonus=0.0)
    config = FeedConfig(allow_private_networks=True, cluster=cluster)

    await _watch_taxes(client, analyst)
    await crawl_farm(db, site, config)

    # The team's feed, as the analyst reads it: watched, open issues.
    feed = await client.get("/v1/issues", params={"limit": 100}, headers=viewer)
    assert feed.status_code == 200, feed.text
    holding: dict[int, set[str]] = {}
    for issue in feed.json()["items"]:
        detail = (await client.get(f"/v1/issues/{issue['id']}", headers=viewer)).json()
        titles = {a["title"] for a in detail["articles"]}
        found = titles & {a.title for a in story}
        if found:
            holding[issue["id"]] = found
    if bonus:
        assert list(holding.values()) == [{a.title for a in story}], holding
        (issue_id,) = holding
        detail = (await client.get(f"/v1/issues/{issue_id}", headers=viewer)).json()
        assert set(detail["outlets"]) == {"127.0.0.3", "127.0.0.4"}  # tempo and kompas
        assert detail["article_count"] == 2
    else:
        assert len(holding) == 2, holding  # the peer: the same crawl, two issues
