"""The daily digest: what it lists, when it is due (a controllable clock, no sleeps), never twice
a day, nothing on a day with nothing new, and a restart in between."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bot.alerts.digest import compose, due, parse_hour
from bot.alerts.topics import follow
from bot.services import Services, build_services
from bot.settings import Settings
from bot.state.database import BotState
from bot.state.digests import digest_of, set_digest
from tests.bot.alerts.alert_examples import briefing

CHAT = -100200
TALKS = "peace talks between Russia and Ukraine"


@pytest.fixture
def services(tmp_path: Path, model: Any) -> Iterator[Services]:
    settings = Settings(_env_file=None, data_dir=tmp_path / "data", chroma_host="")  # type: ignore[call-arg]
    built = build_services(settings, model=model)
    yield built
    built.close()


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 6, day, hour, minute)


@pytest.mark.parametrize(
    ("text", "hour"),
    [("8:00", "08:00"), ("08.30", "08:30"), ("21h15", "21:15"), ("24:00", None), ("8", None)],
)
def test_the_hour_of_a_digest(text: str, hour: str | None) -> None:
    assert parse_hour(text) == hour


def test_a_digest_lists_each_new_story_once_per_topic_with_one_cited_sentence(
    services: Services,
) -> None:
    list(services.ingester.ingest_many([briefing("geneva-talks")]))  # before: not in it
    follow(services.state, CHAT, TALKS)
    follow(services.state, CHAT, "central bank interest rates")
    since = services.store.catalogue.newest_commit()
    new = ["istanbul-a", "istanbul-b", "vatican-mediation", "ecb-rates", "apricot-frost"]
    list(services.ingester.ingest_many([briefing(key) for key in new]))

    digest = compose(services.store, services.state, CHAT, since)

    texts = {briefing(key).id: briefing(key).text for key in new}
    by_topic: dict[str, list[str]] = {}
    for line in digest.lines:
        by_topic.setdefault(line.topic, []).append(line.citation.doc_id)
        assert line.citation.sentence in texts[line.citation.doc_id]  # cited verbatim
    # the two outlets' Istanbul reports are one story; the Vatican one is another
    assert len(by_topic[TALKS]) == 2
    assert by_topic["central bank interest rates"] == [briefing("ecb-rates").id]
    assert briefing("apricot-frost").id not in str(by_topic)
    assert digest.through == services.store.catalogue.newest_commit()


def test_a_digest_is_due_at_its_hour_once_a_day_and_survives_a_restart(
    services: Services, tmp_path: Path
) -> None:
    state, store = services.state, services.store
    follow(state, CHAT, TALKS)
    set_digest(state, CHAT, "08:00", store.catalogue.newest_commit(), at(2, 7, 0))
    list(services.ingester.ingest_many([briefing("istanbul-a")]))

    assert due(store, state, at(2, 7, 59)) == []  # not yet
    [first] = due(store, state, at(2, 8, 0))
    assert [line.citation.doc_id for line in first.lines] == [briefing("istanbul-a").id]
    assert due(store, state, at(2, 8, 1)) == []  # never twice in one day
    assert due(store, state, at(2, 23, 59)) == []

    reopened = BotState(state.path)  # a restart: a new connection, the same file
    try:
        assert due(store, reopened, at(2, 9, 0)) == []  # still done for the day
        [empty] = due(store, reopened, at(3, 8, 0))  # the next day: nothing new
        assert empty.lines == ()  # so nothing is sent
        list(services.ingester.ingest_many([briefing("vatican-mediation")]))
        [third] = due(store, reopened, at(4, 8, 30))  # a late check still sends that day's
        assert [line.citation.doc_id for line in third.lines] == [briefing("vatican-mediation").id]
        row = digest_of(reopened, CHAT)
        assert row is not None and row.last_day == "2025-06-04"
    finally:
        reopened.close()


def test_a_digest_set_after_its_hour_first_runs_the_next_day(services: Services) -> None:
    state, store = services.state, services.store
    follow(state, CHAT, TALKS)
    set_digest(state, CHAT, "08:00", store.catalogue.newest_commit(), at(2, 20, 15))
    list(services.ingester.ingest_many([briefing("istanbul-a")]))  # the same evening
    assert due(store, state, at(2, 20, 16)) == []  # not within the minute
    assert due(store, state, at(2, 23, 59)) == []
    [first] = due(store, state, at(3, 8, 0))  # its next hour
    assert [line.citation.doc_id for line in first.lines] == [briefing("istanbul-a").id]
    set_digest(state, CHAT, "07:00", store.catalogue.newest_commit(), at(3, 7, 30))
    assert due(store, state, at(3, 9, 0)) == []  # a new hour that has passed: tomorrow


def test_a_preview_shows_the_next_digest_and_marks_nothing_as_sent(services: Services) -> None:
    from bot.alerts.digest import preview

    state, store = services.state, services.store
    assert preview(store, state, CHAT) is None  # no digest set
    follow(state, CHAT, TALKS)
    set_digest(state, CHAT, "08:00", store.catalogue.newest_commit(), at(2, 6, 0))
    nothing = preview(store, state, CHAT)
    assert nothing is not None and nothing.lines == ()
    list(services.ingester.ingest_many([briefing("istanbul-a")]))
    shown = preview(store, state, CHAT)
    assert shown is not None
    assert [line.citation.doc_id for line in shown.lines] == [briefing("istanbul-a").id]
    assert preview(store, state, CHAT) == shown  # previewing twice changes nothing
    [sent] = due(store, state, at(2, 8, 0))  # the digest itself still comes at its hour
    assert sent.lines == shown.lines
