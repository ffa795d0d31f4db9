import json
import math

from app.scoring import ArticleScore, Entity, load_scorer

# An article that is negative overall (a corruption arrest), but the watched governor only
# appears in a sentence about opening a bridge.
MIXED_TITLE = "KPK Tetapkan Bupati Sidoarjo Tersangka Korupsi Dana Insentif"
MIXED_TEXT = (
    "Gubernur Jawa Timur Khofifah Indar Parawansa meresmikan jembatan baru di Surabaya pada "
    "Senin pagi. Jembatan itu diharapkan memperlancar arus kendaraan dan mendukung ekonomi "
    "warga.\n\n"
    "Sementara itu, Komisi Pemberantasan Korupsi menetapkan Bupati Sidoarjo sebagai tersangka "
    "kasus korupsi pemotongan dana insentif pegawai. Bupati Sidoarjo langsung ditahan selama "
    "20 hari pertama. Penyidik juga menggeledah kantor bupati dan menyita sejumlah dokumen."
)


def test_negated_negative_word_is_less_negative():
    scorer = load_scorer()
    for bad, not_bad in [
        ("Pelayanannya buruk", "Pelayanannya tidak buruk"),
        ("Kinerja pemerintah daerah mengecewakan", "Kinerja pemerintah daerah tidak mengecewakan"),
    ]:
        plain = scorer.score(title=None, text=bad)
        negated = scorer.score(title=None, text=not_bad)
        assert plain.label == "negative"
        assert negated.label != "negative"
        assert negated.negativity < plain.negativity - 0.3


def test_english_negation_lowers_negativity():
    # The English model has seen little negated text (NewsMTSC, NusaX-en): only the
    # direction is guaranteed, not a label flip.
    scorer = load_scorer()
    plain = scorer.score(title=None, text="The service was bad")
    negated = scorer.score(title=None, text="The service was not bad")
    assert negated.negativity < plain.negativity


def test_article_negative_about_someone_else_is_not_negative_for_the_entity():
    scorer = load_scorer()
    governor = Entity("Khofifah", ("Gubernur Jawa Timur",))
    regent = Entity("Bupati Sidoarjo")
    result = scorer.score(title=MIXED_TITLE, text=MIXED_TEXT, entities=[governor, regent])
    assert result.label == "negative"
    by_name = {t.name: t for t in result.targets}
    assert by_name["Khofifah"].label != "negative"
    assert by_name["Khofifah"].negativity < 0.35
    assert by_name["Khofifah"].mentions == 1
    assert by_name["Bupati Sidoarjo"].label == "negative"
    assert by_name["Bupati Sidoarjo"].negativity > 0.6
    assert by_name["Bupati Sidoarjo"].mentions == 3
    assert MIXED_TITLE in by_name["Bupati Sidoarjo"].evidence
    # the evidence is the entity's own sentences, never the ones about someone else
    assert all("Khofifah" in s for s in by_name["Khofifah"].evidence)


def test_alias_counts_as_a_mention():
    scorer = load_scorer()
    entity = Entity("Pemprov DKI", ("Pemerintah Provinsi DKI Jakarta",))
    result = scorer.score(
        title=None,
        text="Pemerintah Provinsi DKI Jakarta dikritik warga karena banjir tak kunjung surut.",
        entities=[entity],
    )
    assert result.targets[0].mentions == 1
    assert result.targets[0].label == "negative"


def test_unmentioned_entity_is_neutral_with_zero_confidence():
    scorer = load_scorer()
    result = scorer.score(
        title="Banjir di Bekasi",
        text="Air setinggi satu meter.",
        entities=[Entity("Menteri Keuangan")],
    )
    target = result.targets[0]
    assert (target.label, target.mentions, target.confidence, target.evidence) == (
        "neutral",
        0,
        0.0,
        (),
    )
    assert 0.0 < target.negativity < 1.0


def test_english_target_uses_the_mention():
    scorer = load_scorer()
    text = (
        "Senator Smith praised the new hospital, while critics accused Governor Jones of "
        "corruption and lying to voters."
    )
    result = scorer.score(title=None, text=text, entities=[Entity("Jones"), Entity("Smith")])
    jones, smith = result.targets
    assert jones.negativity > smith.negativity


def test_scores_are_probabilities_and_json_serialisable():
    scorer = load_scorer()
    results = scorer.score_many(
        [
            (MIXED_TITLE, MIXED_TEXT, [Entity("Khofifah")]),
            (None, "", []),
            ("IHSG Menguat, Saham Bank Cetak Rekor", "Investor asing mencatat beli bersih.", []),
        ]
    )
    for result in results:
        assert isinstance(result, ArticleScore)
        assert 0.0 <= result.negativity <= 1.0
        assert 0.0 <= result.confidence <= 1.0
        assert all(0.0 <= t.negativity <= 1.0 for t in result.targets)
        data = json.loads(json.dumps(result.to_dict()))
        assert data["model_version"] == scorer.model_version
        assert len(data["explanation"]["terms"]) <= 8
        assert len(data["explanation"]["sentences"]) <= 3
        assert all(math.isfinite(t["weight"]) for t in data["explanation"]["terms"])
    assert results[2].label == "positive"


def test_explanation_names_the_crisis_terms():
    scorer = load_scorer()
    result = scorer.score(title=MIXED_TITLE, text=MIXED_TEXT)
    terms = [t["term"] for t in result.explanation["terms"] if t["weight"] > 0]
    assert "korupsi" in terms
    assert result.explanation["sentences"][0]["text"] == MIXED_TITLE


def test_batch_and_single_scores_agree_and_repeat_exactly():
    scorer = load_scorer()
    items = [(MIXED_TITLE, MIXED_TEXT, [Entity("Khofifah")]), (None, "Harga cabai naik.", [])]
    batch = scorer.score_many(items)
    again = scorer.score_many(items)
    single = [scorer.score(title=t, text=x, entities=e) for t, x, e in items]
    assert batch == again
    for one, other in zip(batch, single, strict=True):
        assert one.label == other.label
        assert abs(one.negativity - other.negativity) < 1e-3
