"""Dates: questions about now prefer newer briefings; differing dates are shown newest first."""

from __future__ import annotations

from datetime import date

from ingest.pipeline import Ingester
from retrieval.ranking.recency import asks_about_now
from retrieval.types import Briefing


def talks(day: int, month: int, text: str) -> Briefing:
    return Briefing(
        id=f"talks-{month}-{day}",
        title=f"Talks {day}/{month}",
        text=text,
        source="test",
        published=date(2025, month, day),
    )


def test_questions_about_the_present_are_recognised() -> None:
    assert asks_about_now("What is the latest on the ceasefire?")
    assert asks_about_now("Is Russia still rejecting the ceasefire?")
    assert not asks_about_now("What did Russia propose in Istanbul?")


def test_latest_question_cites_the_newest_briefing_first(chain, ingester: Ingester) -> None:
    ingester.ingest(talks(2, 6, "Russia rejected an unconditional ceasefire with Ukraine."))
    ingester.ingest(talks(20, 7, "Russia rejected an unconditional ceasefire with Ukraine again."))
    answer = chain.invoke("What is the latest on Russia and an unconditional ceasefire?")
    assert answer.citations[0].published == date(2025, 7, 20)


def test_about_now_citations_from_different_days_are_newest_first(
    chain, ingester: Ingester
) -> None:
    # Only for questions about the present: elsewhere relevance decides (test_news_over_time).
    ingester.ingest(talks(2, 6, "The delegations agreed to exchange 6,000 bodies of soldiers."))
    ingester.ingest(talks(1, 9, "The delegations agreed to exchange 1,200 prisoners of war."))
    answer = chain.invoke("What have the delegations now agreed to exchange?")
    days = [c.published for c in answer.citations]
    assert len(set(days)) == 2
    assert days == sorted(days, reverse=True)
