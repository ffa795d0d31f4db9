"""URL normalisation and hashing: the canonical URL's hash is an article's natural key."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from url_normalize import url_normalize

# Query parameters that identify a campaign or a click, never the document.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "_ga",
        "_gl",
        "ref",
        "ref_src",
        "ref_url",
        "referrer",
        "source",
        "src",
        "cmpid",
        "cmp",
        "spm",
        "share",
        "amp",
        "amp_js_v",
        "usqp",
        "outputtype",
        "page_from",
        "from",
        "utm",
        "xtor",
        "__twitter_impression",
        "ncid",
        "soc_src",
        "soc_trk",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "at_", "oly_", "vero_", "_hs")
_AMP_PATH = re.compile(r"(^|/)amp(/|$)")
_AMP_SUFFIX = re.compile(r"[./-]amp(?=$|\.html?$|/$)")
_MOBILE_HOST = re.compile(r"^(m|mobile|amp)\.")
MAX_URL_CHARS = 4096


class InvalidURLError(ValueError):
    """The text is not an absolute http(s) URL."""


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def normalise_url(url: str) -> str:
    """Return the canonical form of an http(s) URL.

    Lower-case scheme and host, default port dropped, path dot-segments resolved, percent
    encoding normalised (by `url_normalize`), then: fragment dropped, tracking parameters
    removed, remaining parameters sorted.
    """
    text = url.strip()
    if len(text) > MAX_URL_CHARS:
        raise InvalidURLError(f"URL longer than {MAX_URL_CHARS} characters: {url[:200]!r}")
    try:
        return _normalise(text)
    except InvalidURLError:
        raise
    except (ValueError, UnicodeError, TypeError) as exc:
        # IDNA refusing a host (U+202E, an empty label), a bad port, a bad IPv6 literal: the
        # URL is unusable, and every caller handles exactly that.
        raise InvalidURLError(
            f"cannot normalise URL ({type(exc).__name__}): {url[:200]!r}"
        ) from exc


def _normalise(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InvalidURLError(f"not an absolute http(s) URL: {text[:200]!r}")
    normalised = url_normalize(text)
    if not normalised:
        raise InvalidURLError(f"cannot normalise URL: {text[:200]!r}")
    parts = urlsplit(normalised)
    parts.port  # noqa: B018 - raises ValueError on a port out of range or not a number
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)
    ]
    path = parts.path or "/"
    return urlunsplit((parts.scheme, parts.netloc, path, urlencode(sorted(query)), ""))


def dedup_key_url(url: str) -> str:
    """The URL used for identity: canonical, with AMP and mobile variants folded together."""
    canonical = normalise_url(url)
    parts = urlsplit(canonical)
    host = (
        _MOBILE_HOST.sub("www.", parts.netloc) if _MOBILE_HOST.match(parts.netloc) else parts.netloc
    )
    path = _AMP_PATH.sub(r"\1", parts.path)
    path = _AMP_SUFFIX.sub("", path) or "/"
    return urlunsplit((parts.scheme, host, path, parts.query, ""))


def url_hash(url: str) -> str:
    """SHA-256 of the identity URL (scheme-insensitive: http and https are the same article)."""
    key = dedup_key_url(url)
    key = key.split("://", 1)[1]
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def host_of(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host
