"""The answer chain: a LangChain runnable from a question to an extractive, cited Answer."""

from __future__ import annotations

import re
from dataclasses import dataclass

from langchain_core.runnables import Runnable, RunnableLambda

from retrieval.search import Candidate, HybridSearcher
from retrieval.types import Answer, Citation, Question

NOTHING_FOUND = "I found nothing about that in the briefings."
_WORDS = re.compile(r"\w+")


@dataclass(frozen=True)
class AnswerPolicy:
    """Which candidates become citations."""

    max_citations: int = 3
    # Abstain when no candidate's cosine evidence (sentence or enclosing chunk) reaches this.
    min_relevance: float = 0.35
    # Two sentences this similar (cosine) say the same thing: cite the better one only.
    duplicate_cosine: float = 0.92


def citation_of(candidate: Candidate) -> Citation:
    """The citation for a candidate: the stored sentence verbatim and its briefing's details."""
    sentence = candidate.stored.sentence
    record = candidate.record
    return Citation(
        sentence=sentence.text,
        doc_id=record.id,
        title=record.title,
        start=sentence.start,
        end=sentence.end,
        published=record.published,
        url=record.url,
        score=round(candidate.score, 4),
    )


def choose(candidates: list[Candidate], policy: AnswerPolicy) -> list[Candidate]:
    """The best few candidates, near-duplicates removed; empty when nothing is relevant."""
    if not candidates or max(c.relevance for c in candidates) < policy.min_relevance:
        return []
    chosen: list[Candidate] = []
    seen_texts: set[str] = set()
    for candidate in candidates:
        words = " ".join(_WORDS.findall(candidate.stored.sentence.text.lower()))
        if words in seen_texts:
            continue
        if any(float(candidate.vector @ c.vector) >= policy.duplicate_cosine for c in chosen):
            continue
        seen_texts.add(words)
        chosen.append(candidate)
        if len(chosen) == policy.max_citations:
            break
    return chosen


def compose(question: Question, chosen: list[Candidate]) -> Answer:
    """An Answer from the chosen candidates, or the plain 'nothing found' answer."""
    if not chosen:
        return Answer(question=question.text, text=NOTHING_FOUND, abstained=True)
    citations = tuple(citation_of(c) for c in chosen)
    text = " ".join(f"{c.sentence} [{n}]" for n, c in enumerate(citations, start=1))
    return Answer(question=question.text, text=text, citations=citations)


def build_answer_chain(
    searcher: HybridSearcher, policy: AnswerPolicy | None = None
) -> Runnable[Question | str, Answer]:
    """question -> search -> choose -> Answer, as a LangChain runnable (invoke/batch/stream)."""
    policy = policy or AnswerPolicy()

    def retrieve(question: Question | str) -> tuple[Question, list[Candidate]]:
        q = question if isinstance(question, Question) else Question(text=str(question))
        text = q.text.strip()
        found = searcher.search(text, as_of=q.as_of) if text else []
        return q, found

    def answer(found: tuple[Question, list[Candidate]]) -> Answer:
        q, candidates = found
        return compose(q, choose(candidates, policy))

    return RunnableLambda(retrieve, name="retrieve") | RunnableLambda(answer, name="answer")
