"""The fetcher on the wire, against scripted servers: framing, keep-alive, broken peers, uvloop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
import uvloop

from app.crawlers.fetch import Fetcher, FetchError
from tests.fetching import local_fetch_options


class Scripted:
    """A loopback server answering each request with the next canned reply."""

    def __init__(self, replies: list[bytes], *, close_after: bool = False) -> None:
        self.replies = replies
        self.close_after = close_after  # hang up after each reply (an idle-timeout server)
        self.connections = 0
        self.requests: list[bytes] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while self.replies:
                head = await reader.readuntil(b"\r\n\r\n")
                self.requests.append(head)
                writer.write(self.replies.pop(0))
                await writer.drain()
                if self.close_after:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@asynccontextmanager
async def scripted(replies: list[bytes], **kw: bool) -> AsyncIterator[tuple[Scripted, str]]:
    server = Scripted(replies, **kw)
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    try:
        yield server, f"http://127.0.0.1:{port}"
    finally:
        listener.close()


def fetcher(**overrides: object) -> Fetcher:
    values: dict[str, object] = {
        "user_agent": "PantauTest/1",
        "allow_private_networks": True,
        "total_timeout": 5,
        "read_timeout": 2,
    }
    values.update(overrides)
    return Fetcher(local_fetch_options(**values))  # type: ignore[arg-type]


OK = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"
NOT_MODIFIED = b'HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\n\r\n'


async def test_keep_alive_reuses_one_connection_for_sequential_polls() -> None:
    async with scripted([NOT_MODIFIED] * 3) as (server, base), fetcher() as f:
        for _ in range(3):
            result = await f.fetch(base + "/feed", etag='"v1"')
            assert result.not_modified and result.body == b""
    assert server.connections == 1
    assert all(b'If-None-Match: "v1"' in r for r in server.requests)


async def test_chunked_body_with_extensions_and_trailers() -> None:
    reply = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: yes\r\n\r\n"
    )
    async with scripted([reply, OK]) as (server, base), fetcher() as f:
        assert (await f.fetch(base + "/a")).body == b"hello world"
        assert (await f.fetch(base + "/b")).body == b"hello"  # the connection is still in step
    assert server.connections == 1


async def test_body_delimited_by_connection_close() -> None:
    reply = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nuntil the end"
    async with scripted([reply, OK], close_after=True) as (server, base), fetcher() as f:
        assert (await f.fetch(base + "/a")).body == b"until the end"
        assert (await f.fetch(base + "/b")).body == b"hello"
    assert server.connections == 2


async def test_http_1_0_answer_is_not_kept_alive() -> None:
    reply = b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"
    async with scripted([reply, OK], close_after=True) as (server, base), fetcher() as f:
        assert (await f.fetch(base + "/a")).body == b"ok"
        assert (await f.fetch(base + "/b")).body == b"hello"
    assert server.connections == 2


async def test_interim_answers_are_skipped() -> None:
    reply = b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n" + OK
    async with scripted([reply]) as (_, base), fetcher() as f:
        result = await f.fetch(base + "/a")
    assert result.status == 200 and result.body == b"hello"


async def test_idle_connection_closed_by_the_server_is_replaced_transparently() -> None:
    replies = [NOT_MODIFIED, NOT_MODIFIED]
    async with scripted(replies, close_after=True) as (server, base), fetcher() as f:
        await f.fetch(base + "/a")
        await asyncio.sleep(0.05)  # the server has hung up the idle connection
        assert (await f.fetch(base + "/a")).not_modified
    assert server.connections == 2


@pytest.mark.parametrize(
    "reply",
    [
        b"SPDY/3 200 OK\r\n\r\n",
        b"HTTP/1.1 2000 OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
    ],
)
async def test_malformed_answers_fail_with_a_reason(reply: bytes) -> None:
    async with scripted([reply], close_after=True) as (_, base), fetcher() as f:
        with pytest.raises(FetchError, match="RemoteProtocolError"):
            await f.fetch(base + "/a")


async def test_silent_server_times_out_on_read() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await asyncio.sleep(3)
        writer.close()

    listener = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    try:
        async with fetcher(read_timeout=0.3) as f:
            with pytest.raises(FetchError, match=r"timed out \(ReadTimeout\)"):
                await f.fetch(f"http://127.0.0.1:{port}/a")
    finally:
        listener.close()


async def test_request_line_and_host_header_are_encoded() -> None:
    async with scripted([OK]) as (server, base), fetcher() as f:
        await f.fetch(base + "/berita/ékonomi baru?q=a b&utm=1")
    request_line, *headers = server.requests[0].decode("ascii").split("\r\n")
    assert request_line == "GET /berita/%C3%A9konomi%20baru?q=a%20b&utm=1 HTTP/1.1"
    assert headers[0] == "Host: " + base.removeprefix("http://")


async def test_invalid_international_host_name_fails_with_a_reason() -> None:
    async with fetcher() as f:
        with pytest.raises(FetchError, match=r"invalid host name"):
            await f.fetch("http://bad..\u00e9xample/feed")


async def test_header_injection_through_a_stored_validator_is_refused() -> None:
    async with scripted([OK]) as (server, base), fetcher() as f:
        with pytest.raises(FetchError):
            await f.fetch(base + "/a", etag='"v1"\r\nX-Evil: 1')
    assert server.requests == []


def test_fetching_works_on_uvloop() -> None:
    """`pantau serve` runs the scheduler on uvicorn's loop, which is uvloop when installed."""

    async def main() -> tuple[int, int]:
        async with scripted([NOT_MODIFIED, NOT_MODIFIED]) as (server, base), fetcher() as f:
            results = [await f.fetch(base + "/a", etag='"v1"') for _ in range(2)]
        return results[-1].status, server.connections

    assert uvloop.run(asyncio.wait_for(main(), 10)) == (304, 1)
