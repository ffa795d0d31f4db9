"""The page extractor, listing link discovery and near-duplicate signatures (pure)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from app.crawlers.extract import clean_text, decode_html, extract_page
from app.crawlers.links import looks_like_article, next_page, parse_listing
from app.crawlers.neardup import signature, similarity
from app.crawlers.parsers import ParseError
from tests.farm.fixtures import articles_or_skip
from tests.farm.model import Story
from tests.farm.site import Site, syndicated_copy

BASE = "http://farm.test"
BODY = " ".join(
    f"Kalimat nomor {i} tentang banjir di Jakarta yang merendam rumah warga." for i in range(12)
)


def page(head: str = "", body_extra: str = "", lang: str = ' lang="id"') -> str:
    return f"""<!DOCTYPE html><html{lang}><head><meta charset="utf-8"><title>Banjir</title>{head}
</head><body><main><article><h1>Banjir Rendam Jakarta Utara</h1>
<p>{BODY}</p><p>Baca juga: Harga cabai naik lagi di pasar induk</p>
<p>ADVERTISEMENT</p><p>Scroll to continue with content</p>
<p>Warga mengungsi ke masjid terdekat sambil menunggu air surut pada malam hari.</p>
{body_extra}</article></main></body></html>"""


def test_extracts_text_without_indonesian_insert_lines() -> None:
    content = extract_page(page(), url=f"{BASE}/read/1/banjir.html")
    assert content.text is not None and "Kalimat nomor 11" in content.text
    assert "Warga mengungsi" in content.text
    for noise in ("Baca juga", "ADVERTISEMENT", "Scroll to continue"):
        assert noise not in content.text
    assert content.language == "id" and content.title == "Banjir Rendam Jakarta Utara"


def test_clean_text_keeps_prose_that_mentions_the_phrases() -> None:
    text = "Ia berkata, baca juga aturannya.\nBaca Juga: Lain\nSimak juga: video"
    assert clean_text(text) == "Ia berkata, baca juga aturannya."


@pytest.mark.parametrize(
    ("meta", "expected", "trusted"),
    [
        ('<meta property="article:published_time" content="2019-03-22T14:05:00+07:00">',
         datetime(2019, 3, 22, 7, 5, tzinfo=UTC), True),
        ('<meta property="article:published_time" content="2019-03-22T14:05:00">',
         datetime(2019, 3, 22, 7, 5, tzinfo=UTC), False),  # no zone: read as WIB, flagged
        ('<meta property="article:published_time" content="2019-03-22">',
         datetime(2019, 3, 21, 17, 0, tzinfo=UTC), False),  # a day, no time: flagged
        ('<meta property="article:published_time" content="2999-01-01T00:00:00+00:00">',
         None, False),  # impossible (years ahead): dropped, never stored
        ('<script type="application/ld+json">{"@type": "NewsArticle", '
         '"datePublished": "2019-05-01T08:00:00Z"}</script>',
         datetime(2019, 5, 1, 8, 0, tzinfo=UTC), True),
    ],
)  # fmt: skip
def test_publish_times_are_utc_and_untrustworthy_ones_are_flagged(
    meta: str, expected: datetime | None, trusted: bool
) -> None:
    content = extract_page(page(meta), url=f"{BASE}/read/1/banjir.html")
    assert content.published == expected and content.published_trusted is trusted


def test_a_page_without_a_date_has_none_not_an_invented_one() -> None:
    content = extract_page(page(lang=""), url=f"{BASE}/read/1/banjir.html")
    assert content.published is None and content.published_trusted is False
    assert content.language == "id"  # detected from the text when the page does not say


def test_canonical_is_kept_on_the_same_site_only() -> None:
    same = '<link rel="canonical" href="https://www.farm.test/read/1/banjir.html">'
    other = '<link rel="canonical" href="https://original.example/read/9.html">'
    url = "https://m.farm.test/amp/read/1/banjir.html"
    assert (
        extract_page(page(same), url=url).canonical_url
        == "https://www.farm.test/read/1/banjir.html"
    )
    assert extract_page(page(other), url=url).canonical_url is None


def test_decode_html_follows_header_then_meta_then_detection() -> None:
    text = "<html><head><meta charset='windows-1252'></head><body>Caf\xe9</body></html>"
    assert "Café" in decode_html(text.encode("cp1252"))
    assert "Café" in decode_html(
        "Café".encode("latin-1"), {"Content-Type": "text/html; charset=ISO-8859-1"}
    )
    assert decode_html("halo".encode("utf-8-sig")) == "halo"


def test_farm_article_pages_extract_at_trafilatura_level() -> None:
    site = Site(articles_or_skip(per_outlet=4))
    for outlet in site.outlets:
        for story in site.stories(outlet.slug):
            rendered = site.render(f"/{outlet.slug}{story.path}", base_url=BASE)
            content = extract_page(rendered.body, url=f"{BASE}/{outlet.slug}{story.path}")
            assert content.text is not None
            assert content.text.split() == story.body.split() or len(content.text) > 0.9 * len(
                story.body
            )
            assert content.author == story.author and content.published_trusted
            assert content.canonical_url == f"{BASE}/{outlet.slug}{story.path}"


def test_listing_links_are_found_without_chrome() -> None:
    site = Site(articles_or_skip(per_outlet=30))
    html = site.render("/kompas/", base_url=BASE).body.decode()
    links = parse_listing(html, url=f"{BASE}/kompas/")
    expected = [f"{BASE}/kompas{s.path}" for s in site.stories("kompas")[:20]]
    assert [link.url for link in links] == expected
    assert all(link.title and link.published for link in links)
    assert next_page(html, url=f"{BASE}/kompas/") == f"{BASE}/kompas/?page=2"


def test_listing_selector_picks_exactly_what_it_names() -> None:
    site = Site(articles_or_skip(per_outlet=30))
    html = site.render("/tempo/", base_url=BASE).body.decode()
    links = parse_listing(html, url=f"{BASE}/tempo/", selector=".most-popular a")
    assert 0 < len(links) <= 5 and all("utm_source=terpopuler" in link.url for link in links)
    with pytest.raises(ParseError, match="invalid CSS selector"):
        parse_listing(html, url=f"{BASE}/tempo/", selector="a[[")


@pytest.mark.parametrize(
    ("path", "article"),
    [
        ("/2024/05/01/banjir-jakarta", True),
        ("/read/2024/05/01/120000/x", True),
        ("/berita/d-7312345/judul", True),
        ("/nasional/menteri-baru-dilantik-hari-ini.html", True),
        ("/tag/banjir-jakarta-utara-hari/", False),
        ("/penulis/dian-rahmawati-adalah-penulis/", False),
        ("/tentang-kami.html", False),
        ("/static/img/banner-iklan-besar-sekali.jpg", False),
        ("/", False),
    ],
)
def test_article_path_heuristics(path: str, article: bool) -> None:
    assert looks_like_article(f"{BASE}{path}") is article


def test_syndicated_copies_are_near_duplicates_and_others_are_not() -> None:
    originals = [Story.from_article(a) for a in articles_or_skip(per_outlet=6)]
    for story in originals[:20]:
        copy = syndicated_copy(story, "tempo" if story.outlet != "tempo" else "kompas")
        a, b = signature(story.body), signature(copy.body)
        assert a and b and similarity(a, b) >= 0.7
    sigs = [s for s in (signature(o.body) for o in originals) if s]
    worst = max(similarity(x, y) for i, x in enumerate(sigs) for y in sigs[i + 1 :])
    assert worst < 0.5
    assert signature("terlalu pendek") is None


def _blake32(data: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(data, digest_size=4).digest(), "little")


def test_signatures_equal_datasketch_hashing_each_shingle() -> None:
    # Stored signatures are compared with new ones, so the batched hashing must give exactly
    # what datasketch gives hashing each shingle itself (BLAKE2b, 4 bytes, little-endian).
    from datasketch import MinHash

    from app.crawlers import neardup

    texts = [Story.from_article(a).body for a in articles_or_skip(per_outlet=3)]
    texts += ["Satu dua tiga " * 10, "kata " * 40, "a b c d e f g h i j k l m n o p"]
    for text in texts:
        grams = neardup.shingles(text)
        expected = None
        if len(grams) >= neardup.MIN_SHINGLES:
            reference = MinHash(
                num_perm=neardup.NUM_PERM,
                seed=neardup.SEED,
                hashfunc=_blake32,
                permutations=neardup.permutations(),
                scheme=neardup.SCHEME,
            )
            reference.update_batch(list(grams))
            expected = reference.hashvalues.astype("<u4").tobytes()
        assert signature(text) == expected
    assert neardup.shingles("Pemprov DKI, banjir: warga mengungsi lagi!") == {
        b"pemprov dki banjir",
        b"dki banjir warga",
        b"banjir warga mengungsi",
        b"warga mengungsi lagi",
    }


SENTENCE = (
    "Komisi Pemberantasan Korupsi memeriksa tiga saksi kasus suap proyek jalan tol di Bandung."
)


@pytest.mark.parametrize(
    "marker",
    [
        "<!-- iklan: slot tengah -->",
        "<!--[if lt IE 9]><script src='x.js'></script><![endif]-->",
        "<!-- -- -->",
        "<?php echo $ad; ?>",
    ],
)
def test_comments_and_instructions_inside_paragraphs_lose_no_text(marker: str) -> None:
    """The pre-parsed tree kept HTML comments, and trafilatura then lost the text of a
    paragraph after one: parsed as trafilatura parses, nothing is lost."""
    html = (
        f"<html><head><title>KPK</title></head><body><article><h1>KPK periksa saksi</h1>"
        f"<p>{SENTENCE} {SENTENCE}</p>{marker}<p>Penyidik juga {marker} menyita dokumen "
        f"penting dari kantor dinas. {SENTENCE}</p><p>{SENTENCE} {SENTENCE}</p>"
        "</article></body></html>"
    )
    text = extract_page(html, url="https://x.example.id/read/2026/12/06/1/kpk").text or ""
    assert "Penyidik juga menyita dokumen penting dari kantor dinas." in " ".join(text.split())
    assert "iklan" not in text and "echo" not in text and "x.js" not in text


def test_tables_in_articles_are_text() -> None:
    rows = "".join(
        f"<tr><td>{name}</td><td>{role}</td></tr>"
        for name, role in (("Budi Santoso", "Kepala Dinas PU"), ("Siti Aminah", "Bendahara"))
    )
    html = (
        f"<html><body><article><h1>Daftar tersangka</h1><p>{SENTENCE} {SENTENCE}</p>"
        f"<table><tr><th>Nama</th><th>Jabatan</th></tr>{rows}</table><p>{SENTENCE}</p>"
        "</article></body></html>"
    )
    text = extract_page(html, url="https://x.example.id/read/2026/12/06/2/daftar").text or ""
    assert "Budi Santoso" in text and "Bendahara" in text
