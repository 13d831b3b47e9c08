"""state.db: numbered migrations, and the questions behind answers under a short stable id."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.state.database import BotState
from bot.state.migrations import MIGRATIONS
from bot.state.questions import (
    forget_old_questions,
    last_question,
    mark_shown,
    question,
    question_id,
    remember,
)
from tests.at_once import at_once


def test_processes_opening_a_new_state_file_at_once_all_get_it(tmp_path: Path) -> None:
    # The bot and `briefbot follow` may start together: the second opener got "database is
    # locked" from the switch to WAL, or applied a migration the first had just applied.
    for attempt in range(100):  # the window is narrow
        path = tmp_path / f"state-{attempt}.db"
        opened, errors = at_once(lambda: BotState(path), 2)  # noqa: B023
        assert errors == []
        assert [state.migrate() for state in opened] == [len(MIGRATIONS)] * 2
        for state in opened:
            state.close()


def test_migrations_run_once_and_record_the_version(tmp_path: Path) -> None:
    path = tmp_path / "data" / "state.db"
    state = BotState(path)
    assert state.migrate() == len(MIGRATIONS)
    state.close()
    reopened = BotState(path)  # nothing left to apply; the table is not created twice
    assert reopened.migrate() == len(MIGRATIONS)
    reopened.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)


def test_questions_survive_a_restart_under_a_short_stable_id(tmp_path: Path) -> None:
    state = BotState(tmp_path / "state.db")
    asked = remember(state, 42, "and Ukraine?", "and Ukraine? (Russia)", "What did Russia do?")
    state.close()
    state = BotState(tmp_path / "state.db")
    assert question(state, asked.id) == asked
    assert asked.id == question_id(42, "and Ukraine? (Russia)") and len(asked.id) == 16
    assert question_id(43, "and Ukraine? (Russia)") != asked.id  # chats never share an id
    assert question(state, "0" * 16) is None
    state.close()


def test_the_citations_shown_are_kept_in_order_without_repeats(tmp_path: Path) -> None:
    state = BotState(tmp_path / "state.db")
    asked = remember(state, 1, "q", "q", "q", ["a:s1", "a:s4"])
    mark_shown(state, asked.id, ["b:s2", "a:s4", "c:s0"])
    kept = question(state, asked.id)
    assert kept is not None and kept.shown == ("a:s1", "a:s4", "b:s2", "c:s0")
    state.close()


def test_the_last_question_is_per_chat_and_old_ones_are_pruned(tmp_path: Path) -> None:
    state = BotState(tmp_path / "state.db")
    for n in range(5):
        remember(state, 1, f"q{n}", f"q{n}", f"q{n}", now=100.0 + n, keep=3)
    remember(state, 2, "other", "other", "other", now=50.0, keep=3)  # oldest of all: pruned
    last = last_question(state, 1)
    assert last is not None and last.text == "q4"
    assert last_question(state, 2) is None
    assert question(state, question_id(1, "q1")) is None
    state.close()


def test_question_text_is_kept_no_longer_than_the_retention(tmp_path: Path) -> None:
    state = BotState(tmp_path / "state.db")
    day = 86_400.0
    remember(state, 1, "old", "old", "old", now=0.0)
    remember(state, 2, "recent", "recent", "recent", now=20 * day)
    # A question 31 days after the first prunes it by age; the recent one stays.
    remember(state, 3, "new", "new", "new", now=31 * day, keep_days=30)
    assert question(state, question_id(1, "old")) is None
    assert question(state, question_id(2, "recent")) is not None
    # At start-up, with no new question, the retention still applies.
    assert forget_old_questions(state, 30, now=51 * day) == 1
    assert question(state, question_id(2, "recent")) is None
    assert question(state, question_id(3, "new")) is not None
    state.close()
