"""Bytes to text for pages: labels are evidence, not orders."""

from __future__ import annotations

import codecs

import pytest

from app.crawlers.charset import declared_charset, decode_body

TEXT = "Menteri “menolak” tuduhan – café, résumé, naïve; Rp 5.000 €"


@pytest.mark.parametrize(
    ("encoding", "label"),
    [("cp1252", "utf-8"), ("latin-1", "UTF-8"), ("cp1252", None)],
)
def test_legacy_bytes_mislabelled_or_unlabelled_decode_without_mojibake(
    encoding: str, label: str | None
) -> None:
    text = TEXT if encoding == "cp1252" else "Presiden berkata: café, résumé, naïve"
    headers = {"Content-Type": f"text/html; charset={label}"} if label else {}
    assert decode_body(text.encode(encoding), headers) == text


def test_utf8_labelled_as_latin1_is_read_as_utf8() -> None:
    headers = {"content-type": "text/html; charset=ISO-8859-1"}
    assert decode_body(TEXT.encode("utf-8"), headers) == TEXT


@pytest.mark.parametrize(
    "body",
    [
        codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"),
        codecs.BOM_UTF8 + TEXT.encode("utf-8"),
        b'<?xml version="1.0" encoding="windows-1252"?>' + TEXT.encode("cp1252"),
        b'<html><head><meta charset="windows-1252"></head>' + TEXT.encode("cp1252"),
        b'<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">'
        + "café".encode("latin-1"),
    ],
)
def test_bom_xml_declaration_and_meta_charset_are_honoured(body: bytes) -> None:
    text = decode_body(body, {"Content-Type": "text/html; charset=utf-8"})
    assert "café" in text and "\ufffd" not in text and not text.startswith("\ufeff")


def test_header_charset_wins_over_meta_when_it_decodes() -> None:
    body = '<meta charset="utf-8"><p>Привет</p>'.encode("koi8-r")
    assert "Привет" in decode_body(body, {"content-type": "text/html; charset=koi8-r"})


def test_cyrillic_mislabelled_as_utf8_is_detected() -> None:
    text = "Президент заявил, что строительство новой столицы идет по графику"
    assert decode_body(text.encode("cp1251"), {"content-type": "text/html; charset=utf-8"}) == text


def test_unknown_labels_and_garbage_never_raise() -> None:
    assert decode_body(b"", {}) == ""
    assert isinstance(decode_body(bytes(range(256)) * 10, {"content-type": "x; charset=nope"}), str)
    assert declared_charset(b"abc", {"content-type": "text/html; charset=bogus-enc"}) is None
