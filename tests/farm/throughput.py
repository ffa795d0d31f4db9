"""Measure how many requests per second the farm sustains.

    python -m tests.farm.throughput --concurrency 32 --seconds 10 [--mix feeds|articles|304]
        [--client httpx|raw] [--procs N]

Starts ``python -m tests.farm`` in a subprocess (so the client does not share its GIL), then
runs ``--procs`` client processes with ``--concurrency`` keep-alive connections each, and prints
the total rate last. ``--client httpx`` (default) is an httpx AsyncClient, whose own CPU is the
limit well before the farm's; ``--client raw`` is a minimal asyncio HTTP/1.1 client that shows
what the farm itself sustains. Needs the shared corpus.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import socket
import subprocess
import sys
import time

import httpx

from tests.farm.corpus import load_articles
from tests.farm.model import Story


def _paths(mix: str) -> list[str]:
    articles = load_articles(per_outlet=40)
    slugs = sorted({a.outlet_slug for a in articles})
    if mix == "articles":
        return [f"/{a.outlet_slug}{Story.from_article(a).path}" for a in articles]
    feeds = ("/rss.xml", "/atom.xml", "/feed.json", "/rdf.xml", "/sitemap-news.xml", "/")
    return [f"/{slug}{feed}" for slug in slugs for feed in feeds]


async def _run(base: str, paths: list[str], concurrency: int, seconds: float, etags: bool) -> int:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    done = 0
    tags: dict[str, str] = {}
    deadline = time.perf_counter() + seconds
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:

        async def worker(offset: int) -> None:
            nonlocal done
            i = offset
            while time.perf_counter() < deadline:
                path = paths[i % len(paths)]
                headers = {"If-None-Match": tags[path]} if etags and path in tags else {}
                response = await client.get(path, headers=headers)
                if response.status_code not in (200, 304):
                    raise RuntimeError(f"{path}: {response.status_code}")
                if "etag" in response.headers:
                    tags[path] = response.headers["etag"]
                done += 1
                i += concurrency

        await asyncio.gather(*(worker(k) for k in range(concurrency)))
    return done


async def _run_raw(
    base: str, paths: list[str], concurrency: int, seconds: float, etags: bool
) -> int:
    host, port = base.removeprefix("http://").split(":")
    deadline = time.perf_counter() + seconds
    tags: dict[str, bytes] = {}

    async def worker(offset: int) -> int:
        reader, writer = await asyncio.open_connection(host, int(port))
        done, i = 0, offset
        while time.perf_counter() < deadline:
            path = paths[i % len(paths)]
            extra = b"If-None-Match: " + tags[path] + b"\r\n" if etags and path in tags else b""
            writer.write(
                f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept-Encoding: gzip\r\n".encode()
                + extra
                + b"\r\n"
            )
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
                elif name.lower() == b"etag":
                    tags[path] = value.strip()
            await reader.readexactly(length)
            if head[9:12] not in (b"200", b"304"):
                raise RuntimeError(f"{path}: {head[:12]!r}")
            done, i = done + 1, i + concurrency
        writer.close()
        return done

    return sum(await asyncio.gather(*(worker(k) for k in range(concurrency))))


def _client(args: tuple[str, list[str], int, float, bool, str]) -> int:
    *job, kind = args
    runner = _run_raw if kind == "raw" else _run
    return asyncio.run(runner(*job))  # type: ignore[arg-type]


def main() -> None:
    """Run the measurement and print requests/s."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--concurrency", type=int, default=32, help="per client process")
    parser.add_argument("--procs", type=int, default=1, help="client processes")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--mix", choices=("feeds", "articles", "304"), default="feeds")
    parser.add_argument("--client", choices=("httpx", "raw"), default="httpx")
    args = parser.parse_args()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.farm", "--port", str(port)], stdout=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(base + "/")
                break
            except httpx.TransportError:
                time.sleep(0.1)
        paths = _paths("feeds" if args.mix == "304" else args.mix)
        _client((base, paths, 8, 3.0, args.mix == "304", "raw"))  # warm the render cache
        job = (base, paths, args.concurrency, args.seconds, args.mix == "304", args.client)
        started = time.perf_counter()
        with multiprocessing.Pool(args.procs) as pool:
            total = sum(pool.map(_client, [job] * args.procs))
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait()
    print(
        f"client={args.client} mix={args.mix} procs={args.procs} "
        f"concurrency={args.concurrency}: "
        f"{total} responses in {elapsed:.1f}s = {total / elapsed:.0f} req/s"
    )


if __name__ == "__main__":
    main()
