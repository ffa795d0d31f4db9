"""The claim stage matches a headline that makes a claim, whatever lead follows it, on both
backends; the same topic's denial and unrelated news stay unmatched."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.db import Database
from app.models import ClaimMatch, utcnow
from app.pipeline.claims import ClaimStage
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
