"""The stages that drive the services: crawl, page, score, match, story, cluster; backfill; the
scheduler that runs them tick after tick.

This floor sits above `app.services` and below `cli.py`/`main.py`; the floors beneath it
(`crawlers`, `scoring`, `feed`) never import it (tests/test_layers.py checks).
"""
