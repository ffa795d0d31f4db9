"""The claim stage matches a headline that makes a claim, whatever lead follows it, on both
backends; the same topic's denial and unrelated news stay unmatched."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from app.crawlers.pool import CpuPool
from app.db import Database
from app.models import ClaimMatch, utcnow
from app.pipeline.claims import ClaimStage, _cache, embed, embed_cached
from tests.factories import make_article, make_claim

CLAIM = "Air rebusan daun sirsak menyembuhkan kanker dalam tiga hari"
# Each: (headline, lead). The first makes the claim in its headline only; its lead is about
# something else, as a clickbait article's often is.
DOCUMENTS = [
    (
        "Air Rebusan Daun Sirsak Sembuhkan Kanker dalam Tiga Hari, Begini Cara Membuatnya",
        "Tanaman sirsak banyak ditemukan di pekarangan rumah warga di Jawa Timur. Selain buahnya "
        "yang segar, daunnya kerap direbus oleh warga desa. Ibu Sulastri, warga Kecamatan Wajak, "
        "mengaku rutin menanam sirsak sejak sepuluh tahun lalu dan menjual buahnya ke pasar "
        "setiap pekan. Harga buah sirsak di tingkat petani saat ini berkisar Rp 15 ribu per "
        "kilogram. Ia berharap pemerintah desa membantu pemasaran hasil kebun warga melalui "
        "koperasi. Musim hujan tahun ini membuat panen sedikit terlambat, namun kualitas buah "
        "tetap baik menurut para pengepul.",
    ),
    (
        "Dokter: Belum Ada Bukti Daun Sirsak Sembuhkan Kanker",
        "Dokter spesialis onkologi mengingatkan warga agar tidak menghentikan pengobatan medis. "
        "Belum ada uji klinis yang membuktikan rebusan daun sirsak menyembuhkan kanker. Pasien "
        "diminta berkonsultasi dengan dokter sebelum mengonsumsi obat herbal.",
    ),
    (
        "Petani Sirsak di Malang Panen Raya, Harga Buah Turun",
        "Petani sirsak di Kabupaten Malang memasuki panen raya. Harga buah turun karena pasokan "
        "melimpah. Para pengepul membeli sirsak dari kebun warga dan mengirimnya ke Surabaya.",
    ),
]


async def test_a_headline_making_the_claim_matches_despite_its_lead(db: Database) -> None:
    now = utcnow()
    async with db.writer.begin() as session:
        claim = await make_claim(session, claim=CLAIM, published_at=now - timedelta(days=3))
        ids = [
            (
                await make_article(session, title=title, body=lead, published_at=now, scored_at=now)
            ).id
            for title, lead in DOCUMENTS
        ]
        claim_id = claim.id
    assert await ClaimStage(database=db).run_pending() == 1
    async with db.sessionmaker() as session:
        matched = (await session.execute(select(ClaimMatch.claim_id, ClaimMatch.article_id))).all()
    assert matched == [(claim_id, ids[0])]


async def test_the_encoder_in_the_pool_matches_as_in_this_process(db: Database) -> None:
    now = utcnow()
    async with db.writer.begin() as session:
        await make_claim(session, claim=CLAIM, published_at=now - timedelta(days=3))
        first = await make_article(
            session, title=DOCUMENTS[0][0], body=DOCUMENTS[0][1], published_at=now, scored_at=now
        )
    pool = CpuPool(1)
    try:
        assert await ClaimStage(database=db, pool=pool).run_pending() == 1
    finally:
        await asyncio.to_thread(pool.shutdown)
    async with db.sessionmaker() as session:
        matched = (await session.execute(select(ClaimMatch.article_id))).scalars().all()
    assert matched == [first.id]


async def test_a_text_is_encoded_once_and_reads_back_the_same() -> None:
    texts = [DOCUMENTS[1][0], DOCUMENTS[2][0], DOCUMENTS[1][0]]
    _cache.clear()
    once = await embed_cached(texts)
    assert len(_cache) == 2
    again = await embed_cached(texts[:2])
    assert len(_cache) == 2
    assert (once[0] == once[2]).all() and (again == once[:2]).all()
    fresh = await embed(texts)
    assert abs(fresh - once).max() < 1e-6
