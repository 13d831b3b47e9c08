"""The answer chain: a LangChain runnable from a question to an extractive, cited Answer."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from langchain_core.runnables import Runnable, RunnableLambda

from retrieval.answering.scope import Scoped, scoped_search
from retrieval.index.catalogue import StoredSentence
from retrieval.index.store import BriefingStore
from retrieval.language.markup import without_markup
from retrieval.ranking.parties import PARTY_BONUS, prefer_party
from retrieval.ranking.recency import (
    NEAR_TIE,
    SAME_STANDING,
    asks_about_now,
    newest_first,
    prefer_recent,
)
from retrieval.ranking.search import Candidate, HybridSearcher
from retrieval.types import Answer, BriefingRecord, Citation, Question

NOTHING_FOUND = "I found nothing about that in the briefings."
# Two sentences of one story (index/stories.py) in two briefings this close (cosine) report one
# thing: another outlet's copy of a statement, cited once with the outlet named.
SAME_STORY_COSINE = 0.75
SAME_WORDS = 0.5  # `who`: one story's statements sharing this share of their words are one
_WORDS = re.compile(r"\w+")


@dataclass(frozen=True)
class AnswerPolicy:
    """Which candidates become citations, and when to say nothing was found."""

    max_citations: int = 3
    # Abstain when the question's relevance (see `relevance`) is below this. Measured on the
    # eval sets (README, "Answer quality"): the highest value that keeps wrongful abstention
    # on answerable questions at or under 5% on every set.
    min_relevance: float = 1.16
    # Two sentences this similar (cosine) say the same thing: cite the better one only.
    duplicate_cosine: float = 0.92
    # News over time (README, "News over time"): what the question asks about in time and whose
    # action it asks about. `before_news_over_time()` is the ranking before these, for eval.
    time_references: bool = True  # "in May", "last week": search that period's briefings
    party_bonus: float = PARTY_BONUS  # "What did Russia propose?": Russia's side acting
    tie_margin: float = NEAR_TIE  # date breaks ties this close (present questions: wider)
    present_margin: float = SAME_STANDING

    def before_news_over_time(self) -> AnswerPolicy:
        """The same policy as the ranking was before time references and parties counted."""
        return replace(self, time_references=False, party_bonus=0.0, tie_margin=SAME_STANDING)


RELEVANCE_CONTEXT = 0.5
RELEVANCE_COVERAGE = 0.5
RELEVANCE_OVERLAP = 0.5
RELEVANCE_TOP = 5


def relevance(candidates: list[Candidate]) -> float:
    """How well the briefings cover a question, comparable across corpora of any size.

    best sentence cosine + 0.5 x best chunk cosine + 0.5 x the best IDF-weighted share of the
    question's words found in one of the top briefings + 0.5 x the best share of its words
    found in one of the top sentences (or its title). Cosines catch questions on unrelated
    topics; word coverage catches questions that sound familiar but name something no
    briefing mentions; sentence overlap vouches for a question that names what a sentence
    names even when the model does not know the name ("Who is Umerov?").
    """
    if not candidates:
        return 0.0
    top = candidates[:RELEVANCE_TOP]
    return (
        max(c.dense for c in candidates)
        + RELEVANCE_CONTEXT * max(c.context for c in candidates)
        + RELEVANCE_COVERAGE * max(c.coverage for c in top)
        + RELEVANCE_OVERLAP * max(c.overlap for c in top)
    )


def citation_of(candidate: Candidate) -> Citation:
    """The citation for a candidate: the stored sentence verbatim and its briefing's details,
    with the other briefings that say the same."""
    cited = citation_from(candidate.stored, candidate.record, candidate.score)
    context = candidate.leans_on.sentence.text if candidate.leans_on is not None else ""
    return replace(cited, also=tuple(citation_of(c) for c in candidate.also), context=context)


def citation_from(stored: StoredSentence, record: BriefingRecord, score: float = 0.0) -> Citation:
    """The citation of a stored sentence of a briefing."""
    sentence = stored.sentence
    return Citation(
        sentence=sentence.text,
        doc_id=record.id,
        title=record.title,
        start=sentence.start,
        end=sentence.end,
        published=record.published,
        url=record.url,
        score=round(score, 4),
        sentence_id=sentence.id,
        speaker=sentence.speaker,
    )


def choose(
    candidates: list[Candidate], policy: AnswerPolicy, limit: int | None = None
) -> list[Candidate]:
    """The best few (`limit`, else the policy's number), near-duplicates removed; empty when
    nothing is relevant."""
    limit = policy.max_citations if limit is None else limit
    if relevance(candidates) < policy.min_relevance or limit < 1:
        return []
    return _distinct(candidates, policy, limit)


def says_the_same(a: Candidate, b: Candidate, policy: AnswerPolicy) -> bool:
    """Whether two sentences say the same thing: the same words, this close (cosine), or, in
    two briefings of one story (two outlets' copies), close enough for one story's report."""
    cosine = float(a.vector @ b.vector)
    one_story = a.record.id != b.record.id and a.record.story == b.record.story
    if cosine >= policy.duplicate_cosine or (one_story and cosine >= SAME_STORY_COSINE):
        return True
    return _WORDS.findall(a.stored.sentence.text.lower()) == _WORDS.findall(
        b.stored.sentence.text.lower()
    )


def _distinct(candidates: list[Candidate], policy: AnswerPolicy, limit: int) -> list[Candidate]:
    """The best `limit` candidates that say different things; each carries the candidates of
    other briefings that say the same as it (`also`: other outlets of its story)."""
    chosen: list[Candidate] = []
    for candidate in candidates:
        twin = next((i for i, c in enumerate(chosen) if says_the_same(candidate, c, policy)), None)
        if twin is None:
            if len(chosen) < limit:
                chosen.append(candidate)
            continue
        first = chosen[twin]
        others = {first.record.id, *(c.record.id for c in first.also)}
        if candidate.record.id not in others:
            chosen[twin] = replace(first, also=(*first.also, candidate))
    return chosen


def compose(question: Question, chosen: list[Candidate], relevance: float = 0.0) -> Answer:
    """An Answer from the chosen candidates, or the plain 'nothing found' answer."""
    score = round(relevance, 4)
    if not chosen:
        return Answer(question.text, NOTHING_FOUND, abstained=True, relevance=score)
    # Quotes of one briefing go together (its title and date are shown once), in the order
    # each briefing's best quote came.
    first_seen = {bid: n for n, bid in reversed(list(enumerate(c.record.id for c in chosen)))}
    together = sorted(chosen, key=lambda c: first_seen[c.record.id])  # stable within one
    citations = tuple(citation_of(c) for c in together)
    text = " ".join(f"{c.sentence} [{n}]" for n, c in enumerate(citations, start=1))
    return Answer(question.text, text, citations=citations, relevance=score)


def statements_by(store: BriefingStore, name: str, limit: int = 10) -> list[Citation]:
    """What a person said, as citations, newest briefing first (`/who`, `briefbot who`)."""
    found = store.catalogue.statements_by(name, 2 * limit)
    records = store.catalogue.records_of([s.sentence.briefing_id for s in found])
    listed: list[tuple[Citation, str, set[str]]] = []  # citation, story, words
    for stored in found:
        record = records.get(stored.sentence.briefing_id)
        if record is None:
            continue
        cited, words = (
            citation_from(stored, record),
            set(_WORDS.findall(stored.sentence.text.lower())),
        )
        # Another outlet's copy of the story says it again: one line, the outlet listed.
        twin = next(
            (
                i
                for i, (c, story, seen) in enumerate(listed)
                if story == record.story
                and c.doc_id != record.id
                and len(words & seen) >= SAME_WORDS * len(words | seen)
            ),
            None,
        )
        if twin is None:
            listed.append((cited, record.story, words))
        else:
            first, story, seen = listed[twin]
            listed[twin] = (replace(first, also=(*first.also, cited)), story, seen)
    return [c for c, _, _ in listed[:limit]]


def build_answer_chain(
    searcher: HybridSearcher, policy: AnswerPolicy | None = None
) -> Runnable[Question | str, Answer]:
    """question -> search -> choose -> Answer, as a LangChain runnable (invoke/batch/stream).

    A Question's `max_citations` overrides the policy's number for that call ("More sources").
    """
    policy = policy or AnswerPolicy()

    def retrieve(question: Question | str) -> tuple[Question, Scoped]:
        q = question if isinstance(question, Question) else Question(text=str(question))
        text = without_markup(q.text)  # a question is text: tags and entities are not its words
        if not text:
            return q, Scoped()
        limit = max(20, 2 * (q.max_citations or 0))
        if not policy.time_references:
            return q, Scoped(searcher.search(text, as_of=q.as_of, limit=limit))

        def relevant(found: list[Candidate]) -> bool:
            return relevance(found) >= policy.min_relevance

        return q, scoped_search(searcher, text, as_of=q.as_of, limit=limit, relevant=relevant)

    def answer(found: tuple[Question, Scoped]) -> Answer:
        q, scoped = found
        candidates = scoped.candidates
        present = asks_about_now(q.text)
        if present:
            candidates = prefer_recent(candidates)
        candidates = prefer_party(q.text, candidates, policy.party_bonus)
        chosen = choose(candidates, policy, q.max_citations)
        margin = policy.present_margin if present else policy.tie_margin
        composed = compose(q, newest_first(chosen, margin), relevance(candidates))
        return replace(composed, note=scoped.note) if chosen and scoped.note else composed

    return RunnableLambda(retrieve, name="retrieve") | RunnableLambda(answer, name="answer")
