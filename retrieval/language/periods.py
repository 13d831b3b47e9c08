"""The time a question names ("in May", "on 2 June", "last week", "yesterday", "the third
round"), as dates or as a place in a story's order.

Relative words count from the day the question is asked about (`--as-of`, else today), as news
uses them: "this week" is the past seven days, "last week" the seven before. A named month or
day without a year is first the latest one on or before that day; the answer chain goes back a
year at a time while it holds nothing on the question (`Period.years_before`). A period ends a
day late: a briefing often reports the day after the event.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, replace
from datetime import date, timedelta

_MONTHS = {
    name.lower(): number
    for number, names in enumerate(zip(calendar.month_name, calendar.month_abbr, strict=True))
    for name in names
    if name
}
_MONTH = r"(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?:,?\s+(\d{4}))?"
_DAY_MONTH = re.compile(rf"\b(?:on\s+)?{_DAY}\s+(?:of\s+)?{_MONTH}{_YEAR}\b", re.I)
_MONTH_DAY = re.compile(rf"\b(?:on\s+)?{_MONTH}\s+{_DAY}{_YEAR}\b", re.I)
_IN_MONTH = re.compile(
    rf"\b(?:in|during|since|throughout)\s+(?:early\s+|late\s+|mid-?)?{_MONTH}{_YEAR}\b", re.I
)
_RELATIVE = re.compile(
    r"\b(yesterday|today|this week|last week|past week|this month|last month|past month)\b", re.I
)
REPORTING_LAG = timedelta(days=1)


@dataclass(frozen=True)
class Period:
    """The days a question is about, both ends included; `words` are the question's words
    that named them ("in June"); `kind` is "month" or "day" for a calendar period (which a
    year earlier is the same period of another year), else "relative"; `year_named` says
    whether the question gave the year."""

    start: date
    end: date
    words: str = ""
    kind: str = "relative"
    year_named: bool = False

    def years_before(self, years: int) -> Period:
        """The same month or day `years` earlier (a calendar period only)."""
        if self.kind == "relative" or years == 0:
            return self
        start = _shift_year(self.start, -years)
        end = _shift_year(self.end - REPORTING_LAG, -years) + REPORTING_LAG
        return replace(self, start=start, end=end)

    def label(self) -> str:
        """The period as a notice names it: "June 2025", "2 June 2025", "this week"."""
        if self.kind == "month":
            return f"{calendar.month_name[self.start.month]} {self.start.year}"
        if self.kind == "day":
            return f"{self.start.day} {calendar.month_name[self.start.month]} {self.start.year}"
        return " ".join(self.words.split()).lower()

    def without_words(self, question: str) -> str:
        """The question without the words that named the period: once the search keeps to
        the period, they only count against sentences that do not repeat them."""
        return without(self.words, question)


def without(words: str, question: str) -> str:
    """The question with these words taken out, its spacing and punctuation mended."""
    if not words:
        return question
    left = " ".join(question.replace(words, " ").split())
    return re.sub(r"\s+([?.!,])", r"\1", left)


def period_in(question: str, today: date) -> Period | None:
    """The period the question names, relative to `today`; None if it names none."""
    for pattern, day_first in ((_DAY_MONTH, True), (_MONTH_DAY, False)):
        match = pattern.search(question)
        if match:
            day_text, month_text = match.group(1), match.group(2)
            if not day_first:
                day_text, month_text = month_text, day_text
            day = _named_day(int(day_text), _MONTHS[month_text.lower()], match.group(3), today)
            if day is not None:
                named = match.group(3) is not None
                return Period(day, day + REPORTING_LAG, match.group(0), "day", named)
    match = _IN_MONTH.search(question)
    if match:
        month = _MONTHS[match.group(1).lower()]
        year = int(match.group(2)) if match.group(2) else _latest_year(month, 1, today)
        last = calendar.monthrange(year, month)[1]
        end = date(year, month, last) + REPORTING_LAG
        named = match.group(2) is not None
        return Period(date(year, month, 1), end, match.group(0), "month", named)
    match = _RELATIVE.search(question)
    if match:
        return replace(_relative(match.group(1).lower(), today), words=match.group(0))
    return None


def _named_day(day: int, month: int, year_text: str | None, today: date) -> date | None:
    year = int(year_text) if year_text else _latest_year(month, day, today)
    try:
        return date(year, month, day)
    except ValueError:  # "31 June": names no day
        return None


def _latest_year(month: int, day: int, today: date) -> int:
    """The year of the latest (month, day) on or before today."""
    return today.year if (month, min(day, 28)) <= (today.month, today.day) else today.year - 1


def _shift_year(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


WEEK = timedelta(days=7)


def _relative(words: str, today: date) -> Period:
    if words == "yesterday":
        return Period(today - timedelta(days=1), today)
    if words == "today":
        return Period(today, today)
    # News usage, not the calendar's: asked on a Thursday, "this week" takes in the weekend's
    # stories (the past seven days, and the day before them for reporting lag).
    if words in ("this week", "past week"):
        return Period(today - WEEK - REPORTING_LAG, today)
    if words == "last week":
        return Period(today - 2 * WEEK - REPORTING_LAG, today - WEEK)
    first = today.replace(day=1)
    if words == "this month":
        return Period(first, today)
    if words == "last month":
        previous = first - timedelta(days=1)
        return Period(previous.replace(day=1), first)
    return Period(today - timedelta(days=31), today)  # past month


_ORDINALS = {
    "first": 1, "1st": 1, "opening": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3,
    "fourth": 4, "4th": 4, "fifth": 5, "5th": 5, "sixth": 6, "6th": 6,
    "last": -1, "latest": -1, "final": -1, "most recent": -1,
}  # fmt: skip
_ROUND = re.compile(
    r"\b(?:(?:at|in|during|from|after|since)\s+)?(?:the\s+)?"
    r"(" + "|".join(sorted(_ORDINALS, key=len, reverse=True)) + r")"
    # up to three words naming the story between: "the second Black Sea shipping meeting"
    r"(?:\s+(?!(?:at|in|on|of|the|a|an|to|for|with|and|by)\b)[\w-]+){0,3}?\s+"
    r"(?:round|meeting|session|talks|summit|negotiations?)(?:\s+of\s+(?:the\s+)?talks)?\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Round:
    """A place in a story's order the question names ("the third round": 3, "the last
    talks": -1) and its words."""

    number: int
    words: str  # "in the third round"
    ordinal: str  # "third"

    def without_words(self, question: str) -> str:
        """The question without its ordinal ("What did Ukraine propose in the round?"): the
        round's own briefings need not number it."""
        return without(self.ordinal, question)


def round_in(question: str) -> Round | None:
    """The round or meeting of a story the question names by its order, or None."""
    match = _ROUND.search(question)
    if match is None:
        return None
    return Round(_ORDINALS[match.group(1).lower()], match.group(0), match.group(1))


_WEEKDAYS = {name.lower(): n for n, name in enumerate(calendar.day_name)}
_ON_WEEKDAY = re.compile(r"\b(?:on|last|since)\s+(" + "|".join(calendar.day_name) + r")\b", re.I)
_YESTERDAY = re.compile(r"\byesterday\b", re.I)
# How far back a date written without its year may lie from its briefing's date.
EVENT_REACH = timedelta(days=366)


def event_day(sentence: str, published: date) -> date | None:
    """The day a sentence dates its own event ("during shelling on March 4", "on Monday",
    "yesterday"), resolved against its briefing's date: the latest such day on or before it.
    None when the sentence names no day, or names the briefing's own."""
    found: date | None = None
    for pattern, day_first in ((_DAY_MONTH, True), (_MONTH_DAY, False)):
        match = pattern.search(sentence)
        if match:
            day_text, month_text = match.group(1), match.group(2)
            if not day_first:
                day_text, month_text = month_text, day_text
            found = _named_day(
                int(day_text), _MONTHS[month_text.lower()], match.group(3), published
            )
            break
    if found is None:
        weekday = _ON_WEEKDAY.search(sentence)
        if weekday:
            back = (published.weekday() - _WEEKDAYS[weekday.group(1).lower()]) % 7
            found = published - timedelta(days=back)
        elif _YESTERDAY.search(sentence):
            found = published - timedelta(days=1)
    if found is None or found == published or not published - EVENT_REACH <= found <= published:
        return None
    return found
