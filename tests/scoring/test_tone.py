"""The Indonesian tone model: names are never evidence, the label is about the entity, the
headline weighs more, the explanation names sentences and phrases, and it round-trips."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from app.scoring import Entity, load_scorer
from app.scoring.artifact import load_artifact, save_models
from app.scoring.dataset import ToneExample, load_tone_pairs
from app.scoring.tone import MASK, ToneConfig, article_sentences, read_pair, sparse_terms
from app.scoring.tone_train import fit_tone, pairs_of
from tests.scoring.tone_templates import (
    NAMES,
    NEGATIVE,
    NEUTRAL,
    POSITIVE,
    article,
)

SCORER = load_scorer()
needs_tone = pytest.mark.skipif(SCORER.tone is None, reason="the artefact has no tone model")


def _target(sentence: str, name: str, *, in_title: bool = True) -> tuple[float, str]:
    title, body = article(sentence, name, in_title=in_title)
    result = SCORER.score(title=title, text=body, entities=(Entity(name),))
    return result.targets[0].negativity, result.targets[0].label


def test_no_feature_carries_a_name_of_the_entity() -> None:
    sentences, has_title = article_sentences(
        "Polri Tangkap Bandar Narkoba", "Kepolisian Republik Indonesia menyita 5 kg sabu."
    )
    entity = Entity("Polri", ("Kepolisian Republik Indonesia",))
    pair = read_pair(sentences, entity, has_title=has_title)
    assert pair.mentions == [0, 1]
    terms = " ".join(t for t, _ in sparse_terms(pair, ToneConfig()))
    assert MASK in terms
    for word in ("polri", "kepolisian", "republik"):
        assert word not in terms.split(), word


def test_pairs_of_two_names_give_the_same_row() -> None:
    rows = [
        ToneExample(
            "a", "KPK Gelar Rapat", "KPK menggelar rapat di Jakarta.", "KPK", (), "neutral", ""
        )
    ]
    swapped = [
        ToneExample(
            "a",
            "Ombudsman Gelar Rapat",
            "Ombudsman menggelar rapat di Jakarta.",
            "Ombudsman",
            (),
            "neutral",
            "",
        )
    ]
    one, two = pairs_of(rows)[0], pairs_of(swapped)[0]
    cfg = ToneConfig()
    assert sorted(sparse_terms(one, cfg)) == sorted(sparse_terms(two, cfg))


@needs_tone
def test_name_swap_moves_negativity_by_less_than_five_hundredths() -> None:
    for template in NEUTRAL + NEGATIVE + POSITIVE:
        values = [_target(template, name)[0] for name in NAMES]
        assert max(values) - min(values) <= 0.05, (template, values)


@needs_tone
def test_clear_sentences_read_right() -> None:
    right = 0
    cases = [(t, "negative") for t in NEGATIVE] + [(t, "positive") for t in POSITIVE]
    for template, want in cases:
        right += _target(template, "Pemkab Sleman")[1] == want
    # A floor against regression: the target (90 %) is measured by bench/tone_eval.py over
    # twelve names and is not met yet (see the model card); 2.7 reads 14 of these 20 right.
    assert right >= 0.6 * len(cases), right


@needs_tone
def test_neutral_sentences_are_not_read_negative() -> None:
    negative = sum(_target(t, "Bawaslu")[1] == "negative" for t in NEUTRAL)
    assert negative <= 1, negative


@needs_tone
def test_an_article_bad_for_someone_else_stays_neutral_for_the_entity() -> None:
    title = "Warga Kecam Bupati Sukamaju karena Proyek Jalan Mangkrak"
    body = (
        "Warga mengecam Bupati Sukamaju karena proyek jalan mangkrak selama dua tahun. "
        "Mereka menilai bupati lalai dan menuntut anggaran proyek diaudit. "
        "Rapat dengar pendapat dijadwalkan pekan depan dan akan dihadiri perwakilan "
        "Kementerian Pekerjaan Umum."
    )
    watched = (Entity("Kementerian Pekerjaan Umum"), Entity("Bupati Sukamaju", ("bupati",)))
    result = SCORER.score(title=title, text=body, entities=watched)
    by_name = {t.name: t for t in result.targets}
    assert by_name["Bupati Sukamaju"].label == "negative"
    assert by_name["Kementerian Pekerjaan Umum"].label != "negative"
    assert by_name["Kementerian Pekerjaan Umum"].negativity < by_name["Bupati Sukamaju"].negativity
    assert result.label == "negative"  # bad for one of the watched entities


@needs_tone
def test_the_headline_weighs_more_than_the_tail() -> None:
    for template in NEGATIVE[:5]:
        in_title, _ = _target(template, "Pemkab Sleman", in_title=True)
        at_end, _ = _target(template, "Pemkab Sleman", in_title=False)
        assert in_title > at_end, template


@needs_tone
def test_the_explanation_names_sentences_and_phrases_never_the_name() -> None:
    title = "Pemkab Sukamaju Dikritik Lamban Tangani Banjir"
    body = (
        "Pemkab Sukamaju dikritik warga karena lamban menangani banjir yang merendam ribuan "
        "rumah. Warga menilai bantuan Pemkab Sukamaju tidak merata. Cuaca cerah pada sore hari."
    )
    result = SCORER.score(title=title, text=body, entities=(Entity("Pemkab Sukamaju"),))
    (target,) = result.targets
    assert target.label == "negative" and result.label == "negative"
    assert result.negativity == target.negativity
    assert result.explanation["basis"] == "entities"
    assert target.evidence and all("Sukamaju" in s for s in target.evidence)
    assert "Cuaca cerah pada sore hari." not in target.evidence
    assert target.phrases
    for phrase in target.phrases:
        assert "sukamaju" not in phrase.lower() and "pemkab" not in phrase.lower()
        assert MASK not in phrase


@needs_tone
def test_an_article_naming_no_watched_entity_keeps_the_article_model() -> None:
    result = SCORER.score(title="Banjir Rendam Jakarta", text="Banjir merendam rumah warga.")
    assert "basis" not in result.explanation


def test_tone_model_trains_and_round_trips_through_the_artefact(tmp_path: Path) -> None:
    models, _, _, _ = load_artifact()
    rows = []
    for k, name in enumerate(NAMES):
        for label, templates in (
            ("negative", NEGATIVE),
            ("neutral", NEUTRAL),
            ("positive", POSITIVE),
        ):
            template = templates[k % len(templates)]
            title, body = article(template, name)
            rows.append(ToneExample(f"{label}-{k}", title, body, name, (), label, "train"))
    tone, oof = fit_tone(rows, models["id"], ToneConfig(bits=14), folds=3)
    assert oof.shape == (len(rows), 3)
    save_models(models, tmp_path / "art", {"name": "t", "release": "x"}, tone=tone)
    _, loaded, _version, document = load_artifact(tmp_path / "art")
    assert loaded is not None and document["tone"]["kind"] == "tone"
    pairs = pairs_of(rows)
    assert np.allclose(
        loaded.proba(pairs, models["id"]), tone.proba(pairs, models["id"]), atol=1e-3
    )


def test_tone_labels_take_their_text_from_the_corpus(tmp_path: Path) -> None:
    corpus = tmp_path / "articles.jsonl"
    corpus.write_text(json.dumps({"id": "c1", "title": "KPK Diserang", "body": "Isi."}) + "\n")
    labels = tmp_path / "labels.jsonl"
    row = {
        "article_id": "c1",
        "label": None,
        "targets": [
            {"name": "KPK", "aliases": ["Komisi Pemberantasan Korupsi"], "label": "negative"}
        ],
        "split": "train",
    }
    labels.write_text(json.dumps(row) + "\n")
    (example,) = load_tone_pairs(labels, corpus)
    assert (example.title, example.aliases, example.split) == (
        "KPK Diserang",
        ("Komisi Pemberantasan Korupsi",),
        "train",
    )
    with pytest.raises(ValueError, match="no text for article c1"):
        load_tone_pairs(labels, None)
