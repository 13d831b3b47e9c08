"""Timelines: the dated statements on a topic across briefings, oldest first, one per story and
day, near-duplicates from several outlets (and copies of one story, index/stories.py) merged
and those outlets listed.

Candidates come from the same search as answers, wider; a briefing about the topic (below)
contributes its best sentence, filed under the day the sentence dates its event ("on March 4")
or else its briefing's date; the briefings of one day whose sentences say the same (cosine)
are one entry, cited from the best of them. Nothing is listed when the briefings do not cover
the topic (the answers' relevance rule).

About the topic: the briefings that score within TOPIC_MARGIN of the best name the topic's
subjects: the people, groups and places (a country's names and people as one party) that at
least half of them name. A briefing is on the timeline when it names one of them: "peace
talks" keeps Russia and Ukraine's rounds and drops a US envoy's Middle East talks, which
share the words but no subject. With no subject that half of them name, the narrower
TIMELINE_MARGIN alone decides, as before. Margins chosen on the real-pages set's timelines
(bot/evaluation/real_pages, `make eval`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from retrieval.answering.answer import (
    SAME_STORY_COSINE,
    AnswerPolicy,
    citation_of,
    relevance,
    says_the_same,
)
from retrieval.language.names import PARTIES
from retrieval.ranking.search import Candidate, HybridSearcher
from retrieval.types import Citation

TIMELINE_CANDIDATES = 60
# A briefing whose best sentence scores within this of the topic's best, and names one of the
# topic's subjects, is on the timeline; without subjects, within the narrower margin.
TOPIC_MARGIN = 2.0
TIMELINE_MARGIN = 1.0
SUBJECT_SHARE = 0.5  # a subject is named by at least this share of those briefings
_ASKS_FOR_TIMELINE = re.compile(
    r"\b(?:how\s+(?:has|have|did)\b.*\b(?:changed?|evolved?|developed?|shifted?|moved?)|"
    r"timeline|over time|chronolog\w*)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class TimelineEntry:
    """One story on one day: its cited sentence and the other outlets that reported it."""

    day: date
    citation: Citation
    also: tuple[Citation, ...] = ()  # the same story, same day, in other briefings


def asks_for_timeline(question: str) -> bool:
    """Whether a question asks how something moved over time ("How has … changed?")."""
    return bool(_ASKS_FOR_TIMELINE.search(question))


def timeline(
    searcher: HybridSearcher,
    topic: str,
    *,
    as_of: date | None = None,
    policy: AnswerPolicy | None = None,
    limit: int = 20,
    on_topic: bool = True,
) -> list[TimelineEntry]:
    """The topic's dated entries, oldest first: at most `limit`, the best-scoring kept; the
    same statement on several days is one entry at its first day, the later copies listed
    with it. `on_topic=False` judges entries by score alone (as before issue 23)."""
    policy = policy or AnswerPolicy()
    candidates = searcher.search(topic, as_of=as_of, limit=TIMELINE_CANDIDATES)
    if relevance(candidates) < policy.min_relevance:
        return []
    best_score = candidates[0].score
    widest = TOPIC_MARGIN if on_topic else TIMELINE_MARGIN
    per_briefing: dict[str, Candidate] = {}
    for c in candidates:  # best first: a briefing keeps its best sentence
        if c.record.published is None or c.score < best_score - widest:
            continue
        per_briefing.setdefault(c.record.id, c)
    if on_topic:
        per_briefing = _about_topic(searcher, per_briefing, best_score)
    by_day: dict[date, list[Candidate]] = {}
    for c in per_briefing.values():  # a sentence that dates its own event is filed there
        day = c.stored.sentence.event or c.record.published
        assert day is not None
        by_day.setdefault(day, []).append(c)
    stories: list[tuple[date, list[Candidate]]] = []
    for day, found in sorted(by_day.items()):
        for c in sorted(found, key=lambda c: c.score, reverse=True):
            same = next(
                (
                    s
                    for d, s in stories
                    if d == day and float(c.vector @ s[0].vector) >= SAME_STORY_COSINE
                ),
                None,
            )
            said_before = next(  # the same statement on an earlier day: one entry, its first
                (s for d, s in stories if d < day and says_the_same(c, s[0], policy)), None
            )
            copied = next(  # another outlet's copy of a story listed (index/stories.py)
                (s for _, s in stories if any(c.record.story == x.record.story for x in s)), None
            )
            joined = next((s for s in (same, said_before, copied) if s is not None), None)
            if joined is not None:
                joined.append(c)
            else:
                stories.append((day, [c]))
    # Capped by importance (the best-scoring stories), then shown oldest first.
    kept = sorted(stories, key=lambda item: item[1][0].score, reverse=True)[:limit]
    entries = []
    for day, story in kept:
        cited = tuple(citation_of(c) for c in story)
        entries.append(TimelineEntry(day, cited[0], cited[1:]))
    entries.sort(key=lambda e: (e.day, -e.citation.score))
    return entries


def _about_topic(
    searcher: HybridSearcher, per_briefing: dict[str, Candidate], best_score: float
) -> dict[str, Candidate]:
    """The briefings that name one of the topic's subjects, or with none, the confident ones
    (see the module's docstring)."""
    named = {
        bid: {PARTIES.party_of(key) or key for key in keys}
        for bid, keys in searcher.store.catalogue.entities_of(list(per_briefing)).items()
    }
    counts: dict[str, int] = {}
    for subjects_named in named.values():
        for subject in subjects_named:
            counts[subject] = counts.get(subject, 0) + 1
    subjects = {s for s, n in counts.items() if n >= SUBJECT_SHARE * len(per_briefing)}
    if not subjects:
        return {
            bid: c for bid, c in per_briefing.items() if c.score >= best_score - TIMELINE_MARGIN
        }
    return {bid: c for bid, c in per_briefing.items() if named.get(bid, set()) & subjects}


def timeline_json(topic: str, entries: list[TimelineEntry]) -> dict[str, object]:
    """`briefbot timeline --json`: {"topic", "entries": [{date, text, doc_id, title, url,
    speaker, also}]}."""
    return {
        "topic": topic,
        "entries": [
            {
                "date": e.day.isoformat(),
                "text": e.citation.sentence,
                "doc_id": e.citation.doc_id,
                "title": e.citation.title,
                "url": e.citation.url,
                "speaker": e.citation.speaker or None,
                "also": [{"doc_id": a.doc_id, "title": a.title, "url": a.url} for a in e.also],
            }
            for e in entries
        ],
    }
