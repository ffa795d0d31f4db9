"""The fetcher over real loopback HTTP: size caps, bombs, time budgets, redirects, politeness."""

from __future__ import annotations

import asyncio
import functools
import itertools
import time
import tracemalloc
import zlib

import brotli
import pytest

from app.crawlers.fetch import FailureKind, Fetcher, FetchError, FetchOptions
from tests.crawlers.loopback import Handler, Loopback, Route
from tests.farm.server import FarmServer
from tests.farm.site import Site
from tests.fetching import local_fetch_options

CAP = 1024 * 1024


def options(**overrides: object) -> FetchOptions:
    values: dict[str, object] = {
        "user_agent": "PantauTest/1",
        "allow_private_networks": True,
        "max_bytes": CAP,
        "total_timeout": 10,
    }
    values.update(overrides)
    return local_fetch_options(**values)


@functools.cache
def bomb(coding: str) -> bytes:
    """Zeros compressed with `coding`: 64 MiB (gzip, deflate) or 256 MiB (brotli) inflated."""
    zeros = b"\0" * (1 << 20)
    if coding == "br":
        packer = brotli.Compressor(quality=5)
        return b"".join(packer.process(zeros) for _ in range(256)) + packer.finish()
    wbits = 31 if coding == "gzip" else 15
    deflater = zlib.compressobj(1, zlib.DEFLATED, wbits)
    return b"".join(deflater.compress(zeros) for _ in range(64)) + deflater.flush()


def serve(body: bytes, *headers: tuple[str, str], status: int = 200) -> Route:
    def route(handler: Handler) -> None:
        handler.respond(status, body, [("Content-Type", "application/rss+xml"), *headers])

    return route


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br"])
async def test_compression_bombs_stop_at_the_cap_without_inflating_in_memory(coding: str) -> None:
    payload = bomb(coding)
    with Loopback({"/feed": serve(payload, ("Content-Encoding", coding))}) as server:
        async with Fetcher(options()) as fetcher:
            tracemalloc.start()
            try:
                with pytest.raises(FetchError) as caught:
                    await fetcher.fetch(server.url("/feed"))
                _size, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
    assert "after decompression" in caught.value.reason
    assert caught.value.kind is FailureKind.HARD
    assert len(payload) < CAP  # the wire size is harmless; only inflating it is not
    assert peak < 6 * CAP, f"peak {peak} bytes while refusing a {coding} bomb"


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br"])
async def test_compressed_bodies_under_the_cap_are_decoded(coding: str) -> None:
    text = b"<rss version='2.0'><channel><title>ok</title></channel></rss>" * 100
    if coding == "br":
        packed = brotli.compress(text)
    elif coding == "gzip":
        packed = zlib.compress(text, wbits=31)
    else:
        packed = zlib.compress(text)
    with Loopback({"/feed": serve(packed, ("Content-Encoding", coding))}) as server:
        async with Fetcher(options()) as fetcher:
            result = await fetcher.fetch(server.url("/feed"))
    assert result.body == text


async def test_raw_deflate_without_zlib_header_is_decoded() -> None:
    text = b"<rss/>" * 200
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    packed = packer.compress(text) + packer.flush()
    with Loopback({"/feed": serve(packed, ("Content-Encoding", "deflate"))}) as server:
        async with Fetcher(options()) as fetcher:
            assert (await fetcher.fetch(server.url("/feed"))).body == text


async def test_oversized_plain_body_is_refused_declared_or_streamed() -> None:
    big = b"x" * (CAP + 1)

    def chunked(handler: Handler) -> None:
        handler.drip([b"y" * 65536] * 20, every=0)

    with Loopback({"/declared": serve(big), "/chunked": chunked}) as server:
        async with Fetcher(options()) as fetcher:
            with pytest.raises(FetchError, match="exceeds the 1048576-byte limit"):
                await fetcher.fetch(server.url("/declared"))
            with pytest.raises(FetchError, match="exceeds the 1048576-byte limit"):
                await fetcher.fetch(server.url("/chunked"))


async def test_corrupt_compressed_body_is_a_hard_error() -> None:
    with Loopback({"/feed": serve(b"not gzip at all", ("Content-Encoding", "gzip"))}) as server:
        async with Fetcher(options()) as fetcher:
            with pytest.raises(FetchError, match="undecodable") as caught:
                await fetcher.fetch(server.url("/feed"))
    assert caught.value.kind is FailureKind.HARD


async def test_slow_drip_is_cut_off_by_the_total_time_budget() -> None:
    def drip(handler: Handler) -> None:
        handler.drip([b"<rss>"] * 100, every=0.1)

    with Loopback({"/drip": drip}) as server:
        async with Fetcher(options(total_timeout=0.6, read_timeout=5)) as fetcher:
            began = time.perf_counter()
            with pytest.raises(FetchError, match="total time budget"):
                await fetcher.fetch(server.url("/drip"))
    assert time.perf_counter() - began < 3


async def test_redirects_are_followed_up_to_the_cap(farm_server: FarmServer) -> None:
    feed = farm_server.outlet_path("kompas", "/rss.xml")
    for n in range(3):
        farm_server.redirect(f"/hop{n}", f"/hop{n + 1}" if n < 2 else feed)
    async with Fetcher(options(max_redirects=3)) as fetcher:
        result = await fetcher.fetch(farm_server.url("/hop0"))
        assert result.status == 200 and result.url.endswith("/kompas/rss.xml")
        assert len(result.redirects) == 3
    async with Fetcher(options(max_redirects=2)) as fetcher:
        with pytest.raises(FetchError, match="more than 2 redirects"):
            await fetcher.fetch(farm_server.url("/hop0"))


async def test_retry_after_seconds_and_http_date_are_reported(farm_server: FarmServer) -> None:
    path = farm_server.outlet_path("tempo", "/rss.xml")
    when = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 3600))
    async with Fetcher(options()) as fetcher:
        farm_server.fail(path, 429, retry_after=90, times=1)
        with pytest.raises(FetchError) as seconds:
            await fetcher.fetch(farm_server.url(path))
        farm_server.fail(path, 503, retry_after=when, times=1)
        with pytest.raises(FetchError) as date:
            await fetcher.fetch(farm_server.url(path))
    assert seconds.value.retry_after == 90 and seconds.value.kind is FailureKind.SOFT
    assert date.value.retry_after is not None and 3500 < date.value.retry_after <= 3600


async def test_410_gone_is_a_hard_failure_with_a_clear_reason(farm_server: FarmServer) -> None:
    path = farm_server.outlet_path("tempo", "/rss.xml")
    farm_server.fail(path, 410)
    async with Fetcher(options()) as fetcher:
        with pytest.raises(FetchError, match="410 Gone") as caught:
            await fetcher.fetch(farm_server.url(path))
    assert caught.value.kind is FailureKind.HARD and caught.value.status == 410


async def test_requests_to_one_host_are_spaced_and_capped(farm_server: FarmServer) -> None:
    path = farm_server.outlet_path("okezone", "/rss.xml")
    async with Fetcher(options()) as warm:  # the farm stamps a request after rendering it
        await warm.fetch(farm_server.url(path))
    async with Fetcher(options(per_host_concurrency=1, per_host_min_interval_ms=150)) as fetcher:
        await asyncio.gather(*(fetcher.fetch(farm_server.url(path)) for _ in range(4)))
    starts = sorted(r.time for r in farm_server.requests(path))[1:]
    assert len(starts) == 4
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) >= 0.13, gaps


async def test_per_host_cap_limits_requests_in_flight(farm_server: FarmServer) -> None:
    path = farm_server.outlet_path("okezone", "/rss.xml")
    farm_server.slow(path, 0.3)
    async with Fetcher(options(per_host_concurrency=2)) as fetcher:
        began = time.perf_counter()
        await asyncio.gather(*(fetcher.fetch(farm_server.url(path)) for _ in range(4)))
        took = time.perf_counter() - began
    assert took >= 0.55  # two waves of two, not one wave of four


async def test_other_hosts_are_not_held_up_by_a_slow_one(farm_site: Site) -> None:
    with FarmServer(farm_site) as slow_host, FarmServer(farm_site) as fast_host:
        slow_host.slow("/kompas/rss.xml", 3.0)
        async with Fetcher(options(per_host_concurrency=1)) as fetcher:
            slow = asyncio.ensure_future(fetcher.fetch(slow_host.url("/kompas/rss.xml")))
            await asyncio.sleep(0.05)
            began = time.perf_counter()
            await fetcher.fetch(fast_host.url("/kompas/rss.xml"))
            assert time.perf_counter() - began < 1.5  # the slow host answers after 3 s
            await slow
