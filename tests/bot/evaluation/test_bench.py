"""`briefbot bench` end to end at a tiny size: every figure measured, beside the baseline."""

from __future__ import annotations

import json
from pathlib import Path

from bot.evaluation.bench import Figure, run_bench

DOCUMENTS = [
    {"id": f"talks#{n}", "title": "Peace talks", "text": text, "date": f"2025-06-0{n + 1}"}
    for n, text in enumerate(
        [
            "Russia proposed a ceasefire of two to three days. Ukraine asked for the children.",
            "The talks in Istanbul lasted an hour. Both sides agreed to exchange prisoners.",
            "Markets in Asia were calm on Monday. The yen rose against the dollar.",
        ]
    )
]
QUESTIONS = [{"question": q} for q in ("What did Russia propose?", "Where were the talks?")]


def test_the_bench_measures_every_figure_beside_the_baseline(tmp_path: Path) -> None:
    documents = tmp_path / "documents.jsonl"
    documents.write_text("".join(json.dumps(d) + "\n" for d in DOCUMENTS))
    (tmp_path / "questions.jsonl").write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS))
    stages: list[str] = []
    figures = run_bench(
        documents,
        sizes=(120, 240),
        questions=2,
        large=documents,
        large_documents=2,
        progress=stages.append,
    )
    labels = [f.label for f in figures]
    assert any("word pieces/s" in label for label in labels)
    assert sum("peak memory" in label and "ingest" in label for label in labels) == 2
    assert any("large input" in label and "4 sentences" in label for label in labels)
    for size in ("120", "240"):
        assert any(label.startswith(f"{size} sentences") and "p95" in label for label in labels)
    assert "peak memory growth per 100k sentences" in labels
    for figure in figures:
        assert figure.briefbot is not None and figure.baseline is not None, figure.label
        if "growth" not in figure.label:
            assert figure.briefbot > 0 and figure.baseline > 0, figure.label
    assert any("baseline" in stage for stage in stages)


def test_figures_print_with_their_units_and_the_ratio() -> None:
    assert Figure("p50", 0.012, 0.024, "ms").cells() == ("12 ms", "24 ms", "0.50x")
    assert Figure("rss", 3e8, None, "MB").cells() == ("300 MB", "n/a", "")
