"""Time as an analyst means it, over made-up dated briefings: periods guide and never hide, a
month without a year is the latest one with something on the question, "latest" reaches the
newest briefings, rounds count a story's events. The day asked (`as_of`) is the clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from bot.services import Services, build_services
from bot.settings import Settings
from retrieval.answering.answer import AnswerPolicy, build_answer_chain, relevance
from retrieval.answering.scope import event_days
from retrieval.language.periods import event_day, period_in, round_in
from retrieval.types import Answer, Briefing, Question


def briefing(bid: str, day: date, title: str, text: str) -> Briefing:
    return Briefing(bid, title, text, "test", published=day, url=f"https://example.org/{bid}")


BRIEFINGS = [
    briefing(
        "june-2025",
        date(2025, 6, 2),
        "Second round of talks in Istanbul",
        "Russia proposed a memorandum that would require Ukraine to withdraw from four regions. "
        "Ukraine handed over a list of children it wants returned.",
    ),
    briefing(
        "june-2026-grain",
        date(2026, 6, 12),
        "Wheat prices ease",
        "Wheat futures fell for a third week as harvests began. Traders said export demand "
        "remained steady.",
    ),
    briefing(
        "riyadh",
        date(2025, 3, 24),
        "Black Sea shipping talks in Riyadh",
        "Delegations met in Riyadh on Monday to discuss shipping in the Black Sea. Kyiv called "
        "for a halt to strikes on its ports at the Black Sea shipping talks.",
    ),
    briefing(
        "riyadh-after",
        date(2025, 3, 25),
        "Safe navigation agreed after Riyadh",
        "A day after the Riyadh meeting on Black Sea shipping, both sides agreed to ensure safe "
        "navigation for merchant ships.",
    ),
    briefing(
        "jeddah",
        date(2025, 4, 15),
        "Black Sea shipping talks resume in Jeddah",
        "The delegations on Black Sea shipping met again in Jeddah. Kyiv called for the release "
        "of sailors detained in Crimea.",
    ),
    briefing(
        "muscat",
        date(2025, 5, 20),
        "Envoys meet in Muscat",
        "Envoys on Black Sea shipping met in Muscat on Tuesday. Kyiv asked for a mission to "
        "monitor the ports of Odesa.",
    ),
    briefing(
        "gallery",
        date(2025, 3, 18),
        "In pictures: a month of shelling in Kharkiv",
        "Residents shelter in a basement during shelling of Saltivka on March 4. "
        "A volunteer hands out bread in a square on March 11.",
    ),
    briefing(
        "weekend-drones",
        date(2025, 10, 18),  # a Saturday
        "Drones strike power plant near Kharkiv",
        "Drones struck a thermal power plant near Kharkiv overnight, cutting power to 40,000 "
        "homes.",
    ),
]


@pytest.fixture(scope="module")
def dated(tmp_path_factory: pytest.TempPathFactory, model: Any) -> Iterator[Services]:
    data = tmp_path_factory.mktemp("scope") / "data"
    settings = Settings(_env_file=None, data_dir=data, chroma_host="")  # type: ignore[call-arg]
    services = build_services(settings, model=model)
    list(services.ingester.ingest_many(BRIEFINGS))
    yield services
    services.close()


def ask(
    services: Services, text: str, asked_on: date, policy: AnswerPolicy | None = None
) -> Answer:
    chain = build_answer_chain(services.searcher, policy or services.policy)
    return chain.invoke(Question(text, as_of=asked_on))


def first_from(answer: Answer) -> str:
    assert answer.citations, f"no answer to {answer.question!r}"
    return answer.citations[0].doc_id


THURSDAY = date(2025, 10, 23)


def test_this_week_is_the_past_seven_days_across_a_monday(dated: Services) -> None:
    period = period_in("What did drones hit this week?", THURSDAY)
    assert period is not None and period.start <= date(2025, 10, 18) <= period.end
    last = period_in("What happened last week?", THURSDAY)
    assert last is not None and last.end <= period.start + (period.end - period.start)
    answer = ask(dated, "What did drones hit this week?", THURSDAY)
    assert first_from(answer) == "weekend-drones" and answer.note == ""


def test_a_month_without_a_year_is_the_latest_with_something_on_the_question(
    dated: Services,
) -> None:
    answer = ask(dated, "What did Russia propose in June?", date(2026, 12, 1))
    assert first_from(answer) == "june-2025"  # June 2026 holds only wheat prices
    assert answer.note == "Nothing from June 2026; from June 2025:"
    wheat = ask(dated, "What happened to wheat prices in June?", date(2026, 12, 1))
    assert first_from(wheat) == "june-2026-grain"
    assert wheat.note == "From June 2026:"  # the year chosen is named


def test_a_period_with_nothing_says_so_in_one_line_and_never_hides_the_answer(
    dated: Services,
) -> None:
    answer = ask(dated, "What did Russia propose in March 2026?", date(2026, 12, 1))
    assert not answer.abstained and first_from(answer) == "june-2025"
    assert answer.note.startswith("Nothing from March 2026; from ")
    assert "\n" not in answer.note
    # the same question without the period is answered just the same
    plain = ask(dated, "What did Russia propose?", date(2026, 12, 1))
    assert first_from(plain) == first_from(answer) and plain.note == ""


def test_a_latest_question_reaches_the_newest_briefing_on_the_topic(dated: Services) -> None:
    question = "What is the latest on the Black Sea shipping talks?"
    before = ask(dated, question, date(2025, 9, 1), AnswerPolicy().before_news_over_time())
    answer = ask(dated, question, date(2025, 9, 1))
    assert first_from(before) != "muscat"  # the newest is not the most similar
    assert first_from(answer) == "muscat"


def test_rounds_count_a_story_s_events_in_date_order(dated: Services) -> None:
    assert round_in("What did Kyiv call for at the first meeting?") is not None
    assert round_in("What did Russia propose first?") is None
    assert round_in("What did Russia propose first at the talks?") is None
    named = round_in("What did Kyiv call for at the second Black Sea shipping meeting?")
    assert named is not None and named.number == 2
    asked = date(2025, 9, 1)
    first = ask(dated, "What did Kyiv call for at the first Black Sea shipping meeting?", asked)
    second = ask(dated, "What did Kyiv call for at the second Black Sea shipping meeting?", asked)
    last = ask(dated, "What did Kyiv ask for at the last Black Sea shipping meeting?", asked)
    assert first_from(first) in ("riyadh", "riyadh-after")
    assert first_from(second) == "jeddah"  # the day after Riyadh is the same event
    assert first_from(last) == "muscat"


def test_event_days_count_a_follow_up_with_its_day(dated: Services) -> None:
    found = dated.searcher.search("Black Sea shipping talks", as_of=date(2025, 9, 1), limit=60)
    days = event_days(found, lambda some: relevance(some) >= dated.policy.min_relevance)
    assert date(2025, 3, 25) not in days and date(2025, 3, 24) in days
    assert days == sorted(days)


@pytest.mark.parametrize(
    ("sentence", "published", "day"),
    [
        ("Residents shelter during shelling on March 4.", date(2025, 3, 18), date(2025, 3, 4)),
        ("The talks ended on Monday.", date(2025, 6, 4), date(2025, 6, 2)),  # a Wednesday
        ("The plant was hit yesterday.", date(2025, 6, 4), date(2025, 6, 3)),
        ("The talks ended on 4 June.", date(2025, 6, 4), None),  # the briefing's own day
        ("Prices rose in June.", date(2025, 6, 4), None),  # a month is no day
        ("A strike on 20 December hit the port.", date(2025, 1, 5), date(2024, 12, 20)),
    ],
)
def test_a_sentence_dates_its_own_event_against_its_briefing(
    sentence: str, published: date, day: date | None
) -> None:
    assert event_day(sentence, published) == day


def test_a_caption_is_filed_under_the_day_it_shows(dated: Services) -> None:
    entries = dated.timeline("shelling of Saltivka in Kharkiv", as_of=date(2025, 4, 1))
    [caption] = [e for e in entries if "Saltivka" in e.citation.sentence]
    assert caption.day == date(2025, 3, 4)  # not the gallery's 18 March
    answer = ask(dated, "Where did residents shelter on 4 March?", date(2025, 4, 1))
    assert "Saltivka on March 4" in answer.citations[0].sentence
    assert answer.note == "From 4 March 2025:"  # a day without a year: the year is named


def test_an_older_catalogue_gets_the_days_its_sentences_date(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    from retrieval.index.catalogue import Catalogue
    from tests.retrieval.index.test_catalogue import entry, store, undo_migrations_5_to_8

    path = tmp_path / "catalogue.db"
    catalogue = Catalogue(path)
    item = entry("a", "Talks end", ["The talks ended on Monday.", "Nothing more was said."])
    store(catalogue, item)
    published = item.record.published
    catalogue.close()
    with sqlite3.connect(path) as db:  # the file as the version before event days left it
        undo_migrations_5_to_8(db)
        db.execute("ALTER TABLE sentences DROP COLUMN event")
        db.execute("PRAGMA user_version = 3")
    reopened = Catalogue(path)
    [ended, more] = reopened.sentences_of("a")
    assert published is not None and ended.sentence.event == event_day(
        ended.sentence.text, published
    )
    assert ended.sentence.event is not None and more.sentence.event is None
    reopened.close()


def test_a_party_named_otherwise_than_the_briefings_write_it_is_still_covered(
    dated: Services,
) -> None:
    # the briefing writes "Russia"; the question says "Moscow": its term is held all the same
    answer = ask(dated, "What did Moscow propose in June?", date(2026, 12, 1))
    assert not answer.abstained and first_from(answer) == "june-2025"


def test_a_round_the_briefings_number_themselves_is_searched_as_asked(dated: Services) -> None:
    # "Second round of talks in Istanbul" numbers itself: its story's second event (Riyadh's
    # follow-up or Jeddah) is not what is asked
    answer = ask(dated, "What did Russia propose in the second round?", date(2025, 9, 1))
    assert first_from(answer) == "june-2025"


def test_last_week_with_nothing_looks_at_the_week_around_it(dated: Services) -> None:
    monday = date(2025, 11, 3)  # "last week" is 19-27 October; the story is of the 18th
    answer = ask(dated, "What did drones hit last week?", monday)
    assert first_from(answer) == "weekend-drones"
    assert answer.note == "Nothing from last week; from the days around it:"


def test_the_same_caption_on_two_dates_is_one_timeline_entry_at_its_first(
    dated: Services,
) -> None:
    repeat = briefing(
        "gallery-again",
        date(2025, 3, 30),
        "More pictures from Kharkiv",
        "Residents shelter in a basement during the shelling of Saltivka.",  # no date: 30 March
    )
    list(dated.ingester.ingest_many([repeat]))
    try:
        entries = dated.timeline("shelling of Saltivka in Kharkiv", as_of=date(2025, 4, 1))
        shown = [e for e in entries if "Saltivka" in e.citation.sentence]
        assert len(shown) == 1 and shown[0].day == date(2025, 3, 4)
        assert {shown[0].citation.doc_id, *(a.doc_id for a in shown[0].also)} == {
            "gallery",
            "gallery-again",
        }
    finally:
        dated.store.remove("gallery-again")


def test_a_capped_timeline_keeps_the_most_relevant_entries_not_the_newest(
    dated: Services,
) -> None:
    from retrieval.answering.timeline import timeline

    topic = "Black Sea shipping talks in Riyadh"
    full = timeline(dated.searcher, topic, as_of=date(2025, 9, 1))
    [kept] = timeline(dated.searcher, topic, as_of=date(2025, 9, 1), limit=1)
    assert len(full) >= 2
    assert kept.citation.score == max(e.citation.score for e in full)
    assert kept.day != max(e.day for e in full)  # the newest is not the most relevant
