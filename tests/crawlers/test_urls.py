from __future__ import annotations

import pytest

from app.crawlers.urls import InvalidURLError, dedup_key_url, normalise_url, url_hash


def test_normalise_drops_tracking_fragment_and_sorts_query() -> None:
    url = "HTTPS://WWW.Kompas.com:443/read/2019/09/17/berita?utm_source=tw&b=2&a=1&fbclid=x#top"
    assert normalise_url(url) == "https://www.kompas.com/read/2019/09/17/berita?a=1&b=2"


def test_amp_mobile_and_scheme_variants_share_one_hash() -> None:
    variants = [
        "https://www.tempo.co/read/123/judul",
        "http://www.tempo.co/read/123/judul?utm_medium=social",
        "https://m.tempo.co/read/123/judul",
        "https://www.tempo.co/amp/read/123/judul",
        "https://www.tempo.co/read/123/judul#komentar",
    ]
    assert len({url_hash(v) for v in variants}) == 1


def test_different_articles_keep_different_hashes() -> None:
    assert url_hash("https://a.id/read/1") != url_hash("https://a.id/read/2")
    assert url_hash("https://a.id/read?id=1") != url_hash("https://a.id/read?id=2")


@pytest.mark.parametrize(
    "bad", ["ftp://a.id/x", "javascript:alert(1)", "/relative/path", "", "http://"]
)
def test_non_http_urls_are_rejected(bad: str) -> None:
    with pytest.raises(InvalidURLError):
        normalise_url(bad)


def test_dedup_key_strips_amp_suffix() -> None:
    assert dedup_key_url("https://x.id/berita.amp.html") == "https://x.id/berita.html"
