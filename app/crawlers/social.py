"""Pure parsers of public social sources: bytes in, posts (FeedItem of kind `post`) out.

One parser per source kind, each reading the format the platform publishes without a login or
a paid API:

* YouTube: a channel's uploads feed, ``/feeds/videos.xml?channel_id=...`` (Atom with the ``yt:``
  and ``media:`` namespaces; views in ``media:statistics``, likes in ``media:starRating``).
* Mastodon: an account's or a hashtag's public RSS (``/@user.rss``, ``/tags/<tag>.rss``), or
  the public timeline API (``/api/v1/timelines/tag/<tag>``, ``/api/v1/accounts/<id>/statuses``:
  a JSON list of Status objects with replies/reblogs/favourites counts).
* Bluesky: a profile's RSS (``bsky.app/profile/<handle>/rss``), or the public AppView's
  ``app.bsky.feed.searchPosts`` (JSON ``{"posts": [PostView]}`` with like/repost/reply counts).
* Reddit: a subreddit's or a search's public feed (``/r/<sub>/.rss``, ``/search.rss?q=``: Atom).
* Telegram: a public channel's web preview, ``t.me/s/<channel>`` (HTML: each message's text,
  ``<time datetime>`` and view count such as ``12.3K``).

Every time passes `dates.bounded_time`; every text is made storable by `rows.article_row`. A
post without any text (a photo alone) is skipped and counted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html

from app.crawlers.parsers import (
    MAX_ITEMS,
    FeedItem,
    ParsedFeed,
    ParseError,
    _iso,
    _json_int,
    _tidy,
    check_xml_safety,
    html_to_text,
    item_time,
    parse_feed,
)

POST = "post"
TITLE_CHARS = 140  # a post has no title: its first line, cut at a word, stands in for one
NO_TEXT = "post without text (skipped)"

ATOM = "http://www.w3.org/2005/Atom"
NS = {
    "a": ATOM,
    "yt": "http://www.youtube.com/xml/schemas/2015",
    "media": "http://search.yahoo.com/mrss/",
}
_COUNT = re.compile(r"^\s*([\d.,]+)\s*([KkMm]?)\s*$")


def post_title(text: str) -> str:
    """The first line of a post, cut at a word boundary to about TITLE_CHARS characters."""
    line = text.strip().split("\n", 1)[0].strip()
    if len(line) <= TITLE_CHARS:
        return line
    cut = line[:TITLE_CHARS].rsplit(" ", 1)[0] or line[:TITLE_CHARS]
    return cut.rstrip(" ,.;:") + "…"


def count(value: Any) -> int | None:
    """A count as platforms print it: 856, "1,204", "12.3K", "1.2M"; None when unreadable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value < 10**15 else None
    match = _COUNT.match(str(value or "")[:32])
    if match is None:
        return None
    digits, unit = match.groups()
    scale = {"k": 1_000, "m": 1_000_000}.get(unit.lower(), 1)
    if unit:  # "12.3K": a decimal point
        try:
            return int(float(digits.replace(",", ".")) * scale)
        except ValueError:
            return None
    plain = digits.replace(",", "").replace(".", "")  # "1,204" / "1.204": grouping
    return int(plain) if plain.isdigit() and len(plain) < 16 else None


def _engagement(**values: Any) -> dict[str, int] | None:
    out = {k: n for k, v in values.items() if (n := count(v)) is not None}
    return out or None


def make_post(
    *,
    url: str,
    text: str | None,
    platform: str,
    author: str | None,
    published: datetime | None,
    now: datetime,
    guid: str | None = None,
    title: str | None = None,
    engagement: dict[str, int] | None = None,
) -> FeedItem | None:
    """A post item, or None when it has neither text nor a title."""
    body = _tidy(text or "") if text else None
    head = _tidy(title or "") if title else None
    if not body and not head:
        return None
    when, trusted, note = item_time(published, now=now)
    return FeedItem(
        url=url.strip(),
        guid=guid[:2000] if guid else None,
        title=head or post_title(body or ""),
        body=body or head,
        author=(author or None) and author[:300],
        published=when,
        published_trusted=trusted,
        note=note,
        kind=POST,
        platform=platform,
        engagement=engagement,
    )


def _add(feed: ParsedFeed, item: FeedItem | None) -> None:
    if item is None:
        feed.skip(NO_TEXT)
        return
    if item.note:
        feed.skip(item.note)
    feed.items.append(item)


def _xml(body: bytes, what: str) -> Any:
    if not body.strip():
        raise ParseError(f"empty response body where {what} was expected")
    check_xml_safety(body)
    parser = lxml.etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, recover=False, load_dtd=False
    )
    try:
        return lxml.etree.fromstring(body.lstrip(b"\xef\xbb\xbf \t\r\n"), parser=parser)
    except lxml.etree.XMLSyntaxError as exc:
        raise ParseError(f"invalid XML where {what} was expected: {exc}"[:500]) from None


def _json(body: bytes, what: str) -> Any:
    try:
        return json.loads(body, parse_int=_json_int)
    except (UnicodeDecodeError, ValueError):
        raise ParseError(f"not JSON where {what} was expected") from None
    except RecursionError:
        raise ParseError(f"{what}: JSON nested too deeply") from None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _capped(feed: ParsedFeed, nodes: list[Any], max_items: int) -> list[Any]:
    if len(nodes) > max_items:
        feed.skip(f"items over the per-feed cap of {max_items} (not read)", len(nodes) - max_items)
    return nodes[:max_items]


def _each(feed: ParsedFeed, nodes: list[Any], read: Callable[[Any], FeedItem | None]) -> None:
    for node in nodes:
        try:
            item = read(node)
        except Exception as exc:  # one unreadable post must not lose the others
            feed.skip(f"unreadable item ({type(exc).__name__})")
            continue
        _add(feed, item)


# --- YouTube ---------------------------------------------------------------------------------


def parse_youtube(body: bytes, *, now: datetime, max_items: int = MAX_ITEMS) -> ParsedFeed:
    """A YouTube channel's uploads feed (Atom + yt: + media:)."""
    root = _xml(body, "a YouTube channel feed")
    if lxml.etree.QName(root).namespace != ATOM or lxml.etree.QName(root).localname != "feed":
        raise ParseError("not a YouTube channel feed (no Atom <feed> root)")
    channel = root.findtext("a:author/a:name", namespaces=NS) or root.findtext(
        "a:title", namespaces=NS
    )
    feed = ParsedFeed(title=channel, format="youtube-atom")

    def read(entry: Any) -> FeedItem | None:
        video = entry.findtext("yt:videoId", namespaces=NS)
        link = entry.find("a:link[@rel='alternate']", namespaces=NS)
        url = link.get("href") if link is not None else None
        if not url and video:
            url = f"https://www.youtube.com/watch?v={video}"
        if not url:
            return None
        description = entry.findtext("media:group/media:description", namespaces=NS)
        stats = entry.find(".//media:community/media:statistics", namespaces=NS)
        rating = entry.find(".//media:community/media:starRating", namespaces=NS)
        return make_post(
            url=url,
            guid=entry.findtext("a:id", namespaces=NS),
            title=entry.findtext("a:title", namespaces=NS),
            text=description,
            platform="youtube",
            author=entry.findtext("a:author/a:name", namespaces=NS) or channel,
            published=_iso(entry.findtext("a:published", namespaces=NS)),
            now=now,
            engagement=_engagement(
                views=stats.get("views") if stats is not None else None,
                likes=rating.get("count") if rating is not None else None,
            ),
        )

    _each(feed, _capped(feed, root.findall("a:entry", namespaces=NS), max_items), read)
    return feed


# --- Mastodon --------------------------------------------------------------------------------


def _mastodon_account(url: str) -> str | None:
    """`https://host/@user/123` -> `@user@host` (a tag feed's items name no author)."""
    parts = urlsplit(url)
    segment = parts.path.strip("/").split("/", 1)[0]
    if segment.startswith("@") and len(segment) > 1:
        return segment if "@" in segment[1:] else f"{segment}@{parts.hostname}"
    return None


def parse_mastodon(
    body: bytes,
    *,
    now: datetime,
    headers: Mapping[str, str] | None = None,
    max_items: int = MAX_ITEMS,
) -> ParsedFeed:
    """A Mastodon account's or hashtag's public RSS, or a public timeline's JSON (Status list)."""
    if body.lstrip()[:1] == b"[":
        return _mastodon_statuses(_json(body, "a Mastodon timeline"), now=now, max_items=max_items)
    rss = parse_feed(body, headers=headers, now=now, max_items=max_items)
    feed = ParsedFeed(title=rss.title, format="mastodon-rss", skipped=rss.skipped)
    for item in rss.items:
        text = item.body or item.summary
        _add(
            feed,
            make_post(
                url=item.url,
                guid=item.guid,
                text=text,
                platform="mastodon",
                author=_mastodon_account(item.url) or item.author,
                published=item.published,
                now=now,
            ),
        )
    return feed


def _mastodon_statuses(data: Any, *, now: datetime, max_items: int) -> ParsedFeed:
    if not isinstance(data, list):
        raise ParseError("a Mastodon timeline is a JSON list of statuses")
    feed = ParsedFeed(format="mastodon-api")

    def read(status: Any) -> FeedItem | None:
        if not isinstance(status, dict):
            return None
        if isinstance(status.get("reblog"), dict):  # a boost: the original is the post
            status = status["reblog"]
        url = status.get("url") or status.get("uri")
        if not isinstance(url, str) or not url:
            return None
        account = _dict(status.get("account"))
        acct = account.get("acct")
        host = urlsplit(url).hostname
        author = f"@{acct}" if acct and "@" in str(acct) else (f"@{acct}@{host}" if acct else None)
        text = html_to_text(str(status.get("content") or ""))
        warning = str(status.get("spoiler_text") or "").strip()
        return make_post(
            url=url,
            guid=str(status.get("uri") or status.get("id") or "") or None,
            text=f"{warning}\n\n{text}" if warning and text else (text or warning),
            platform="mastodon",
            author=author,
            published=_iso(status.get("created_at")),
            now=now,
            engagement=_engagement(
                replies=status.get("replies_count"),
                reposts=status.get("reblogs_count"),
                likes=status.get("favourites_count"),
            ),
        )

    _each(feed, _capped(feed, data, max_items), read)
    return feed


# --- Bluesky ---------------------------------------------------------------------------------


def parse_bluesky(
    body: bytes,
    *,
    now: datetime,
    headers: Mapping[str, str] | None = None,
    max_items: int = MAX_ITEMS,
) -> ParsedFeed:
    """A Bluesky profile's RSS, or the AppView's `app.bsky.feed.searchPosts` JSON."""
    if body.lstrip()[:1] == b"{":
        return _bluesky_search(_json(body, "a Bluesky search"), now=now, max_items=max_items)
    rss = parse_feed(body, headers=headers, now=now, max_items=max_items)
    # The channel title is "@handle - Display Name"; its link the profile.
    handle = (rss.title or "").split(" - ", 1)[0].strip() or None
    feed = ParsedFeed(title=rss.title, format="bluesky-rss", skipped=rss.skipped)
    for item in rss.items:
        _add(
            feed,
            make_post(
                url=item.url,
                guid=item.guid,
                text=item.body or item.summary or item.title,
                platform="bluesky",
                author=handle,
                published=item.published,
                now=now,
            ),
        )
    return feed


def _bluesky_search(data: Any, *, now: datetime, max_items: int) -> ParsedFeed:
    posts = data.get("posts") if isinstance(data, dict) else None
    if not isinstance(posts, list):
        raise ParseError("a Bluesky searchPosts answer has a `posts` list")
    feed = ParsedFeed(format="bluesky-search")

    def read(post: Any) -> FeedItem | None:
        if not isinstance(post, dict):
            return None
        uri = str(post.get("uri") or "")
        author = _dict(post.get("author"))
        record = _dict(post.get("record"))
        handle = str(author.get("handle") or author.get("did") or "")
        rkey = uri.rsplit("/", 1)[-1] if "/app.bsky.feed.post/" in uri else ""
        if not handle or not rkey:
            return None
        return make_post(
            url=f"https://bsky.app/profile/{handle}/post/{rkey}",
            guid=uri,
            text=str(record.get("text") or ""),
            platform="bluesky",
            author=f"@{handle}",
            published=_iso(record.get("createdAt") or post.get("indexedAt")),
            now=now,
            engagement=_engagement(
                replies=post.get("replyCount"),
                reposts=post.get("repostCount"),
                likes=post.get("likeCount"),
                quotes=post.get("quoteCount"),
            ),
        )

    _each(feed, _capped(feed, posts, max_items), read)
    return feed


# --- Reddit ----------------------------------------------------------------------------------


def parse_reddit(
    body: bytes,
    *,
    now: datetime,
    headers: Mapping[str, str] | None = None,
    max_items: int = MAX_ITEMS,
) -> ParsedFeed:
    """A subreddit's or a search's public feed (Atom; RSS read the same)."""
    atom = parse_feed(body, headers=headers, now=now, max_items=max_items)
    feed = ParsedFeed(title=atom.title, format="reddit-atom", skipped=atom.skipped)
    for item in atom.items:
        text = item.body or item.summary
        if text:  # the link-post boilerplate: "submitted by /u/x [link] [comments]"
            text = re.sub(r"\s*submitted by\s+/u/\S+.*$", "", text, flags=re.DOTALL).strip()
        _add(
            feed,
            make_post(
                url=item.url,
                guid=item.guid,
                title=item.title,
                text=text,
                platform="reddit",
                author=item.author,
                published=item.published,
                now=now,
            ),
        )
    return feed


# --- Telegram --------------------------------------------------------------------------------


def parse_telegram(
    body: bytes, *, now: datetime, url: str = "https://t.me/", max_items: int = MAX_ITEMS
) -> ParsedFeed:
    """A public channel's web preview (t.me/s/<channel>): its messages, newest last."""
    if not body.strip():
        raise ParseError("empty response body where a Telegram channel preview was expected")
    try:
        root = lxml.html.document_fromstring(body)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise ParseError(f"unreadable Telegram preview: {exc}"[:500]) from None
    messages = root.xpath("//div[contains(concat(' ', @class, ' '), ' tgme_widget_message ')]")
    if not messages and not root.xpath("//*[contains(@class, 'tgme_channel_info')]"):
        raise ParseError("not a Telegram channel preview (no tgme_widget_message elements)")
    title = root.xpath("string(//div[contains(@class,'tgme_channel_info_header_title')])").strip()
    feed = ParsedFeed(title=title or None, format="telegram-preview")
    messages = list(reversed(messages))  # newest first, as a feed

    def first(node: Any, xpath: str) -> Any:
        found = node.xpath(xpath)
        return found[0] if found else None

    def read(node: Any) -> FeedItem | None:
        post = node.get("data-post") or ""
        date = first(node, ".//a[contains(@class,'tgme_widget_message_date')]")
        link = date.get("href") if date is not None else None
        if not link and "/" in post:
            link = f"https://t.me/{post}"
        if not link:
            return None
        stamp = first(node, ".//a[contains(@class,'tgme_widget_message_date')]/time/@datetime")
        text_node = first(node, ".//div[contains(@class,'tgme_widget_message_text')]")
        text = None
        if text_node is not None:
            for br in text_node.xpath(".//br"):
                br.tail = "\n" + (br.tail or "")
            text = text_node.text_content()
        owner = first(node, ".//a[contains(@class,'tgme_widget_message_owner_name')]")
        channel = post.split("/", 1)[0] if "/" in post else None
        name = owner.text_content().strip() if owner is not None else None
        views = first(node, ".//span[contains(@class,'tgme_widget_message_views')]")
        return make_post(
            url=urljoin(url, link),
            guid=post or None,
            text=text,
            platform="telegram",
            author=f"@{channel}" if channel else name,
            published=_iso(str(stamp)) if stamp else None,
            now=now,
            engagement=_engagement(views=views.text_content() if views is not None else None),
        )

    _each(feed, _capped(feed, messages, max_items), read)
    return feed


def parse_post_source(
    kind: str,
    body: bytes,
    *,
    now: datetime,
    url: str = "",
    headers: Mapping[str, str] | None = None,
    max_items: int = MAX_ITEMS,
) -> ParsedFeed:
    """The posts of a fetched social source, by the source's kind."""
    if kind == "youtube":
        return parse_youtube(body, now=now, max_items=max_items)
    if kind == "mastodon":
        return parse_mastodon(body, now=now, headers=headers, max_items=max_items)
    if kind == "bluesky":
        return parse_bluesky(body, now=now, headers=headers, max_items=max_items)
    if kind == "reddit":
        return parse_reddit(body, now=now, headers=headers, max_items=max_items)
    if kind == "telegram":
        return parse_telegram(body, now=now, url=url or "https://t.me/", max_items=max_items)
    raise ParseError(f"not a social source kind: {kind!r}")
