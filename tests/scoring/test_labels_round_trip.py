"""Analyst labels leave the database with `pantau scoring export-labels` and come back in
through `pantau scoring train --labels` (on a tiny made-up dataset, so it runs in seconds)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from app.db import Database
from app.scoring import Entity, Scorer
from app.scoring.features import FeatureConfig
from app.scoring.train import TrainConfig, train_all
from app.services import labels
from app.services.entities import create_entity
from tests.factories import make_article
from tests.scoring.tiny_data import tiny_dataset
from tests.test_cli import pantau


async def test_exported_labels_train_the_next_model(db: Database, tmp_path: Path) -> None:
    pytest.importorskip("torch", reason="training needs the optional `neural` extra")
    # a word the tiny data never saw, labelled by analysts in three articles
    async with db.writer.begin() as session:
        await create_entity(session, name="Samsat")
        for n in range(3):
            article = await make_article(
                session,
                title=f"Warga keluhkan pelayanan samsat {n}",
                body="Antrean samsat mengular sejak pagi.",
            )
            await labels.add_label(
                session,
                article_id=article.id,
                data=labels.NewLabel("negative", targets=[("Samsat", "negative")]),
            )
    out = tmp_path / "labels.jsonl"
    result = pantau("scoring", "export-labels", "-o", str(out), database_url=db.url)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 3
    assert rows[0]["label"] == "negative" and rows[0]["targets"] == [
        {"name": "Samsat", "label": "negative"}
    ]
    assert rows[0]["title"].startswith("Warga keluhkan") and rows[0]["text"]

    small = FeatureConfig(word_bits=12, char_bits=12)
    cfg = TrainConfig(
        folds=2,
        id_features=FeatureConfig(word_bits=12, char_bits=12, dir_bits=8),
        en_features=small,
        target_features=FeatureConfig(word_bits=12, char_bits=12, window_bits=10),
    )
    data = tiny_dataset(tmp_path / "data")
    without, _ = train_all(data, cfg)
    steps: list[tuple[str, int, int]] = []
    models, info = train_all(data, cfg, out, lambda *step: steps.append(step))
    finished = {name for name, done, total in steps if done == total}
    assert finished == {
        "id model",
        "en model",
        "target net",
        "encoder head: embedding mentions",
        "en_target model",
    }
    assert info["analyst_rows"] == 3
    assert info["analyst_target_rows"] == {"id": 6, "en": 0}  # title + body
    item = ("Pelayanan samsat dikeluhkan", "Antrean samsat mengular.", (Entity("Samsat"),))
    before = Scorer(without, "before").score_many([item])[0]
    after = Scorer(models, "after").score_many([item])[0]
    assert after.negativity > before.negativity
    assert after.targets[0].negativity > before.targets[0].negativity
    assert not np.array_equal(models["id"].weights, without["id"].weights)
