import io
import json

from app.scoring import load_scorer
from app.scoring.stream import run_score_stream


def run(lines: list[str]) -> tuple[int, list[dict]]:
    out = io.StringIO()
    code = run_score_stream(io.StringIO("".join(lines)), out, load_scorer())
    return code, [json.loads(line) for line in out.getvalue().splitlines()]


def test_contract_fields_and_order():
    lines = [
        json.dumps({"id": i, "text": text, "title": title, "targets": targets}) + "\n"
        for i, (title, text, targets) in enumerate(
            [
                ("Banjir Rendam Bekasi", "Ribuan warga mengungsi akibat banjir.", ["Bekasi"]),
                (None, "Saham BBRI naik tajam hari ini", None),
                (None, "The governor was accused of fraud.", ["governor"]),
            ]
        )
    ]
    code, out = run(lines)
    assert code == 0
    assert [o["id"] for o in out] == [0, 1, 2]
    for obj in out:
        assert set(obj) == {"id", "label", "negativity", "language", "targets"}
        assert obj["label"] in {"negative", "neutral", "positive"}
        assert 0.0 <= obj["negativity"] <= 1.0
    assert out[0]["targets"][0]["name"] == "Bekasi"
    assert set(out[0]["targets"][0]) == {"name", "label", "negativity"}
    assert out[1]["targets"] == []
    assert out[2]["language"] == "en"


def test_bad_lines_get_error_lines_in_place():
    lines = [
        '{"id": "a", "text": "Harga beras naik"}\n',
        "{not json\n",
        '{"id": "c"}\n',
        '{"id": "d", "text": 5}\n',
        "[1, 2]\n",
        "\n",
        '{"id": "f", "text": "ok", "targets": "Jokowi"}\n',
        json.dumps(
            {"id": "g", "text": "Jokowi hadir", "targets": [{"name": "P", "aliases": ["Jokowi"]}]}
        )
        + "\n",
    ]
    code, out = run(lines)
    assert code == 0
    assert [o["id"] for o in out] == ["a", None, "c", "d", None, "f", "g"]
    assert "label" in out[0]
    assert out[1]["error"].startswith("invalid JSON")
    assert out[2]["error"] == "missing text"
    assert "error" in out[3]
    assert "error" in out[4]
    assert "error" in out[5]
    assert out[6]["targets"][0]["name"] == "P"


def test_english_targets_in_text_a_c_string_cannot_hold_are_scored():
    """JSON may carry a lone surrogate or a NUL; the sentence encoder gets text it can take."""
    lines = [
        '{"id": 1, "text": "Critics slammed Acme \\ud800 over the spill.", "targets": ["Acme"]}\n',
        '{"id": 2, "text": "Critics slammed Acme \\u0000 over the spill.", "targets": ["Acme"]}\n',
    ]
    code, out = run(lines)
    assert code == 0
    assert [(o["id"], o["language"], o["targets"][0]["label"]) for o in out] == [
        (1, "en", "negative"),
        (2, "en", "negative"),
    ]


def test_many_lines_stream_in_batches_and_keep_order():
    lines = [
        json.dumps({"id": i, "text": f"Berita nomor {i} tentang banjir"}) + "\n" for i in range(700)
    ]
    _, out = run(lines)
    assert [o["id"] for o in out] == list(range(700))


def test_a_post_line_is_read_by_the_informal_model():
    text = "Pelayanan rumah sakit ini buruk sekali, saya menunggu lima jam."
    lines = [json.dumps({"id": k, "text": text, "kind": k}) + "\n" for k in ("post", "article")]
    lines.append(json.dumps({"id": "bad", "text": text, "kind": 3}) + "\n")
    _, out = run(lines)
    scorer = load_scorer()
    post, article = scorer.score_many([(None, text, ())] * 2, kinds=["post", "article"])
    assert out[0]["negativity"] == post.negativity != article.negativity
    assert out[1]["negativity"] == article.negativity
    assert out[2] == {"id": "bad", "error": "kind must be a string"}
