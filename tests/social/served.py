"""What the social tests' local HTTP server answers: the recorded formats, dated to today."""

from __future__ import annotations

import re
from datetime import date

from tests.crawlers.loopback import Handler, Route

_RFC822 = re.compile(r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d\d) Nov 2025\b")


def moved(body: bytes, *, flood_day: date) -> bytes:
    """The fixtures' 4 November 2025 (the flood) moved to `flood_day`, 3 November to the day
    before, in ISO and RFC 822 dates alike, so the matching windows hold today."""
    shift = flood_day - date(2025, 11, 4)
    text = body.decode("utf-8")
    for day in (3, 4):
        old = date(2025, 11, day)
        text = text.replace(old.isoformat(), (old + shift).isoformat())

    def rfc822(match: re.Match[str]) -> str:
        return (date(2025, 11, int(match.group(2))) + shift).strftime("%a, %d %b %Y")

    return _RFC822.sub(rfc822, text).encode("utf-8")


def static(body: bytes, content_type: str) -> Route:
    def answer(handler: Handler) -> None:
        handler.respond(200, body, [("Content-Type", content_type)])

    return answer


def redirect(location: str) -> Route:
    def answer(handler: Handler) -> None:
        handler.respond(302, b"", [("Location", location)])

    return answer
