"""Reading and writing the shipped artefact: ``<name>.npz`` (arrays) + ``<name>.json`` (spec)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from app.scoring.model import LinearModel
from app.scoring.tone import ToneModel
from app.scoring.vectors import VECTORS_NAME, WordVectors

ARTIFACT_DIR = Path(__file__).parent / "artifacts"
DEFAULT_NAME = "pantau-scoring"
# 2: mixed-hash bigrams and the direction block (1 is not readable); 3: models may carry a
# dense word-vector block read from ``word-vectors.npz`` next to the arrays; 4: the target
# model may carry a net (``neural.py``), which reads the same table; 5: the target model may
# carry an encoder head (``encoder.py``); 6: the artefact may carry the Indonesian tone model
# (``tone.py``) under ``tone`` (2 to 5 still load, without it).
FORMAT_VERSION = 6
READABLE_FORMATS = (2, 3, 4, 5, 6)
TONE_KEY = "id_tone"


def artifact_paths(path: Path | None = None) -> tuple[Path, Path]:
    """(arrays, spec) paths for a directory or a path stem; defaults to the shipped artefact."""
    base = path or ARTIFACT_DIR
    if base.is_dir():
        base = base / DEFAULT_NAME
    base = base.with_suffix("")
    return base.with_suffix(".npz"), base.with_suffix(".json")


def save_models(
    models: dict[str, LinearModel],
    path: Path | None,
    info: dict[str, Any],
    tone: ToneModel | None = None,
) -> tuple[Path, str]:
    """Write all models; returns the spec path and the content-derived model version."""
    npz_path, json_path = artifact_paths(path)
    npz_path.parent.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {}
    specs: dict[str, Any] = {}
    for key, model in sorted(models.items()):
        arrays.update(model.to_arrays(key))
        specs[key] = model.spec()
    tone_spec = None
    if tone is not None:
        arrays.update(tone.to_arrays(TONE_KEY))
        tone_spec = tone.spec()
    digest = hashlib.sha256()
    for key in sorted(arrays):
        digest.update(key.encode())
        digest.update(np.ascontiguousarray(arrays[key]).tobytes())
    digest.update(json.dumps(specs, sort_keys=True).encode())
    digest.update(json.dumps(tone_spec, sort_keys=True).encode())
    vectors = next((m.vectors for m in models.values() if m.vectors is not None), None)
    if vectors is not None:
        digest.update(np.ascontiguousarray(vectors.matrix).tobytes())
        vectors_path = npz_path.parent / VECTORS_NAME
        if vectors.source is None or vectors.source.resolve() != vectors_path.resolve():
            vectors.save(vectors_path)
    version = (
        f"{info.get('name', 'pantau-neg')}-{info.get('release', '1')}+{digest.hexdigest()[:10]}"
    )
    np.savez_compressed(npz_path, **arrays)  # type: ignore[arg-type]
    document = {"format": FORMAT_VERSION, "model_version": version, "models": specs, **info}
    if tone_spec is not None:
        document["tone"] = tone_spec
    json_path.write_text(json.dumps(document, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
    return json_path, version


def load_models(path: Path | None = None) -> tuple[dict[str, LinearModel], str, dict[str, Any]]:
    models, _, version, document = load_artifact(path)
    return models, version, document


def load_artifact(
    path: Path | None = None,
) -> tuple[dict[str, LinearModel], ToneModel | None, str, dict[str, Any]]:
    """The linear models, the tone model (None in artefacts before format 6), the model
    version and the artefact document."""
    npz_path, json_path = artifact_paths(path)
    document = json.loads(json_path.read_text(encoding="utf-8"))
    if document.get("format") not in READABLE_FORMATS:
        raise ValueError(f"unsupported scoring artefact format in {json_path}")
    with np.load(npz_path, allow_pickle=False) as arrays:
        models = {
            key: LinearModel.from_arrays(arrays, key, spec)
            for key, spec in document["models"].items()
        }
        tone = None
        if "tone" in document:
            tone = ToneModel.from_arrays(arrays, TONE_KEY, document["tone"])
    if any(_reads_vectors(m) for m in models.values()):
        vectors = WordVectors.load(npz_path.parent / VECTORS_NAME)
        for model in models.values():
            if _reads_vectors(model):
                model.vectors = vectors
    return models, tone, str(document["model_version"]), document


def _reads_vectors(model: LinearModel) -> bool:
    return model.dense_weights is not None or model.net is not None
