"""News changes: questions about the present prefer the newest briefings."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from retrieval.language.terms import TIME_WORDS
from retrieval.ranking.search import Candidate

# The single time words are lexical's (coverage leaves them out); these phrases add to them.
_ABOUT_NOW = re.compile(
    r"\b(" + "|".join(sorted(TIME_WORDS)) + r"|most recent|so far|as of|any ?more|yet)\b",
    re.IGNORECASE,
)
# How much the newest briefing gains over the oldest among the candidates, in score units
# (a sentence's score is roughly 1-4.5): enough to reorder close calls, not to promote noise.
# Both margins grew by half when word coverage and overlap joined the score (its weights sum
# to 4.95, was 3.3), so they weigh as before.
RECENCY_BONUS = 0.45


def asks_about_now(question: str) -> bool:
    """Whether the question is about the current state of things ("latest", "still", "now")."""
    return bool(_ABOUT_NOW.search(question))


def prefer_recent(candidates: Sequence[Candidate]) -> list[Candidate]:
    """Candidates re-scored with a bonus growing linearly with their briefing's date."""
    days = [c.record.published for c in candidates if c.record.published]
    if len(set(days)) < 2:
        return list(candidates)
    oldest, newest = min(days), max(days)
    span = (newest - oldest).days
    boosted = [
        replace(c, score=c.score + RECENCY_BONUS * _age_share(c.record.published, oldest, span))
        for c in candidates
    ]
    return sorted(boosted, key=lambda c: c.score, reverse=True)


def _age_share(day: date | None, oldest: date, span: int) -> float:
    return (day - oldest).days / span if day else 0.0


# For questions about the present, citations scoring within this of the best one answer about
# equally well, and the newest briefing goes first among them. A clearly better answer stays
# first whatever its date.
SAME_STANDING = 0.3
# For other questions relevance decides: only a near-tie is broken by date (measured on the
# news-over-time set: README, "News over time"; 0.3 for every question put a newer briefing's
# other party's proposal first; 0, 0.05 and 0.3 score the same on that set, so the smallest
# reading of "near-tie" stands).
NEAR_TIE = 0.05


def newest_first(chosen: Sequence[Candidate], margin: float = SAME_STANDING) -> list[Candidate]:
    """Citations within `margin` of the best ordered newest first; the rest keep relevance
    order."""
    if len({c.record.published for c in chosen}) < 2:
        return list(chosen)
    best = max(c.score for c in chosen)
    leading = [c for c in chosen if c.score >= best - margin]
    rest = [c for c in chosen if c.score < best - margin]
    leading.sort(key=lambda c: c.record.published or date.min, reverse=True)
    return leading + rest
