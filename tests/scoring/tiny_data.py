"""A tiny made-up copy of the shared sentiment data layout, so training runs in seconds."""

from __future__ import annotations

import json
from pathlib import Path

ID_ROWS = [
    ("harga saham anjlok tajam", "negatif"),
    ("rupiah melemah dan ihsg ambruk", "negatif"),
    ("banjir rendam ribuan rumah", "negatif"),
    ("korupsi dana desa terbongkar", "negatif"),
    ("bank rilis produk tabungan baru", "netral"),
    ("rapat umum pemegang saham digelar", "netral"),
    ("ojk terbitkan aturan baru", "netral"),
    ("jadwal pembagian dividen", "netral"),
    ("laba bersih melonjak tinggi", "positif"),
    ("ihsg menguat cetak rekor", "positif"),
    ("ekspor tumbuh pesat", "positif"),
    ("saham bank naik tajam", "positif"),
]
EN_ROWS = [
    ("The minister was accused of fraud", "negative"),
    ("The company reported heavy losses", "negative"),
    ("The governor opened a new park", "neutral"),
    ("The council met on Tuesday", "neutral"),
    ("The mayor won praise for the rescue", "positive"),
    ("The team celebrated a great victory", "positive"),
]
POLARITY = {"negative": 2.0, "neutral": 4.0, "positive": 6.0}
ENGLISH = {"negatif": "negative", "netral": "neutral", "positif": "positive"}


def tiny_dataset(root: Path) -> Path:
    (root / "cnbc-headlines-2024").mkdir(parents=True)
    lines = ["judul,tanggal,sentimen"]
    lines += [f"{t},2024/0{1 + n % 9}/01,{lab}" for n, (t, lab) in enumerate(ID_ROWS * 3)]
    lines += [f"{t},2024/12/01,{lab}" for t, lab in ID_ROWS]
    (root / "cnbc-headlines-2024" / "headlines.csv").write_text("\n".join(lines) + "\n")
    (root / "smsa").mkdir()
    for name in ("train.tsv", "valid.tsv"):
        (root / "smsa" / name).write_text(
            "".join(f"{t}\t{ENGLISH[lab]}\n" for t, lab in ID_ROWS * 2)
        )
    for language, rows in (("indonesian", ID_ROWS), ("english", EN_ROWS)):
        folder = root / "nusax-senti" / language
        folder.mkdir(parents=True)
        body = "id,text,label\n" + "".join(
            f"{n},{t},{ENGLISH.get(lab, lab)}\n" for n, (t, lab) in enumerate(rows * 2)
        )
        for name in ("train.csv", "valid.csv"):
            (folder / name).write_text(body)
    (root / "newsmtsc").mkdir()
    rows = [
        {
            "sentence_normalized": t,
            "targets": [
                {
                    "mention": t.split()[1],
                    "from": 4,
                    "to": 4 + len(t.split()[1]),
                    "polarity": POLARITY[lab],
                }
            ],
        }
        for t, lab in EN_ROWS * 3
    ]
    for name in ("train.jsonl", "devtest_mt.jsonl"):
        (root / "newsmtsc" / name).write_text("".join(json.dumps(r) + "\n" for r in rows))
    return root
