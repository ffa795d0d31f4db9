"""OPML 1.0/2.0 reading and writing (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime

import lxml.etree

from app.crawlers.parsers import ParseError, check_xml_safety


@dataclass(frozen=True, slots=True)
class Outline:
    url: str
    name: str | None = None
    kind: str = "feed"
    language: str | None = None
    tier: int | None = None
    category: str | None = None
    selector: str | None = None  # a listing source's CSS selector for article links
    kind_given: bool = True  # False when the outline does not state a Pantau kind


def parse_opml(body: bytes) -> list[Outline]:
    """Every outline with an xmlUrl (or Pantau's own `pantauUrl`), categories flattened."""
    if not body.strip():
        raise ParseError("empty OPML document")
    check_xml_safety(body)
    parser = lxml.etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = lxml.etree.fromstring(body.lstrip(), parser=parser)
    except lxml.etree.XMLSyntaxError as exc:
        raise ParseError(f"invalid OPML: {exc}") from None
    if lxml.etree.QName(root).localname != "opml":
        raise ParseError("not an OPML document (root element is not <opml>)")
    outlines: list[Outline] = []
    for node in root.iter("outline"):
        url = node.get("xmlUrl") or node.get("pantauUrl")
        if not url:
            continue
        parent = node.getparent()
        category = parent.get("text") if parent is not None and parent.tag == "outline" else None
        tier = node.get("pantauTier")
        outlines.append(
            Outline(
                url=url.strip(),
                name=node.get("title") or node.get("text"),
                kind=node.get("pantauKind") or "feed",
                kind_given=bool(node.get("pantauKind")),
                language=node.get("language") or node.get("pantauLanguage"),
                tier=int(tier) if tier and tier.isdigit() else None,
                category=category,
                selector=node.get("pantauSelector") or None,
            )
        )
    return outlines


def render_opml(outlines: Iterable[Outline], *, title: str = "Pantau sources") -> bytes:
    root = lxml.etree.Element("opml", version="2.0")
    head = lxml.etree.SubElement(root, "head")
    lxml.etree.SubElement(head, "title").text = title
    lxml.etree.SubElement(head, "dateCreated").text = format_datetime(datetime.now(UTC))
    body = lxml.etree.SubElement(root, "body")
    groups: dict[str | None, lxml.etree._Element] = {}
    for outline in outlines:
        parent = body
        if outline.category:
            if outline.category not in groups:
                groups[outline.category] = lxml.etree.SubElement(
                    body, "outline", text=outline.category, title=outline.category
                )
            parent = groups[outline.category]
        attrs = {
            "type": "rss" if outline.kind == "feed" else outline.kind,
            "text": outline.name or outline.url,
            "title": outline.name or outline.url,
            "xmlUrl": outline.url,
            "pantauKind": outline.kind,
        }
        if outline.language:
            attrs["language"] = outline.language
        if outline.tier:
            attrs["pantauTier"] = str(outline.tier)
        if outline.selector:
            attrs["pantauSelector"] = outline.selector
        lxml.etree.SubElement(parent, "outline", attrs)
    document: bytes = lxml.etree.tostring(
        root, xml_declaration=True, encoding="utf-8", pretty_print=True
    )
    return document
