"""News over time: the time a question names, the party it asks about, and the three defects
found with several dated briefings on one story, each over made-up briefings."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.evaluation.news_over_time import KINDS, NEWS_SET, evaluate_news, read_news_questions
from bot.services import Services, build_services
from bot.settings import Settings
from retrieval.answering.answer import AnswerPolicy, build_answer_chain
from retrieval.answering.timeline import timeline_json
from retrieval.language.periods import Period, period_in
from retrieval.ranking.parties import acts_for, party_asked
from retrieval.types import Briefing, Question
from tests.conftest import SAMPLE

SEPTEMBER = date(2025, 9, 1)


@pytest.mark.parametrize(
    ("question", "today", "start", "end"),
    [
        ("What did Russia propose on 2 June?", SEPTEMBER, date(2025, 6, 2), date(2025, 6, 3)),
        ("What happened on June 2nd?", SEPTEMBER, date(2025, 6, 2), date(2025, 6, 3)),
        ("What was agreed in July?", SEPTEMBER, date(2025, 7, 1), date(2025, 8, 1)),
        ("What was agreed in December?", SEPTEMBER, date(2024, 12, 1), date(2025, 1, 1)),
        ("What was said in May 2024?", SEPTEMBER, date(2024, 5, 1), date(2024, 6, 1)),
        ("What happened yesterday?", date(2025, 8, 9), date(2025, 8, 8), date(2025, 8, 9)),
        # news usage: the past seven days (and a day's lag), then the seven before
        ("What happened this week?", date(2025, 8, 9), date(2025, 8, 1), date(2025, 8, 9)),
        ("What happened last week?", date(2025, 7, 28), date(2025, 7, 13), date(2025, 7, 21)),
        ("Any news last month?", date(2025, 3, 10), date(2025, 2, 1), date(2025, 3, 1)),
    ],
)
def test_the_time_a_question_names_counts_from_the_day_it_is_asked(
    question: str, today: date, start: date, end: date
) -> None:
    period = period_in(question, today)
    assert period is not None and (period.start, period.end) == (start, end)
    assert period.words and period.words in question


@pytest.mark.parametrize(
    "question", ["What did Russia propose?", "What may happen next?", "What of 31 June?"]
)
def test_a_question_that_names_no_time_has_no_period(question: str) -> None:
    assert period_in(question, SEPTEMBER) is None


def test_the_words_of_the_period_leave_the_searched_question() -> None:
    period = Period(date(2025, 6, 1), date(2025, 7, 1), "in June")
    assert period.without_words("How long did the talks last in June?") == (
        "How long did the talks last?"
    )


@pytest.mark.parametrize(
    ("question", "party"),
    [
        ("What did Russia propose?", "Russia"),
        ("What does Ukraine still want?", "Ukraine"),
        ("what has the United States proposed?", "United States"),
        ("What is the latest?", None),
        ("Where were the talks?", None),
    ],
)
def test_the_party_a_question_asks_about(question: str, party: str | None) -> None:
    asked = party_asked(question)
    assert (asked[0] if asked else None) == party


# --- the defects, over made-up briefings ---------------------------------------------------


@pytest.fixture
def story(tmp_path: Path, model: Any) -> Iterator[Services]:
    """The sample (2 June) and made-up later rounds of the same story."""
    settings = Settings(_env_file=None, data_dir=tmp_path / "data", chroma_host="")  # type: ignore[call-arg]
    services = build_services(settings, model=model)
    later = [
        Briefing(
            "later-round",
            "Third round of talks in Istanbul",
            "The third round of talks in Istanbul lasted only forty minutes on Wednesday. "
            "Ukraine proposed a meeting between the two presidents by the end of August. "
            "Russia proposed setting up three working groups on political, humanitarian and "
            "military questions. The sides agreed to exchange another 1,200 prisoners.",
            "test",
            published=date(2025, 7, 23),
        ),
        Briefing(
            "first-round",
            "First round of talks opens in Istanbul",
            "Delegations from Russia and Ukraine met in Istanbul for the first direct talks in "
            "three years. Both sides agreed to exchange 1,000 prisoners each. The talks lasted "
            "less than two hours.",
            "test",
            published=date(2025, 5, 16),
        ),
    ]
    services.ingester.ingest_sources([str(SAMPLE)], services.fetcher)
    list(services.ingester.ingest_many(later))
    yield services
    services.close()


def first(services: Services, question: str, as_of: date, policy: AnswerPolicy) -> str:
    answer = build_answer_chain(services.searcher, policy).invoke(Question(question, as_of=as_of))
    assert answer.citations, f"no answer to {question!r}"
    return answer.citations[0].sentence


def test_a_newer_briefing_does_not_put_another_party_s_proposal_first(story: Services) -> None:
    question = "What did Russia propose?"
    answer = build_answer_chain(story.searcher).invoke(Question(question, as_of=SEPTEMBER))
    bid, number = answer.citations[0].sentence_id.rsplit(":s", 1)
    [cited] = story.store.catalogue.sentences([(bid, int(number))]).values()
    assert acts_for(cited.acts, "Russia"), cited.sentence.text


def test_a_time_in_the_question_keeps_to_that_time(story: Services) -> None:
    question = "How many prisoners were to be exchanged in May?"
    assert "1,000 prisoners" in first(story, question, SEPTEMBER, AnswerPolicy())
    before = AnswerPolicy().before_news_over_time()
    assert "1,000 prisoners" not in first(story, question, SEPTEMBER, before)  # the defect


def test_a_party_at_a_named_round_gets_its_own_proposal(story: Services) -> None:
    question = "What did Russia propose at the third round?"
    assert "three working groups" in first(story, question, SEPTEMBER, AnswerPolicy())


def test_the_news_over_time_table_scores_every_kind_with_both_rankings(model: Any) -> None:
    result = evaluate_news(
        Settings(_env_file=None, chroma_host=""),  # type: ignore[call-arg]
        model=model,
    )
    questions = read_news_questions(NEWS_SET / "questions.jsonl")
    assert result.totals == {k: sum(q.kind == k for q in questions) for k in KINDS}
    for kind in KINDS:
        assert 0 <= result.before.get(kind, 0) <= result.totals[kind]
        assert 0 <= result.now[kind] <= result.totals[kind]
    assert len(result.misses) == sum(result.totals.values()) - sum(result.now.values())


# --- timelines -------------------------------------------------------------------------------


def test_a_timeline_is_oldest_first_one_entry_per_story_and_day_with_outlets_merged(
    story: Services,
) -> None:
    other_outlet = Briefing(
        "other-outlet",
        "Istanbul talks: prisoners to be swapped",
        "Both sides agreed to exchange 1,000 prisoners each, delegates said in Istanbul.",
        "test",
        published=date(2025, 5, 16),
    )
    list(story.ingester.ingest_many([other_outlet]))

    entries = story.timeline("prisoner exchange")

    days = [e.day for e in entries]
    assert days == sorted(days) and len(days) >= 3  # May, June, July
    [may] = [e for e in entries if e.day == date(2025, 5, 16)]
    outlets = {may.citation.doc_id, *(a.doc_id for a in may.also)}
    assert outlets == {"first-round", "other-outlet"}  # one story that day, both outlets
    doc = timeline_json("prisoner exchange", entries)
    assert doc["topic"] == "prisoner exchange"
    assert set(doc["entries"][0]) == {"date", "text", "doc_id", "title", "url", "speaker", "also"}


def test_a_question_about_change_is_answered_as_a_timeline(story: Services) -> None:
    answer = story.ask(Question("How has the prisoner exchange changed over time?"))
    days = [c.published for c in answer.citations]
    assert len(days) >= 2 and days == sorted(days)  # type: ignore[type-var]


def test_talks_that_share_the_words_but_not_the_subjects_stay_off_the_timeline(
    story: Services,
) -> None:
    # As on real news: "peace talks" held a US envoy's Middle East talks and Korean talks.
    elsewhere = [
        Briefing(
            "mideast",
            "Envoy presses on with Middle East peace talks",
            "A US envoy met Israeli and Palestinian officials in Jerusalem for peace talks. "
            "The envoy said the peace talks in Amman would resume next month.",
            "test",
            published=date(2025, 6, 20),
        ),
        Briefing(
            "korea",
            "Seoul offers talks",
            "South Korea offered North Korea peace talks at Panmunjom. "
            "The unification ministry said it hoped the peace talks would resume.",
            "test",
            published=date(2025, 7, 2),
        ),
    ]
    list(story.ingester.ingest_many(elsewhere))

    entries = story.timeline("peace talks")

    listed = {e.citation.doc_id for e in entries}
    assert listed and not listed & {"mideast", "korea"}
    assert listed & {"first-round", "later-round"}


def test_a_topic_the_briefings_do_not_cover_has_no_timeline(story: Services) -> None:
    assert story.timeline("football transfer window") == []
