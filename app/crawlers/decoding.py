"""Content-Encoding decoders that never produce more than they are allowed to.

httpx's decoders inflate each network chunk whole: one 64 KiB chunk of a brotli bomb can become
gigabytes before any size check sees it. These decoders take an output budget on every call
and stop at it, so memory stays within the body cap however well the payload compresses.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Protocol

import brotli


class TooLarge(Exception):
    """The decoded body would exceed the budget."""


class UndecodableBody(Exception):
    """The body is not valid data for its Content-Encoding."""


class Decoder(Protocol):
    def feed(self, data: bytes, budget: int) -> bytes:
        """Decode `data`; raise `TooLarge` rather than return more than `budget` bytes."""


class _Identity:
    def feed(self, data: bytes, budget: int) -> bytes:
        if len(data) > budget:
            raise TooLarge
        return data


class _Zlib:
    def __init__(self, wbits: int, *, raw_fallback: bool = False) -> None:
        self._inflater = zlib.decompressobj(wbits)
        self._raw_fallback = raw_fallback  # "deflate" is sent both zlib-wrapped and raw
        self._started = False

    def feed(self, data: bytes, budget: int) -> bytes:
        try:
            out = self._inflater.decompress(data, budget + 1)
        except zlib.error as exc:
            if self._raw_fallback and not self._started:
                self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)
                self._raw_fallback = False
                return self.feed(data, budget)
            raise UndecodableBody(f"invalid compressed data: {exc}") from None
        self._started = True
        if len(out) > budget or self._inflater.unconsumed_tail:
            raise TooLarge
        return out


class _Brotli:
    def __init__(self) -> None:
        self._inflater = brotli.Decompressor()

    def feed(self, data: bytes, budget: int) -> bytes:
        if not data:
            return b""
        try:
            out: bytes = self._inflater.process(data, output_buffer_limit=budget + 1)
        except brotli.error as exc:
            raise UndecodableBody(f"invalid brotli data: {exc}") from None
        if len(out) > budget or not self._inflater.can_accept_more_data():
            raise TooLarge
        return out


def decoders_for(content_encoding: str | None) -> Sequence[Decoder]:
    """Decoders to apply in order, for a Content-Encoding header (codings applied in order)."""
    codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
    chain: list[Decoder] = []
    for coding in reversed(codings):
        if coding in ("gzip", "x-gzip"):
            chain.append(_Zlib(zlib.MAX_WBITS | 16))
        elif coding == "deflate":
            chain.append(_Zlib(zlib.MAX_WBITS, raw_fallback=True))
        elif coding == "br":
            chain.append(_Brotli())
        elif coding != "identity":
            chain.append(_Identity())  # unknown coding: keep the bytes, as httpx does
    return chain or [_Identity()]


def decode_chunk(chain: Sequence[Decoder], data: bytes, budget: int) -> bytes:
    for decoder in chain:
        data = decoder.feed(data, budget)
    return data
