"""Bytes to text for pages: find the real encoding, since publishers often label it wrongly.

Order of evidence: a byte-order mark; the Content-Type charset; an XML declaration; an HTML
`<meta charset>` (or http-equiv) in the first bytes; then charset-normalizer's detection. A label
is only believed if the bytes decode under it, and a legacy single-byte label (ISO-8859-1,
Windows-1252, ASCII) on bytes that are valid multi-byte UTF-8 loses to UTF-8, because that
combination is almost always a mislabelled UTF-8 page, never Latin-1 text by chance.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping

import charset_normalizer
from charset_normalizer.md import mess_ratio

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?([\w.:-]+)""", re.IGNORECASE)
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([\w.:-]+)["']""")
_META_CHARSET = re.compile(rb"""<meta[^>]{0,400}?charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
_SNIFF_BYTES = 4096
# WHATWG: these labels mean windows-1252 on the web, which is a superset of their code points.
_LEGACY_SINGLE_BYTE = {"iso8859-1": "cp1252", "ascii": "cp1252", "cp1252": "cp1252"}


def _normal(label: str) -> str | None:
    """Python's codec name for a charset label, or None when Python does not know it."""
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except LookupError:
        return None
    return _LEGACY_SINGLE_BYTE.get(name, name)


def declared_charset(body: bytes, headers: Mapping[str, str] | None = None) -> str | None:
    """The charset the response claims, from the strongest evidence present."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return codec
    content_type = _header(headers, "content-type")
    if content_type:
        in_header = _HEADER_CHARSET.search(content_type)
        if in_header and (label := _normal(in_header.group(1))):
            return label
    head = body[:_SNIFF_BYTES]
    for pattern in (_XML_DECL, _META_CHARSET):
        in_body = pattern.search(head)
        if in_body and (label := _normal(in_body.group(1).decode("ascii", "replace"))):
            return label
    return None


def decode_body(body: bytes, headers: Mapping[str, str] | None = None) -> str:
    """Text of a page body; never raises, and avoids mojibake from wrong labels."""
    if not body:
        return ""
    declared = declared_charset(body, headers)
    if declared is None or not declared.startswith(("utf-16", "utf-32")):
        try:
            # Valid UTF-8 (pure ASCII included) is UTF-8 whatever the label says.
            return body.decode("utf-8-sig")
        except UnicodeDecodeError:
            pass
    if declared is not None and declared not in ("utf-8", "utf-8-sig"):
        try:
            return body.decode(declared).removeprefix("\ufeff")
        except (UnicodeDecodeError, LookupError):
            pass
    return _detect(body)


def _detect(body: bytes) -> str:
    """The label was missing or wrong: ask the detector, preferring Windows-1252 on a tie.

    Detectors cannot tell single-byte Latin code pages apart on short texts (cp775 and cp1250
    score like cp1252 on Indonesian or English prose); our sources write in Latin script, where
    Windows-1252 is the legacy encoding met in practice, so it wins unless it reads as mess.
    """
    sample = body[:262144]
    best = charset_normalizer.from_bytes(sample).best()
    try:
        western = body.decode("cp1252")
    except UnicodeDecodeError:
        western = None
    if western is not None and (
        best is None
        or mess_ratio(western[: len(sample)], maximum_threshold=1.0) <= best.chaos + 0.01
    ):
        return western
    if best is not None and best.encoding:
        try:
            return body.decode(best.encoding)
        except (UnicodeDecodeError, LookupError):
            pass
    return body.decode("cp1252", errors="replace")


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    if not headers:
        return None
    value = headers.get(name)
    if value is None:
        value = next((v for k, v in headers.items() if k.lower() == name), None)
    return value
