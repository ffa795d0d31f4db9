import json
import math
from typing import Any

from tests.pipeline.pool_golden import POOL_GOLDEN_PATH, outputs
from tests.scoring.test_golden import TARGET_NEGATIVITY_TOLERANCE


def _without_target_numbers(output: dict[str, Any]) -> tuple[dict[str, Any], list[float]]:
    """The output with its targets' negativity and confidence taken out (English mentions mix
    in the sentence encoder, whose floats vary a little with the CPU: test_golden.py)."""
    score = dict(output["score"])
    numbers: list[float] = []
    targets = []
    for target in score["targets"]:
        target = dict(target)
        numbers += [target.pop("negativity"), target.pop("confidence")]
        targets.append(target)
    score["targets"] = targets
    return {**output, "score": score}, numbers


def test_pool_jobs_give_the_golden_scores_signatures_and_term_counts() -> None:
    """Every field of the pool job's result (score, explanation, tone phrases and evidence,
    signature, band keys, term counts) is what the golden sample recorded."""
    expected = json.loads(POOL_GOLDEN_PATH.read_text(encoding="utf-8"))["outputs"]
    got = outputs()
    assert len(got) == len(expected)
    for k, (have, want) in enumerate(zip(got, expected, strict=True)):
        have_rest, have_numbers = _without_target_numbers(have)
        want_rest, want_numbers = _without_target_numbers(want)
        assert have_rest == want_rest, f"job {k}"
        for h, w in zip(have_numbers, want_numbers, strict=True):
            assert math.isclose(h, w, abs_tol=TARGET_NEGATIVITY_TOLERANCE), f"job {k}"
