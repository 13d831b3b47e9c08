"""The time a question names ("in May", "on 2 June", "last week", "yesterday"), as dates.

Relative words count from the day the question is asked about (`--as-of`, else today). A
named month or day without a year is the latest one on or before that day. A period ends a
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
    that named them ("in June")."""

    start: date
    end: date
    words: str = ""

    def without_words(self, question: str) -> str:
        """The question without the words that named the period: once the search keeps to
        the period, they only count against sentences that do not repeat them."""
        if not self.words:
            return question
        left = " ".join(question.replace(self.words, " ").split())
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
                return Period(day, day + REPORTING_LAG, match.group(0))
    match = _IN_MONTH.search(question)
    if match:
        month = _MONTHS[match.group(1).lower()]
        year = int(match.group(2)) if match.group(2) else _latest_year(month, 1, today)
        last = calendar.monthrange(year, month)[1]
        end = date(year, month, last) + REPORTING_LAG
        return Period(date(year, month, 1), end, match.group(0))
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


def _relative(words: str, today: date) -> Period:
    monday = today - timedelta(days=today.weekday())
    if words == "yesterday":
        return Period(today - timedelta(days=1), today)
    if words == "today":
        return Period(today, today)
    if words == "this week":
        return Period(monday, today)
    if words == "last week":
        return Period(monday - timedelta(days=7), monday)
    if words == "past week":
        return Period(today - timedelta(days=7), today)
    first = today.replace(day=1)
    if words == "this month":
        return Period(first, today)
    if words == "last month":
        previous = first - timedelta(days=1)
        return Period(previous.replace(day=1), first)
    return Period(today - timedelta(days=31), today)  # past month
