"""`make reader-report`: candidates at HEAD, reader scores, choices on tune, validation table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.evaluation.reader.pairs import Pair
from bot.evaluation.reader.report import (
    ReaderUse,
    Row,
    highest_threshold,
    parser,
    read_rows,
    run,
    today,
    with_reader,
)
from bot.evaluation.reader.training import TrainConfig, save_reader, train
from bot.services import build_services
from bot.settings import Settings
from retrieval.embedding.bundled import bundled_model_path

# "Normans" is a tune article and "Warsaw" a validation one in the split the report uses.
DOCUMENTS = [
    {
        "id": "Normans#0",
        "title": "Normans",
        "text": "The Normans lived in Normandy. Their leader Rollo swore fealty to the king. "
        "He received land in 911.",
    },
    {
        "id": "Warsaw#0",
        "title": "Warsaw",
        "text": "Warsaw is the capital of Poland. The city lies on the Vistula river. "
        "It was rebuilt after 1945.",
    },
    {
        "id": "Bread#0",
        "title": "Bread",
        "text": "Sourdough is leavened with a starter. The starter holds wild yeast.",
    },
]
QUESTIONS = [
    {"id": "t1", "question": "Who was the leader of the Normans?", "answers": ["Rollo"],
     "gold_doc_ids": ["Normans#0"], "answerable": True},
    {"id": "t2", "question": "In which year did Rollo receive land?", "answers": ["911"],
     "gold_doc_ids": ["Normans#0"], "answerable": True},
    {"id": "v1", "question": "Which river does Warsaw lie on?", "answers": ["Vistula"],
     "gold_doc_ids": ["Warsaw#0"], "answerable": True},
    {"id": "v2", "question": "Of which country is Warsaw the capital?", "answers": ["Poland"],
     "gold_doc_ids": ["Warsaw#0"], "answerable": True},
    {"id": "v3", "question": "Which king founded the Warsaw river port?", "answers": [],
     "gold_doc_ids": ["Warsaw#0"], "answerable": False},
    {"id": "b1", "question": "What is sourdough leavened with?", "answers": ["a starter"],
     "gold_doc_ids": ["Bread#0"], "answerable": True},
]  # fmt: skip


@pytest.fixture(scope="module")
def reader_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A reader trained for a few steps with context, saved as make train-reader saves it."""
    pairs = [
        Pair("Who led them?", "Normans", "Their leader Rollo swore fealty.", 1.0, "positive", "a",
             "The Normans lived in Normandy."),
        Pair("Who led them?", "Normans", "The Normans lived in Normandy.", 0.0, "paragraph", "a"),
        Pair("Which river?", "Warsaw", "The city lies on the Vistula river.", 1.0, "positive", "b",
             "Warsaw is the capital of Poland."),
        Pair("Which river?", "Warsaw", "It was rebuilt after 1945.", 0.0, "paragraph", "b"),
    ]  # fmt: skip
    config = TrainConfig(seed=3, epochs=2, batch_size=4, max_length=48, context="previous",
                         checkpoint_seconds=3600)  # fmt: skip
    work = tmp_path_factory.mktemp("reader")
    _, model, _ = train(pairs, bundled_model_path(), work / "run", config)
    card = {"config": {"context": "previous"}}
    return save_reader(model, work / "model", card, bundled_model_path())


@pytest.fixture
def eval_dir(tmp_path: Path) -> Path:
    for name in ("squad-v1.1", "squad-v2-half"):
        directory = tmp_path / "eval" / name
        directory.mkdir(parents=True)
        for kind, rows in (("documents", DOCUMENTS), ("questions", QUESTIONS)):
            text = "".join(json.dumps(r) + "\n" for r in rows)
            (directory / f"{kind}.jsonl").write_text(text, encoding="utf-8")
    return tmp_path / "eval"


def test_the_report_measures_on_validation_and_reuses_its_work(
    eval_dir: Path, reader_dir: Path, tmp_path: Path, model: Any
) -> None:
    work = tmp_path / "work"
    argv = ["--reader", str(reader_dir), "--eval-dir", str(eval_dir), "--work", str(work),
            "--k", "4", "--threads", "1"]  # fmt: skip
    text = run(parser().parse_args(argv), Settings(), build=build_services, model=model)

    assert "squad-v1.1 (2 answerable, 1 unanswerable questions)" in text
    table = text.split("squad-v1.1 (", 1)[1]
    # The validation questions name their answers plainly: today's search finds both.
    assert table.split("hit@1", 1)[1].split()[0] == "1.000"
    assert "bar to ship:" in text and ("ships: no" in text or "ships: yes" in text)
    assert "squad-v1.1 hit@1" in text and "reader p95" in text

    rows = read_rows(sorted(work.glob("candidates-*.jsonl")))
    assert {r.part for r in rows} == {"tune", "validation"}
    assert sorted(r.id for r in rows) == sorted(2 * ["t1", "t2", "v1", "v2", "v3"])
    river = next(r for r in rows if r.id == "v1")
    found = next(c for c in river.cands if "Vistula" in c["text"])
    assert found["previous"] == "Warsaw is the capital of Poland."
    first = next(c for c in river.cands if c["text"].startswith("Warsaw is"))
    assert first["previous"] == ""
    assert list(work.glob("scores-*-k4.json"))

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the candidates should have been read back")

    again = run(parser().parse_args(argv), Settings(), build=refuse, model=model)
    assert again == text


def test_training_articles_candidates_are_made_only_when_asked(
    eval_dir: Path, tmp_path: Path, model: Any
) -> None:
    from bot.evaluation.reader.report import main

    work = tmp_path / "train"
    argv = ["--reader", "none", "--eval-dir", str(eval_dir), "--work", str(work), "--parts",
            "train"]  # fmt: skip
    assert main(argv) == 2  # measuring needs the tune and validation questions
    text = run(parser().parse_args([*argv, "--candidates-only"]), Settings(), model=model)
    assert text.startswith("2 questions' candidates")
    rows = read_rows(sorted(work.glob("candidates-*.jsonl")))
    assert [r.id for r in rows] == ["b1", "b1"] and rows[0].part == "train"
    # The trainer reads these files as its --retrieved negatives.
    from bot.evaluation.reader.trainer import _retrieved

    found = _retrieved(sorted(work.glob("candidates-*.jsonl")))
    assert ("Bread", "Sourdough is leavened with a starter.") in found["b1"]


def _row(name: str, answerable: bool, value: float, scores: list[float]) -> Row:
    cands = tuple(
        {
            "doc": "d",
            "title": "T",
            "text": f"s{i} {'Paris' if i == 1 else 'x'}",
            "previous": "",
            "score": s,
        }  # fmt: skip
        for i, s in enumerate(scores)
    )
    return Row("squad-v1.1", name, "tune", "q?", ("Paris",) if answerable else (), (), answerable,
               value, cands, frozenset(), (), 0.01)  # fmt: skip


def test_the_threshold_declines_at_most_five_percent_of_answerable_questions() -> None:
    rows = [_row(f"a{i}", True, float(i), [1.0]) for i in range(40)]
    rows += [_row(f"u{i}", False, -1.0, [1.0]) for i in range(5)]
    values = [r.relevance for r in rows]
    t = highest_threshold(rows, values)
    declined = [r for r, v in zip(rows, values, strict=True) if r.answerable and v < t]
    assert len(declined) == 2  # 5% of 40
    assert all(v < t for r, v in zip(rows, values, strict=True) if not r.answerable)


def test_the_reader_reorders_and_drops_quotes_it_does_not_believe() -> None:
    row = _row("a", True, 2.0, [3.0, 1.0, 0.5])  # today puts candidate 0 first
    assert today([row])[0].cited[0][1] == "s0 x"
    scores = {"squad-v1.1|a": ([0.1, 0.9, 0.3], 0.02)}
    ranked = with_reader([row], scores, ReaderUse(0.0, 0.0, -99.0, 0.0))[0]
    assert [t for _, t in ranked.cited] == ["s1 Paris", "s2 x", "s0 x"]
    # Today's score weighs in: 0.1 + 1.0 x 3.0 beats 0.9 + 1.0 x 1.0.
    mixed = with_reader([row], scores, ReaderUse(1.0, 0.0, -99.0, 0.0))[0]
    assert mixed.cited[0][1] == "s0 x"
    # A second or third quote only with probability >= 0.5: one quote left.
    short = with_reader([row], scores, ReaderUse(0.0, 0.0, -99.0, 0.5))[0]
    assert [t for _, t in short.cited] == ["s1 Paris"]
    declined = with_reader([row], scores, ReaderUse(0.0, 0.0, 5.0, 0.0))[0]
    assert declined.abstained and not ranked.abstained


def test_a_sure_first_quote_stands_alone() -> None:
    row = _row("a", True, 2.0, [3.0, 1.0, 0.5])
    scores = {"squad-v1.1|a": ([0.1, 0.95, 0.6], 0.02)}
    sure = with_reader([row], scores, ReaderUse(0.0, 0.0, -99.0, 0.0, sure=0.9))[0]
    assert [t for _, t in sure.cited] == ["s1 Paris"]
    unsure = with_reader([row], scores, ReaderUse(0.0, 0.0, -99.0, 0.0, sure=0.99))[0]
    assert len(unsure.cited) == 3
    entry = ReaderUse(1.0, 4.0, 2.5, 0.1, 0.9).card_entry(20)
    assert entry == {
        "weight": 1.0,
        "lam": 4.0,
        "threshold": 2.5,
        "floor": 0.1,
        "sure": 0.9,
        "top": 20,
    }
