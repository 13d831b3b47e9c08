"""`briefbot eval`: run QA sets through the normal pipeline and chain, beside a plain baseline."""

from __future__ import annotations

import hashlib
import json
import random
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from bot.evaluation.metrics import Outcome, Scores, abstention_curve, score
from bot.services import Services, build_services
from bot.settings import Settings
from ingest.loaders import load_jsonl
from retrieval.answering.answer import build_answer_chain, citation_of
from retrieval.answering.scope import names_a_time
from retrieval.types import Answer, Question

SEED = 20261125
BASELINE_K = 3
CURVE_THRESHOLDS = (1.00, 1.04, 1.08, 1.10, 1.12, 1.14, 1.16, 1.18, 1.20, 1.24, 1.28, 1.32)


@dataclass(frozen=True)
class EvalQuestion:
    """One question of a QA set."""

    id: str
    text: str
    answers: tuple[str, ...]
    gold_doc_ids: tuple[str, ...]
    answerable: bool
    asked_on: date | None


@dataclass(frozen=True)
class SetResult:
    """Scores of briefbot and of the baseline on one set, and where predictions went."""

    name: str
    documents: int
    ingest_seconds: float
    briefbot: Scores
    baseline: Scores
    predictions: Path
    curve: list[tuple[float, float | None, float | None]]
    # The same run with the time a question names ignored (periods, rounds, "latest"): only
    # the questions that name a time are asked again, the others answer the same.
    timed: int = 0  # questions that name a time
    periods_off: Scores | None = None


def read_questions(path: Path, limit: int | None = None, seed: int = SEED) -> list[EvalQuestion]:
    """Questions of a set; with limit, a fixed seeded random sample (not the first N)."""
    questions = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            raw = json.loads(line)
            questions.append(
                EvalQuestion(
                    id=str(raw["id"]),
                    text=raw["question"],
                    answers=tuple(raw.get("answers") or ()),
                    gold_doc_ids=tuple(raw.get("gold_doc_ids") or ()),
                    answerable=bool(raw.get("answerable", True)),
                    asked_on=date.fromisoformat(raw["date"]) if raw.get("date") else None,
                )
            )
    if limit is not None and limit < len(questions):
        questions = random.Random(seed).sample(questions, limit)
    return questions


def _outcome(q: EvalQuestion, answer: Answer, seconds: float) -> Outcome:
    return Outcome(
        answerable=q.answerable,
        answers=q.answers,
        gold_doc_ids=q.gold_doc_ids,
        abstained=answer.abstained,
        cited=tuple((c.doc_id, c.sentence) for c in answer.citations),
        seconds=seconds,
        relevance=answer.relevance,
    )


def baseline_answer(services: Services, q: EvalQuestion) -> Answer:
    """The plain stack: each sentence embedded alone, top-k by cosine, no threshold."""
    candidates = services.searcher.dense_only(q.text, k=BASELINE_K, as_of=q.asked_on)
    citations = tuple(citation_of(c) for c in candidates)
    return Answer(question=q.text, text="", citations=citations, abstained=not citations)


def _prediction(q: EvalQuestion, answer: Answer) -> dict[str, Any]:
    return {
        "id": q.id,
        "abstained": answer.abstained,
        "answer": answer.text,
        "citations": [{"doc_id": c.doc_id, "text": c.sentence} for c in answer.citations],
    }


def evaluate_sets(
    directories: Sequence[Path],
    settings: Settings,
    out_dir: Path,
    *,
    limit: int | None = None,
    model: Any = None,
    progress: Callable[[str, int, int], None] | None = None,
    build: Callable[..., Services] = build_services,
) -> Iterator[SetResult]:
    """Score each set; sets whose documents.jsonl are identical share one freshly built store.

    `build` makes the services (tests pass one that reuses a loaded model)."""
    groups: dict[str, list[Path]] = {}
    for directory in directories:
        digest = hashlib.sha256((directory / "documents.jsonl").read_bytes()).hexdigest()
        groups.setdefault(digest, []).append(directory)
    report = progress or (lambda stage, done, total: None)
    for members in groups.values():
        briefings = load_jsonl(members[0] / "documents.jsonl")
        with fresh_services(settings, build, model) as services:
            started = time.perf_counter()
            results = services.ingester.ingest_many(briefings)
            for i, _ in enumerate(results, start=1):
                report(f"{members[0].name}: ingest", i, len(briefings))
            ingest_seconds = time.perf_counter() - started
            for directory in members:
                yield _ask_set(
                    services, directory, out_dir, limit, report, len(briefings), ingest_seconds
                )


@contextmanager
def fresh_services(
    settings: Settings, build: Callable[..., Services] = build_services, model: Any = None
) -> Iterator[Services]:
    """Services over a new, empty data directory, removed afterwards (`build` as above)."""
    with tempfile.TemporaryDirectory(prefix="briefbot-eval-") as tmp:
        local = settings.model_copy(update={"data_dir": Path(tmp), "chroma_host": ""})
        services = build(local, model=model) if model is not None else build(local)
        try:
            yield services
        finally:
            services.close()


def evaluate_set(directory: Path, settings: Settings, out_dir: Path, **options: Any) -> SetResult:
    """Score one set (see evaluate_sets)."""
    return next(evaluate_sets([directory], settings, out_dir, **options))


def _ask_set(
    services: Services,
    directory: Path,
    out_dir: Path,
    limit: int | None,
    report: Callable[[str, int, int], None],
    documents: int,
    ingest_seconds: float,
) -> SetResult:
    name = directory.resolve().name
    questions = read_questions(directory / "questions.jsonl", limit)
    # A document with a url is stored under its page's id (its own id is an alias), and a copy
    # of another under the other's: gold ids name what is stored.
    stored = services.store.catalogue.resolve([g for q in questions for g in q.gold_doc_ids])
    questions = [
        replace(q, gold_doc_ids=tuple(stored.get(g, g) for g in q.gold_doc_ids)) for q in questions
    ]
    predictions = out_dir / name / "predictions.jsonl"
    predictions.parent.mkdir(parents=True, exist_ok=True)
    ours, base, untimed = [], [], []
    timeless = build_answer_chain(
        services.searcher, replace(services.policy, time_references=False)
    )
    timed = 0
    with predictions.open("w", encoding="utf-8") as f:
        for i, q in enumerate(questions, start=1):
            started = time.perf_counter()
            asked = Question(text=q.text, as_of=q.asked_on)
            answer = services.ask(asked)
            ours.append(_outcome(q, answer, time.perf_counter() - started))
            if names_a_time(q.text, q.asked_on or date.today()):
                timed += 1
                untimed.append(_outcome(q, timeless.invoke(asked), 0.0))
            else:
                untimed.append(ours[-1])
            f.write(json.dumps(_prediction(q, answer), ensure_ascii=False) + "\n")
            started = time.perf_counter()
            plain = baseline_answer(services, q)
            base.append(_outcome(q, plain, time.perf_counter() - started))
            report(f"{name}: questions", i, len(questions))
    curve = abstention_curve(ours, CURVE_THRESHOLDS)
    return SetResult(
        name, documents, ingest_seconds, score(ours), score(base), predictions, curve,
        timed, score(untimed),
    )  # fmt: skip


METRIC_ROWS: Sequence[tuple[str, str, str]] = (
    ("hit@1", "hit1", "share"),
    ("hit@3", "hit3", "share"),
    ("gold-doc@3", "gold_doc3", "share"),
    ("abstain-correct", "abstain_correct", "share"),
    ("abstain-wrong", "abstain_wrong", "share"),
    ("cited chars (median)", "cited_chars", "chars"),
    ("latency p50 (s)", "p50", "seconds"),
    ("latency p95 (s)", "p95", "seconds"),
)


def format_value(value: float | None, kind: str) -> str:
    """A metric as printed: shares with 3 decimals, seconds with 3, characters whole."""
    if value is None:
        return "n/a"
    if kind == "chars":
        return f"{value:.0f}"
    return f"{value:.3f}"
