"""Serve the farm for demos: ``python -m tests.farm --port 8765 [--outlets kompas tempo]``.

Reads the shared corpus (tests, benchmarks and demos only). Prints the OPML URL and each
outlet's feed, then serves until interrupted.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime

from tests.farm.corpus import WIB, CorpusUnavailable, load_articles
from tests.farm.model import OutletConfig
from tests.farm.server import FarmServer
from tests.farm.site import Site


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, start the server, block until Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m tests.farm", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--outlets", nargs="*", help="slugs or domains (default: all)")
    parser.add_argument("--limit", type=int, help="at most N articles overall")
    parser.add_argument("--per-outlet", type=int, help="at most N newest articles per outlet")
    parser.add_argument("--holdback", type=int, default=0, help="unpublished articles per outlet")
    parser.add_argument("--full-content", action="store_true", help="full bodies in feeds")
    parser.add_argument("--now", action="store_true", help="shift dates so the newest is now")
    parser.add_argument("--syndicate", type=int, default=0, help="make N syndicated copies")
    parser.add_argument(
        "--publish-every",
        type=float,
        default=0,
        help="publish one held-back article per outlet every N seconds",
    )
    args = parser.parse_args(argv)
    try:
        articles = load_articles(
            outlets=args.outlets,
            limit=args.limit,
            per_outlet=args.per_outlet,
            shift_to=datetime.now(WIB) if args.now else None,
        )
    except CorpusUnavailable as exc:
        print(exc, file=sys.stderr)
        return 2
    site = Site(
        articles, holdback=args.holdback, config=OutletConfig(full_content=args.full_content)
    )
    slugs = [o.slug for o in site.outlets]
    for i, article in enumerate(articles[: args.syndicate]):
        others = [s for s in slugs if s != article.outlet_slug]
        if others:
            site.syndicate(article.id, others[i % len(others)])
    with FarmServer(site, host=args.host, port=args.port) as server:
        print(
            f"News farm: {len(articles)} articles, {len(slugs)} outlets at {server.base_url}/",
            flush=True,
        )
        print(f"OPML: {server.opml_url}", flush=True)
        for slug in slugs:
            print(f"  {slug:15} {server.feed_url(slug)}", flush=True)
        try:
            while True:
                time.sleep(args.publish_every or 3600)
                if args.publish_every:
                    for slug in slugs:
                        for story in site.publish_next(slug, at=datetime.now(WIB)):
                            print(f"published {server.outlet_url(slug, story.path)}", flush=True)
        except KeyboardInterrupt:
            return 0


if __name__ == "__main__":
    raise SystemExit(main())
