"""feedparser's own test corpus (from its sdist on PyPI), served over loopback HTTP and crawled.

`load_corpus()` downloads `feedparser==6.0.14`'s source distribution once with pip into a cache
directory (`$PANTAU_CORPUS_CACHE`, else `~/.cache/pantau-hardening`) and returns its test feeds
(BSD-2-Clause, see the sdist's LICENSE). `crawl_corpus()` registers each file as a source,
runs the real crawler over them and classifies every outcome.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import quote, unquote

from sqlalchemy import func, select

from app.crawlers.fetch import Fetcher
from app.crawlers.pool import CpuPool
from app.db import Database
from app.models import Article, FetchAttempt, FetchStatus, Source
from app.pipeline.cycle import Crawler
from app.scoring import load_scorer
from app.services import sources as source_service
from tests.fetching import local_fetch_options

VERSION = "6.0.14"
SUFFIXES = (".xml", ".rdf", ".rss", ".atom", ".json")


class CorpusUnavailable(Exception):
    pass


def cache_dir() -> Path:
    configured = os.environ.get("PANTAU_CORPUS_CACHE")
    path = Path(configured) if configured else Path.home() / ".cache" / "pantau-hardening"
    path.mkdir(parents=True, exist_ok=True)
    return path


def sdist_path() -> Path:
    directory = cache_dir()
    sdist = directory / f"feedparser-{VERSION}.tar.gz"
    if not sdist.exists():
        done = subprocess.run(
            [
                sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                f"feedparser=={VERSION}", "-d", str(directory), "--quiet",
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )  # fmt: skip
        if done.returncode != 0 or not sdist.exists():
            raise CorpusUnavailable(f"pip download failed: {done.stderr[-500:]}")
    return sdist


def load_corpus() -> dict[str, bytes]:
    """Test feeds by their path inside the sdist (`tests/wellformed/rss/...`)."""
    files: dict[str, bytes] = {}
    with tarfile.open(sdist_path()) as archive:
        for member in archive.getmembers():
            parts = member.name.split("/", 1)
            if len(parts) < 2 or not parts[1].startswith("tests/") or not member.isfile():
                continue
            if not parts[1].endswith(SUFFIXES):
                continue
            extracted = archive.extractfile(member)
            if extracted is not None:
                files[parts[1]] = extracted.read()
    if not files:
        raise CorpusUnavailable("no test feeds in the sdist")
    return files


def sample(files: dict[str, bytes], count: int) -> dict[str, bytes]:
    """`count` files spread evenly over the sorted corpus (every directory represented)."""
    names = sorted(files)
    if count >= len(names):
        return files
    step = len(names) / count
    return {names[int(i * step)]: files[names[int(i * step)]] for i in range(count)}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        body = self.server.files.get(unquote(self.path.lstrip("/").partition("?")[0]))
        status = 200 if body is not None else 404
        body = body if body is not None else b"not found"
        self.send_response(status)
        self.send_header("Content-Type", _content_type(self.path))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    files: dict[str, bytes]


def _content_type(path: str) -> str:
    if path.endswith(".json"):
        return "application/feed+json"
    return "application/xml"


class CorpusServer:
    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files

    def __enter__(self) -> CorpusServer:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.files = self.files
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/{quote(name)}"


@dataclass
class CorpusReport:
    tried: int = 0
    ok: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    crashes: list[str] = field(default_factory=list)
    unrecorded: list[str] = field(default_factory=list)
    seconds: float = 0.0
    hangs: int = 0
    articles: int = 0

    def line(self) -> str:
        classes = ", ".join(f"{k} {v}" for k, v in self.errors.most_common())
        return (
            f"corpus_run: {self.tried} feeds tried, {self.ok} ok, {sum(self.errors.values())} "
            f"errors ({classes}), crashes = {len(self.crashes)}, hangs = {self.hangs}, "
            f"unrecorded = {len(self.unrecorded)}, {self.articles} articles, "
            f"{self.seconds:.1f} s"
        )


_CLASSES = [
    ("entity declared (refused)", r"declares"),
    ("not a feed", r"not a recognisable RSS/Atom feed|not a JSON Feed|no items list"),
    ("invalid JSON", r"invalid JSON feed"),
    ("HTML instead of a feed", r"HTML page where a feed"),
    ("empty body", r"empty response body"),
    ("second DOCTYPE", r"more than one DOCTYPE"),
    ("HTTP error", r"^HTTP \d+"),
    ("timeout", r"timed out|gave up after"),
]


def classify(reason: str) -> str:
    for name, pattern in _CLASSES:
        if re.search(pattern, reason):
            return name
    return "other: " + reason[:60]


async def crawl_corpus(
    database: Database, files: dict[str, bytes], *, budget_seconds: float
) -> CorpusReport:
    """Crawl every file once through the real crawler; classify what the source rows say."""
    options = local_fetch_options(
        user_agent="PantauCorpus/1", total_timeout=10, allow_private_networks=True
    )
    report = CorpusReport(tried=len(files))
    with CorpusServer(files) as server:
        ids: dict[int, str] = {}
        async with database.writer.begin() as session:
            seen: set[str] = set()
            for name in sorted(files):
                url = server.url(name)
                if url in seen:
                    continue
                seen.add(url)
                source = await source_service.create_source(
                    session, data=source_service.NewSource(url=url)
                )
                ids[source.id] = name
        fetcher = Fetcher(options)
        crawler = Crawler(
            database=database,
            fetcher=fetcher,
            scorer=load_scorer(),
            pool=CpuPool(workers=0),
            concurrency=32,
            batch_size=200,
        )
        started = time.perf_counter()
        try:
            await crawler.crawl_due()  # fetch, parse, store: the stages a feed body reaches
        finally:
            await fetcher.aclose()
        report.seconds = time.perf_counter() - started
        report.hangs = int(report.seconds > budget_seconds)
    async with database.sessionmaker() as session:
        rows = (await session.scalars(select(Source))).all()
        attempts = dict(
            (
                await session.execute(
                    select(FetchAttempt.source_id, func.count()).group_by(FetchAttempt.source_id)
                )
            ).all()
        )
        report.articles = int(await session.scalar(select(func.count()).select_from(Article)) or 0)
    for row in rows:
        name = ids.get(row.id, row.url)
        if attempts.get(row.id, 0) != 1 or row.last_status is None:
            report.unrecorded.append(name)
        elif row.last_status == FetchStatus.OK:
            report.ok += 1
        else:
            reason = row.last_error or ""
            if reason.startswith("internal error"):
                report.crashes.append(f"{name}: {reason[:200]}")
            report.errors[classify(reason)] += 1
    report.tried = len(rows)
    return report
