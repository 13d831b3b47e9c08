"""The reader: training pairs from a QA set, a few training steps, saving, loading, scoring."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest

from bot.evaluation.reader.pairs import Pair, QASet, Split, build_pairs, read_set
from bot.evaluation.reader.training import TrainConfig, encode, save_reader, train
from ingest.sentences import split_sentences
from retrieval.embedding.bundled import bundled_model_path
from retrieval.ranking.reader import WEIGHTS_FILE, Reader

DOCUMENTS = [
    {
        "id": "Fresno#0",
        "title": "Fresno, California",
        "text": "Fresno is a city in California. It lies in the San Joaquin Valley. "
        "Its airport serves the region.",
    },
    {
        "id": "Fresno#1",
        "title": "Fresno, California",
        "text": "The city was founded in 1872. Raisins made it rich.",
    },
    {
        "id": "Bridge#0",
        "title": "Harbour bridge",
        "text": "The bridge opened to traffic on 3 May 2021. A Danish firm designed it.",
    },
]
QUESTIONS = [
    {"id": "q1", "question": "Which valley is Fresno in?", "answers": ["San Joaquin Valley"],
     "gold_doc_ids": ["Fresno#0"], "answerable": True},
    # Unanswerable, no gold paragraph (as in squad-v2-half): guessed from its neighbours.
    {"id": "q2", "question": "Which airport does the valley serve?", "answers": [],
     "gold_doc_ids": [], "answerable": False},
    {"id": "q3", "question": "When was Fresno founded?", "answers": ["1872"],
     "gold_doc_ids": ["Fresno#1"], "answerable": True},
    {"id": "q4", "question": "When did the bridge open?", "answers": ["3 May 2021"],
     "gold_doc_ids": ["Bridge#0"], "answerable": True},
]  # fmt: skip
TINY = TrainConfig(seed=7, epochs=8, batch_size=8, learning_rate=3e-4, max_length=48,
                   checkpoint_seconds=3600, log_every=100)  # fmt: skip


@pytest.fixture(scope="module")
def qa_set(tmp_path_factory: pytest.TempPathFactory) -> QASet:
    directory = tmp_path_factory.mktemp("qa")
    for name, rows in (("documents", DOCUMENTS), ("questions", QUESTIONS)):
        lines = "".join(json.dumps(r) + "\n" for r in rows)
        (directory / f"{name}.jsonl").write_text(lines, encoding="utf-8")
    return read_set(directory)


@pytest.fixture(scope="module")
def pairs(qa_set: QASet) -> list[Pair]:
    titles = {d.title for d in qa_set.documents}
    return build_pairs([qa_set, qa_set], titles, split_sentences, seed=1)


@pytest.fixture(scope="module")
def trained(pairs: list[Pair], tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A reader trained for a few steps on the tiny set, saved, and the stats of its run."""
    work = tmp_path_factory.mktemp("reader")
    tokenizer, model, stats = train(pairs[:8], bundled_model_path(), work / "run", TINY)
    save_reader(model, work / "model", {"seed": TINY.seed}, bundled_model_path())
    return {"tokenizer": tokenizer, "model": model, "directory": work / "model", "stats": stats}


def test_read_set_guesses_the_paragraph_of_an_unanswerable_question(qa_set: QASet) -> None:
    q2 = next(q for q in qa_set.questions if q.id == "q2")
    assert q2.doc_id == "Fresno#0"  # between q1's and q3's paragraphs, sharing "airport"
    assert set(qa_set.sha256) == {"documents.jsonl", "questions.jsonl"}


def test_pairs_label_answer_sentences_and_count_a_repeated_question_once(
    pairs: list[Pair],
) -> None:
    positives = {(p.question, p.sentence) for p in pairs if p.label == 1.0}
    assert positives == {
        ("Which valley is Fresno in?", "It lies in the San Joaquin Valley."),
        ("When was Fresno founded?", "The city was founded in 1872."),
        ("When did the bridge open?", "The bridge opened to traffic on 3 May 2021."),
    }
    unanswerable = [p for p in pairs if p.question == "Which airport does the valley serve?"]
    assert unanswerable and all(p.label == 0.0 for p in unanswerable)
    # Every sentence of the guessed paragraph is a negative for it.
    assert {p.sentence for p in unanswerable if p.kind == "unanswerable"} == {
        "Fresno is a city in California.",
        "It lies in the San Joaquin Valley.",
        "Its airport serves the region.",
    }
    assert len(pairs) == len({(p.question, p.sentence) for p in pairs})  # both copies: once


def test_each_pair_knows_the_sentence_before_its_own(pairs: list[Pair]) -> None:
    valley = next(p for p in pairs if p.sentence == "It lies in the San Joaquin Valley.")
    assert valley.context == "Fresno is a city in California."
    first = next(p for p in pairs if p.sentence == "The city was founded in 1872.")
    assert first.context == ""  # the first sentence of its paragraph
    tokenizer = __import__("transformers").AutoTokenizer.from_pretrained(str(bundled_model_path()))
    with_context = encode(tokenizer, [valley], 64, context=True)
    words = tokenizer.convert_ids_to_tokens(with_context["input_ids"][0])
    # question [SEP] title: sentence [SEP] the sentence before [SEP]
    assert words.count("[SEP]") == 3 and "california" in words
    assert encode(tokenizer, [valley], 64)["input_ids"].shape[1] < len(words)


def test_the_split_keeps_the_named_articles_out_of_training() -> None:
    split = Split()
    assert split.part("Warsaw") == split.part("Harvard University") == "validation"
    assert split.part("Super Bowl 50") == "train"


def test_a_few_steps_lower_the_loss(trained) -> None:  # type: ignore[no-untyped-def]
    losses = trained["stats"]["losses"]
    assert len(losses) == 8
    assert np.mean(losses[-2:]) < np.mean(losses[:2])


def test_saved_weights_load_offline_and_score_as_trained(trained, pairs) -> None:  # type: ignore[no-untyped-def]
    import torch

    directory = trained["directory"]
    # The frozen word embeddings stay in the base model's package: the file is small.
    assert (directory / WEIGHTS_FILE).stat().st_size < 30_000_000
    batch = [p for p in pairs if p.question == pairs[0].question]
    scored = Reader(directory, max_length=TINY.max_length).score(
        batch[0].question, [(p.title, p.sentence) for p in batch]
    )
    with torch.inference_mode():
        inputs = encode(trained["tokenizer"], batch, TINY.max_length)
        expected = torch.sigmoid(trained["model"](**inputs).logits.squeeze(-1)).numpy()
    assert scored == pytest.approx(expected, abs=5e-3)  # float16 weights
    assert json.loads((directory / "card.json").read_text())["seed"] == TINY.seed


def test_the_reader_is_safe_to_share_between_threads(trained) -> None:  # type: ignore[no-untyped-def]
    reader = Reader(trained["directory"], max_length=TINY.max_length)
    passages = [("Fresno, California", "It lies in the San Joaquin Valley.")] * 3
    alone = reader.score("Which valley is Fresno in?", passages)
    results: list[np.ndarray] = []
    threads = [
        threading.Thread(
            target=lambda: results.append(reader.score("Which valley is Fresno in?", passages))
        )
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 4
    assert all(r == pytest.approx(alone, abs=1e-5) for r in results)
    assert reader.score("Anything?", []).shape == (0,)


def test_the_trainer_command_trains_saves_and_records_its_run(tmp_path: Path) -> None:
    from bot.evaluation.reader.trainer import main

    eval_dir = tmp_path / "eval"
    validation = {**DOCUMENTS[2], "id": "Warsaw#0", "title": "Warsaw"}
    for name in ("squad-v1.1", "squad-v2-half"):
        (eval_dir / name).mkdir(parents=True)
        docs = "".join(json.dumps(r) + "\n" for r in [*DOCUMENTS, validation])
        (eval_dir / name / "documents.jsonl").write_text(docs, encoding="utf-8")
        questions = "".join(json.dumps(r) + "\n" for r in QUESTIONS)
        (eval_dir / name / "questions.jsonl").write_text(questions, encoding="utf-8")
    out = tmp_path / "model"
    argv = ["--eval-dir", str(eval_dir), "--out", str(out), "--work", str(tmp_path / "work"),
            "--epochs", "2", "--max-length", "48", "--threads", "1"]  # fmt: skip
    assert main(argv) == 0
    card = json.loads((out / "card.json").read_text())
    # Fresno and Warsaw are validation articles: only the bridge's question trains.
    assert card["split"]["validation"] == ["Fresno, California", "Warsaw"]
    assert card["split"]["train"] == ["Harbour bridge"]
    assert set(card["training_data"]["sets"]) == {"squad-v1.1", "squad-v2-half"}
    assert card["seed"] == 20261201 and card["training"]["steps"] == 2
    scores = Reader(out, max_length=48).score("When was Fresno founded?", [("Fresno", "In 1872.")])
    assert scores.shape == (1,) and 0.0 < float(scores[0]) < 1.0


def test_the_trainer_says_which_set_is_missing(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from bot.evaluation.reader.trainer import main

    argv = ["--eval-dir", str(tmp_path), "--out", str(tmp_path / "m"), "--work", str(tmp_path)]
    assert main(argv) == 1
    assert "No squad-v1.1, squad-v2-half in" in capsys.readouterr().err


@pytest.mark.parametrize("backend", ["onnx", "int8"])
def test_the_onnx_backends_score_as_torch_does(trained, backend: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The exported reader (float32, or with int8 weights) gives torch's probabilities, the
    int8 one within quantisation's error; the export is made once and kept in the cache."""
    passages = [
        ("Fresno, California", "It lies in the San Joaquin Valley."),
        ("Fresno, California", "Its airport serves the region."),
        ("Bridge", "The bridge opened on 3 May 2021."),
    ]
    question = "Which valley is Fresno in?"
    expected = Reader(trained["directory"], max_length=TINY.max_length).score(question, passages)
    reader = Reader(
        trained["directory"], max_length=TINY.max_length, backend=backend, cache=tmp_path
    )
    got = reader.score(question, passages)
    assert got == pytest.approx(expected, abs=2e-3 if backend == "onnx" else 0.08)
    assert [p.name.endswith(f"-{backend}.onnx") for p in tmp_path.iterdir()] == [True]
    again = Reader(
        trained["directory"], max_length=TINY.max_length, backend=backend, cache=tmp_path
    )
    assert again.score(question, passages) == pytest.approx(got, abs=1e-6)


def test_a_large_set_is_sampled_across_its_articles_in_groups(qa_set: QASet) -> None:
    from bot.evaluation.reader.pairs import sample_groups

    groups = sample_groups(qa_set, 3, articles_per_group=1, seed=5)
    assert sum(len(g.questions) for g in groups) == 3
    assert all(len({d.title for d in g.documents}) == 1 for g in groups)
    for group in groups:  # each group's questions are about its own article
        titles = {d.title for d in group.documents}
        assert all(qa_set.title_of(q.doc_id) in titles for q in group.questions)
    again = sample_groups(qa_set, 3, articles_per_group=1, seed=5)
    assert [q.id for g in again for q in g.questions] == [q.id for g in groups for q in g.questions]
    everything = sample_groups(qa_set, -1, articles_per_group=10, seed=5)
    assert len(everything) == 1 and len(everything[0].questions) == len(qa_set.questions)
