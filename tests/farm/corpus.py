"""Load the shared CLICK-ID news articles that the farm serves.

The articles live in ``<repo root>/../shared/data/news/articles.jsonl`` (override the shared
directory with ``PANTAU_SHARED_DIR``). They may be read by tests, benchmarks and demos only, never
by the product, and are never copied into the repository. Source: CLICK-ID (William & Sari 2020,
"CLICK-ID: A novel dataset for Indonesian clickbait headlines", Data in Brief; CC BY 4.0 for the
compilation; the text belongs to its publishers).

Everything here is deterministic: the same arguments give the same articles in the same order,
and the time of day given to each article (the dataset only has dates) comes from a hash of its id.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import cache
from pathlib import Path

WIB = timezone(timedelta(hours=7), "WIB")
"""Asia/Jakarta has had no DST since 1964, so a fixed +07:00 offset is exact."""


class CorpusUnavailable(RuntimeError):
    """The shared articles file is missing; tests that need the farm should skip."""


@dataclass(frozen=True, slots=True)
class Outlet:
    """A news outlet of the farm: ``slug`` is its path prefix (``/kompas/...``)."""

    slug: str
    name: str
    domain: str


OUTLETS: dict[str, Outlet] = {
    o.domain: o
    for o in (
        Outlet("okezone", "Okezone", "okezone.com"),
        Outlet("tempo", "Tempo.co", "tempo.co"),
        Outlet("sindonews", "SINDOnews", "sindonews.com"),
        Outlet("kompas", "Kompas.com", "kompas.com"),
        Outlet("wowkeren", "WowKeren", "wowkeren.com"),
        Outlet("posmetro-medan", "Posmetro Medan", "posmetro-medan.com"),
        Outlet("tribunnews", "Tribunnews.com", "tribunnews.com"),
        Outlet("kapanlagi", "KapanLagi.com", "kapanlagi.com"),
        Outlet("fimela", "Fimela", "fimela.com"),
    )
}
"""Known outlets by dataset domain. Unknown domains get a slug from their first label."""


def outlet_for(domain: str) -> Outlet:
    """Return the outlet for a dataset domain such as ``"kompas.com"``."""
    if domain in OUTLETS:
        return OUTLETS[domain]
    label = domain.split(".")[0]
    return Outlet(label, label.title(), domain)


@dataclass(frozen=True, slots=True)
class Article:
    """One article of the dataset, with a deterministic publication time in WIB."""

    id: str
    outlet: str
    url: str
    title: str
    published_at: datetime
    category: str
    body: str

    @property
    def paragraphs(self) -> tuple[str, ...]:
        """Body paragraphs (the dataset separates them with blank lines)."""
        return tuple(p.strip() for p in self.body.split("\n\n") if p.strip())

    @property
    def outlet_slug(self) -> str:
        """Path prefix of the article's outlet in the farm, e.g. ``"kompas"``."""
        return outlet_for(self.outlet).slug


def stable_int(*parts: str) -> int:
    """A stable non-negative integer from strings (unlike ``hash()``, same in every process)."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def time_of_day(article_id: str) -> time:
    """A deterministic time between 05:00 and 22:59:59 for an article id."""
    seconds = 5 * 3600 + stable_int("time", article_id) % (18 * 3600)
    return time(seconds // 3600, seconds // 60 % 60, seconds % 60)


def shared_dir() -> Path:
    """The shared directory: ``PANTAU_SHARED_DIR`` or ``<repo root>/../shared``."""
    override = os.environ.get("PANTAU_SHARED_DIR")
    if override:
        return Path(override)
    return (Path(__file__).resolve().parents[2] / ".." / "shared").resolve()


def articles_path() -> Path:
    """Path of ``articles.jsonl`` (it may not exist; see :func:`load_articles`)."""
    return shared_dir() / "data" / "news" / "articles.jsonl"


@cache
def _load_all(path: Path) -> tuple[Article, ...]:
    if not path.is_file():
        raise CorpusUnavailable(
            f"news farm corpus not found at {path}: set PANTAU_SHARED_DIR or check out "
            "the shared directory beside the repository"
        )
    articles = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue
            raw = json.loads(line)
            day = date.fromisoformat(raw["published"])
            when = datetime.combine(day, time_of_day(raw["id"]), WIB)
            articles.append(
                Article(
                    id=raw["id"],
                    outlet=raw["outlet"],
                    url=raw["url"],
                    title=raw["title"].strip(),
                    published_at=when,
                    category=raw.get("category") or "Berita",
                    body=raw["body"],
                )
            )
    articles.sort(key=lambda a: (a.outlet, a.published_at, a.id))
    return tuple(articles)


def load_articles(
    *,
    outlets: Iterable[str] | None = None,
    limit: int | None = None,
    per_outlet: int | None = None,
    shift_to: datetime | None = None,
    path: Path | None = None,
) -> list[Article]:
    """Load articles, deterministically ordered by (outlet domain, time, id).

    ``outlets`` filters by dataset domain (``"kompas.com"``) or farm slug (``"kompas"``).
    ``per_outlet`` keeps each outlet's newest N articles; ``limit`` then keeps the first N overall,
    taken round-robin across outlets so a small limit still covers several outlets.
    ``shift_to`` moves every date by one offset so the newest article is published at that
    instant (handy for demos that show "the last 24 hours"); the order is unchanged.
    Raises :class:`CorpusUnavailable` when the file is missing.
    """
    wanted = set(outlets) if outlets is not None else None
    by_outlet: dict[str, list[Article]] = {}
    for article in _load_all(path or articles_path()):
        if wanted is None or article.outlet in wanted or article.outlet_slug in wanted:
            by_outlet.setdefault(article.outlet, []).append(article)
    if per_outlet is not None:
        by_outlet = {k: v[-per_outlet:] if per_outlet else [] for k, v in by_outlet.items()}
    if limit is not None:
        kept: dict[str, list[Article]] = {k: [] for k in by_outlet}
        queues = {k: list(reversed(v)) for k, v in by_outlet.items()}
        taken = 0
        while taken < limit and any(queues.values()):
            for key, queue in queues.items():
                if queue and taken < limit:
                    kept[key].insert(0, queue.pop(0))
                    taken += 1
        by_outlet = kept
    result = [a for key in sorted(by_outlet) for a in by_outlet[key]]
    if shift_to is not None and result:
        offset = shift_to - max(a.published_at for a in result)
        result = [_shifted(a, offset) for a in result]
    return result


def _shifted(article: Article, offset: timedelta) -> Article:
    return Article(
        id=article.id,
        outlet=article.outlet,
        url=article.url,
        title=article.title,
        published_at=(article.published_at + offset).astimezone(WIB),
        category=article.category,
        body=article.body,
    )
