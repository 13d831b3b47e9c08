"""The real-pages table of `make eval` (issue 23): news as a scraper delivers it, with its
furniture, its copies and its off-topic neighbours (bot/evaluation/real_pages/, see its
README). In one store, today's reading beside the reading before the issue:

- furniture quoted: the share of citations (the first three of every question) that stand on
  a line the set labels furniture; before = with furniture quoted like any sentence;
- first citation right: the first citation holds one of the question's answers;
- duplicate briefings: briefings stored beyond one per article (URL variants and identical
  copies); before = ids taken as given, one briefing per record;
- timeline precision: the share of timeline entries from briefings on the topic, and the
  milestones listed; before = entries judged by score alone.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.evaluation.news_over_time import fresh_services
from bot.services import Services, build_services
from bot.settings import Settings
from ingest.loaders import load_jsonl
from retrieval.answering.answer import build_answer_chain
from retrieval.answering.timeline import timeline
from retrieval.ranking.search import HybridSearcher
from retrieval.types import Answer, Question, parse_day

PAGES_SET = Path(__file__).resolve().parent / "real_pages"
QUOTED = 3  # citations per question judged for furniture


@dataclass(frozen=True)
class Reading:
    """The figures of one way of reading the set."""

    citations: int
    furniture: int  # citations on a line labelled furniture
    questions: int
    first_right: int
    entries: int  # timeline entries over all topics
    on_topic: int
    milestones: int
    milestones_found: int


@dataclass(frozen=True)
class PagesResult:
    """Today's reading and the one before, and what was stored."""

    now: Reading
    before: Reading
    documents: int
    articles: int  # documents less the copies of one article
    briefings: int  # stored today
    topics: int

    @property
    def duplicates(self) -> int:
        return self.briefings - self.articles

    @property
    def duplicates_before(self) -> int:
        return self.documents - self.articles


def _rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def on_furniture(sentence: str, lines: set[str]) -> bool:
    """Whether a cited sentence stands on one of the lines labelled furniture."""
    return any(sentence in line for line in lines)


def evaluate_pages(
    settings: Settings,
    directory: Path = PAGES_SET,
    *,
    model: Any = None,
    build: Callable[..., Services] = build_services,
) -> PagesResult:
    """Ingest the set into a fresh store; ask its questions and draw its timelines, today's
    way and the way before."""
    questions = _rows(directory / "questions.jsonl")
    furniture = {r["doc_id"]: set(r["lines"]) for r in _rows(directory / "furniture.jsonl")}
    topics = _rows(directory / "timelines.jsonl")
    groups = json.loads((directory / "duplicates.json").read_text(encoding="utf-8"))
    documents = load_jsonl(directory / "documents.jsonl")
    copies = sum(len(group) - 1 for group in groups["same_article"])
    with fresh_services(settings, "briefbot-pages-", model, build) as services:
        policy = services.policy
        list(services.ingester.ingest_many(documents))
        store = services.store
        ids = [d.aliases[0] if d.aliases else d.id for d in documents]
        stored = store.catalogue.resolve(ids)
        # What a stored briefing was given as: its furniture labels are the set's.
        given: dict[str, set[str]] = {}
        for original in ids:
            given.setdefault(stored.get(original, original), set()).add(original)
        labels = {
            bid: set().union(*(furniture.get(g, set()) for g in names))
            for bid, names in given.items()
        }
        readings = []
        for quote_furniture in (False, True):
            searcher = HybridSearcher(store, quote_furniture=quote_furniture)
            chain = build_answer_chain(searcher, policy)
            readings.append(
                _read(
                    questions,
                    chain.invoke,
                    labels,
                    topics,
                    lambda topic, as_of, s=searcher, before=quote_furniture: timeline(
                        s, topic, as_of=as_of, policy=policy, on_topic=not before
                    ),
                    given,
                )
            )
        briefings = store.catalogue.count()[0]
    return PagesResult(
        readings[0], readings[1], len(documents), len(documents) - copies, briefings, len(topics)
    )


def _read(
    questions: list[dict[str, Any]],
    ask: Callable[[Question], Answer],
    labels: dict[str, set[str]],
    topics: list[dict[str, Any]],
    draw: Callable[..., list[Any]],
    given: dict[str, set[str]],
) -> Reading:
    citations = furniture = right = 0
    for q in questions:
        answer = ask(Question(q["question"], max_citations=QUOTED))
        quoted = answer.citations[:QUOTED]
        citations += len(quoted)
        furniture += sum(on_furniture(c.sentence, labels.get(c.doc_id, set())) for c in quoted)
        first = quoted[0].sentence.casefold() if quoted else ""
        right += any(a.casefold() in first for a in q["answers"]) if first else 0
    entries = on_topic = milestones = found = 0
    for t in topics:
        drawn = draw(t["topic"], parse_day(t["as_of"]))
        listed = {g for e in drawn for g in given.get(e.citation.doc_id, {e.citation.doc_id})}
        entries += len(drawn)
        on_topic += sum(
            bool(given.get(e.citation.doc_id, set()) & set(t["on_topic"])) for e in drawn
        )
        milestones += len(t["milestones"])
        found += len(listed & set(t["milestones"]))
    return Reading(
        citations, furniture, len(questions), right, entries, on_topic, milestones, found
    )
