"""Which briefings a question is answered from, by the time it names. Periods guide, they never
hide: when the named time holds nothing relevant, the answer comes from the nearest time that
does, and a one-line notice says so.

    "in June 2026" (nothing then)    -> "Nothing from June 2026; from June 2025:"
    "in June" asked in December 2026 -> the latest June with something on the question,
                                        named: "From June 2025:"
    "this week" (nothing)            -> the newest earlier briefings that answer it
    "the latest", "now", "still"     -> the story's latest event first, widened back (a
                                        week, a month, a quarter, everything) until something
                                        relevant is found
    "the third round"                -> the third event of the story, in date order (days of
                                        relevant briefings, a day's follow-up counted with it)

Relevance is the answer chain's own rule (passed in), so "relevant" means what it means for
abstention.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from retrieval.language.periods import REPORTING_LAG, Period, period_in, round_in
from retrieval.ranking.recency import asks_about_now
from retrieval.ranking.search import Candidate, HybridSearcher

Relevant = Callable[[list[Candidate]], bool]
# How far back "in June" looks for a June with something on the question.
YEARS_BACK = 5
# "Latest" questions: the briefings from the story's latest event on, widened back by these
# until something there is relevant.
NEWEST_WINDOWS = (timedelta(days=0), timedelta(days=7), timedelta(days=31), timedelta(days=92))
# A question naming "the third round" is answered as it is when one of its best few
# candidates writes "third" itself.
NUMBERED_TOP = 5
# A relative period with nothing: the week on either side is searched next.
NEIGHBOURS = timedelta(days=7)
# How far below the newest briefings' last candidate the older ones are put.
BELOW = 0.5
# A story's events: the days of briefings that answer on their own, a follow-up within this
# counted with its day.
SAME_EVENT = timedelta(days=2)
ROUND_CANDIDATES = 60
# A sentence dating an event inside a period may stand in a briefing this long after it.
EVENT_AFTER = timedelta(days=31)


@dataclass(frozen=True)
class Scoped:
    """A question's candidates and the notice that goes above its answer ("" for none)."""

    candidates: list[Candidate] = field(default_factory=list)
    note: str = ""


def scoped_search(
    searcher: HybridSearcher,
    text: str,
    *,
    as_of: date | None,
    limit: int,
    relevant: Relevant,
    today: date | None = None,
) -> Scoped:
    """The candidates for a question from the time it names, or the nearest that answers."""
    today = as_of or today or date.today()
    period = period_in(text, today)
    if period is not None:
        return _in_period(searcher, period, text, as_of, limit, relevant)
    order = round_in(text)
    if order is not None:
        plain = searcher.search(text, as_of=as_of, limit=limit)
        if _numbered(order.ordinal, plain[:NUMBERED_TOP]):  # the briefings number it themselves
            return Scoped(plain)
        found = _in_round(searcher, order.number, order.without_words(text), as_of, limit, relevant)
        return found if found is not None else Scoped(plain)
    if asks_about_now(text):
        return Scoped(_newest(searcher, text, as_of, limit, relevant))
    return Scoped(searcher.search(text, as_of=as_of, limit=limit))


def names_a_time(question: str, today: date) -> bool:
    """Whether the question names a time this module reads (a period, a round, "latest")."""
    found = period_in(question, today) or round_in(question)
    return found is not None or asks_about_now(question)


def _in_period(
    searcher: HybridSearcher,
    period: Period,
    text: str,
    as_of: date | None,
    limit: int,
    relevant: Relevant,
) -> Scoped:
    within = period.without_words(text)
    years = range(YEARS_BACK + 1) if period.kind != "relative" else range(1)
    for back in years:
        shifted = period.years_before(back)
        end = min(shifted.end, as_of) if as_of else shifted.end
        if end < shifted.start:
            continue
        found = _dated_within(searcher, within, shifted.start, end, as_of, limit)
        if relevant(found):
            if back:
                return Scoped(found, f"Nothing from {period.label()}; from {shifted.label()}:")
            return Scoped(
                found,
                ""
                if period.year_named or period.kind == "relative"
                else f"From {shifted.label()}:",
            )
    # Nothing in the period (nor in the same month or day of the years before): a relative
    # period's neighbouring week on either side ("last week" asked on a Monday may mean the
    # week just ended), the newest briefings before its end that answer, then everything.
    if period.kind == "relative":
        start = period.start - NEIGHBOURS
        end = min(period.end + NEIGHBOURS, as_of) if as_of else period.end + NEIGHBOURS
        found = _dated_within(searcher, within, start, end, as_of, limit)
        if relevant(found):
            return Scoped(found, f"Nothing from {period.label()}; from the days around it:")
    before = min(period.end, as_of) if as_of else period.end
    found = _newest(searcher, within, before, limit, relevant)
    if relevant(found):
        return Scoped(found, f"Nothing from {period.label()}; from the nearest briefings before:")
    found = searcher.search(within, as_of=as_of, limit=limit)
    return Scoped(found, f"Nothing from {period.label()}; from all the briefings:")


def _numbered(ordinal: str, candidates: list[Candidate]) -> bool:
    """Whether one of the best candidates numbers the round itself ("the third round"), in
    its sentence or its briefing's title."""
    pattern = re.compile(rf"\b{re.escape(ordinal)}\b", re.IGNORECASE)
    return any(
        pattern.search(c.stored.sentence.text) or pattern.search(c.record.title) for c in candidates
    )


def _dated_within(
    searcher: HybridSearcher, text: str, start: date, end: date, as_of: date | None, limit: int
) -> list[Candidate]:
    """Candidates whose event falls in start..end: a sentence's own date when it gives one
    ("on March 4" in a gallery of 18 March), else its briefing's; briefings up to a month after
    the period are searched for sentences that date an event inside it."""
    reach = end + EVENT_AFTER
    found = searcher.search(
        text, as_of=min(reach, as_of) if as_of else reach, since=start, limit=3 * limit
    )
    kept = [
        c for c in found if start <= (c.stored.sentence.event or c.record.published or end) <= end
    ]
    return kept[:limit]


def _newest(
    searcher: HybridSearcher, text: str, as_of: date | None, limit: int, relevant: Relevant
) -> list[Candidate]:
    """The newest briefings that answer first: from the story's latest event on (the newest
    day of a briefing that answers about as well as the best), widened back a week, a month,
    a quarter while nothing there is relevant. The rest of the store's answer follows, each
    scored below the last of them, so older context may still be quoted after the news."""
    story = searcher.search(text, as_of=as_of, limit=ROUND_CANDIDATES)
    days = event_days(story, relevant) if relevant(story) else []
    if not days:
        return story[:limit]
    for window in NEWEST_WINDOWS:
        found = searcher.search(text, as_of=as_of, since=days[-1] - window, limit=limit)
        if relevant(found):
            return _then(found, story, limit)
    return story[:limit]


def _then(first: list[Candidate], rest: list[Candidate], limit: int) -> list[Candidate]:
    """`first`, then the candidates of `rest` not in it, scored below all of `first`."""
    held = {c.stored.rowid for c in first}
    later = [c for c in rest if c.stored.rowid not in held]
    if not later:
        return first[:limit]
    gap = max(c.score for c in later) - min(c.score for c in first) + BELOW
    return (first + [replace(c, score=c.score - max(gap, 0.0)) for c in later])[:limit]


def event_days(candidates: list[Candidate], relevant: Relevant) -> list[date]:
    """The days a story happened on, oldest first: the days of the briefings that answer the
    question on their own (the answer chain's relevance rule over each briefing's
    candidates), a follow-up within SAME_EVENT counted with its day."""
    by_briefing: dict[tuple[str, date], list[Candidate]] = {}
    for c in candidates:
        if c.record.published is not None:
            by_briefing.setdefault((c.record.id, c.record.published), []).append(c)
    days = sorted({day for (_, day), found in by_briefing.items() if relevant(found)})
    events: list[date] = []
    for day in days:
        if not (events and day - events[-1] <= SAME_EVENT):
            events.append(day)
    return events


def _in_round(
    searcher: HybridSearcher,
    number: int,
    text: str,
    as_of: date | None,
    limit: int,
    relevant: Relevant,
) -> Scoped | None:
    """The candidates of the story's `number`th event (-1: the last), or None when the story
    has fewer events or that event's briefings do not answer."""
    story = searcher.search(text, as_of=as_of, limit=ROUND_CANDIDATES)
    if not relevant(story):
        return None
    days = event_days(story, relevant)
    if not -len(days) <= (number - 1 if number > 0 else number) < len(days):
        return None
    day = days[number - 1] if number > 0 else days[number]
    end = day + SAME_EVENT + REPORTING_LAG
    found = searcher.search(text, as_of=min(end, as_of) if as_of else end, since=day, limit=limit)
    return Scoped(found) if relevant(found) else None
