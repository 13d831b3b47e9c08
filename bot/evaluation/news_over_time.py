"""The news-over-time table of `make eval`: first-citation accuracy on dated questions about one
story, by kind (party, time, present), today's ranking beside the ranking before time
references and parties counted, in the same run and store; and `who` by name (kind who): right
when the statements listed are exactly the person's, under any spelling of the name.

The set ships in bot/evaluation/news_over_time/ (see its README).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from bot.services import Services, build_services
from bot.settings import Settings
from ingest.loaders import load_jsonl
from retrieval.answering.answer import build_answer_chain, statements_by
from retrieval.types import Answer, Citation, Question

NEWS_SET = Path(__file__).resolve().parent / "news_over_time"
KINDS = ("party", "time", "present", "round", "who")
RANKED = KINDS[:4]  # the kinds answered by the answer chain (who lists statements)


@dataclass(frozen=True)
class NewsQuestion:
    """A dated question and what its first citation must contain."""

    id: str
    kind: str
    text: str
    asked_on: date
    answers: tuple[str, ...]


@dataclass(frozen=True)
class NewsResult:
    """Questions right per kind, for today's ranking and the one before."""

    totals: dict[str, int]
    now: dict[str, int]
    before: dict[str, int]  # the ranked kinds only
    misses: list[str]  # ids today's ranking got wrong


def read_news_questions(path: Path) -> list[NewsQuestion]:
    """The questions of a news-over-time set."""
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            raw: dict[str, Any] = json.loads(line)
            found.append(
                NewsQuestion(
                    raw["id"],
                    raw["kind"],
                    raw["question"],
                    date.fromisoformat(raw["date"]),
                    tuple(raw["answers"]),
                )
            )
    return found


def first_is_right(answer: Answer, q: NewsQuestion) -> bool:
    """Whether the first citation contains one of the expected answers."""
    if not answer.citations:
        return False
    first = answer.citations[0].sentence.casefold()
    return any(expected.casefold() in first for expected in q.answers)


def who_is_right(statements: list[Citation], q: NewsQuestion) -> bool:
    """Whether `who` listed every expected statement and nothing else."""
    said = [c.sentence.casefold() for c in statements]
    expected = [a.casefold() for a in q.answers]
    every = all(any(a in s for s in said) for a in expected)
    only = all(any(a in s for a in expected) for s in said)
    return every and only


@contextmanager
def fresh_services(
    settings: Settings, prefix: str, model: Any, build: Callable[..., Services]
) -> Iterator[Services]:
    """Services over a new store in a temporary directory (embedded Chroma, no language model),
    closed and deleted afterwards: what each of `make eval`'s small sets is measured in."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        local = settings.model_copy(
            update={"data_dir": Path(tmp), "chroma_host": "", "llm_provider": "none"}
        )
        services = build(local, model=model) if model is not None else build(local)
        try:
            yield services
        finally:
            services.close()


def evaluate_news(
    settings: Settings,
    directory: Path = NEWS_SET,
    *,
    model: Any = None,
    build: Callable[..., Services] = build_services,
) -> NewsResult:
    """Ingest the set into a fresh store and ask every question with both rankings."""
    questions = read_news_questions(directory / "questions.jsonl")
    with fresh_services(settings, "briefbot-news-", model, build) as services:
        policy = services.policy
        list(services.ingester.ingest_many(load_jsonl(directory / "documents.jsonl")))
        today = build_answer_chain(services.searcher, policy)
        before = build_answer_chain(services.searcher, policy.before_news_over_time())
        totals = dict.fromkeys(KINDS, 0)
        now, earlier = dict.fromkeys(KINDS, 0), dict.fromkeys(RANKED, 0)
        misses = []
        for q in questions:
            totals[q.kind] += 1
            if q.kind == "who":
                right = who_is_right(statements_by(services.store, q.text, 20), q)
                now[q.kind] += right
                misses += [] if right else [q.id]
                continue
            asked = Question(q.text, as_of=q.asked_on)
            if first_is_right(today.invoke(asked), q):
                now[q.kind] += 1
            else:
                misses.append(q.id)
            earlier[q.kind] += first_is_right(before.invoke(asked), q)
    return NewsResult(totals, now, earlier, misses)
