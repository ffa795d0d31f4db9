"""Training the informal model end to end on a tiny made-up copy of the data layout."""

import json
from pathlib import Path

from app.scoring.features import FeatureConfig
from app.scoring.informal import load_informal
from app.scoring.informal_train import InformalConfig, informal_rows, run_informal_training

TRAIN = [
    ("pelayanan nya jelek banget , kecewa", "negative"),
    ("barang rusak dan kurir lambat , menyesal beli", "negative"),
    ("makanan nya basi , tidak enak sama sekali", "negative"),
    ("harga mahal , rasa hambar , parah", "negative"),
    ("toko buka jam delapan pagi", "neutral"),
    ("lokasi nya di jalan braga nomor dua", "neutral"),
    ("menu nya ada nasi dan mi", "neutral"),
    ("parkir ada di belakang gedung", "neutral"),
    ("enak banget , pelayanan ramah , puas", "positive"),
    ("barang bagus , pengiriman cepat , mantap", "positive"),
    ("tempat nya nyaman dan bersih , suka", "positive"),
    ("harga murah , rasa enak , rekomendasi", "positive"),
]
VALID = [
    ("kecewa , pesanan tidak datang", "negative"),
    ("buka setiap hari", "neutral"),
    ("mantap , enak sekali", "positive"),
]


def _data(root: Path) -> Path:
    (root / "smsa").mkdir(parents=True)
    # A validation text inside the training split is dropped from training.
    train = TRAIN * 3 + [VALID[0]]
    (root / "smsa" / "train.tsv").write_text("".join(f"{t}\t{lab}\n" for t, lab in train))
    (root / "smsa" / "valid.tsv").write_text("".join(f"{t}\t{lab}\n" for t, lab in VALID))
    folder = root / "nusax-senti" / "indonesian"
    folder.mkdir(parents=True)
    for name, rows in (("train.csv", TRAIN), ("valid.csv", VALID)):
        body = "id,text,label\n" + "".join(f'{n},"{t}",{lab}\n' for n, (t, lab) in enumerate(rows))
        (folder / name).write_text(body)
    (root / "nusax-senti" / "LICENSE").write_text("CC BY-SA 4.0\n")
    return root


def test_training_drops_validation_texts_and_writes_a_loadable_artefact(tmp_path: Path):
    data = _data(tmp_path / "data")
    rows, dropped = informal_rows(data)
    assert (len(rows), dropped) == (len(TRAIN) * 4, 1)
    out = tmp_path / "out"
    out.mkdir()
    cfg = InformalConfig(folds=2, features=FeatureConfig(word_bits=12, char_bits=12))
    version = run_informal_training(data_dir=data, out=out, cfg=cfg)
    assert version.startswith("informal-1+")
    model = load_informal(out)
    assert model is not None and model.version == version
    proba = model.proba(["kecewa bgt , brg rusak 😡", "mantul , enak bgt 😍"])
    assert proba.argmax(axis=1).tolist() == [0, 2]
    document = json.loads((out / "pantau-scoring-informal.json").read_text())
    assert document["training"]["licence"] == "CC BY-SA 4.0"
    assert document["validation"]["all"]["rows"] == len(VALID) * 2
    assert (out / "LICENSE-nusax.txt").exists() and (out / "LICENSE-smsa.txt").exists()


def test_no_artefact_means_no_informal_model(tmp_path: Path):
    assert load_informal(tmp_path) is None
