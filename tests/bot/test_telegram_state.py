"""The bot's SQLite state (numbered migrations, questions by short id) and its access rules."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.access import Access, parse_ids
from bot.settings import Settings
from bot.state import MIGRATIONS, BotState, question_id
from retrieval.errors import BriefbotError


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
    asked = state.remember(42, "and Ukraine?", "and Ukraine? (Russia)", "What did Russia do?")
    state.close()
    state = BotState(tmp_path / "state.db")
    assert state.question(asked.id) == asked
    assert asked.id == question_id(42, "and Ukraine? (Russia)") and len(asked.id) == 16
    assert question_id(43, "and Ukraine? (Russia)") != asked.id  # chats never share an id
    assert state.question("0" * 16) is None
    state.close()


def test_the_last_question_is_per_chat_and_old_ones_are_pruned(tmp_path: Path) -> None:
    state = BotState(tmp_path / "state.db", keep=3)
    for n in range(5):
        state.remember(1, f"q{n}", f"q{n}", f"q{n}", now=100.0 + n)
    state.remember(2, "other", "other", "other", now=50.0)  # oldest of all: pruned
    last = state.last_question(1)
    assert last is not None and last.text == "q4"
    assert state.last_question(2) is None
    assert state.question(question_id(1, "q1")) is None
    state.close()


def test_access_is_open_by_default() -> None:
    access = Access()
    assert access.chat_allowed(-100123) and access.is_admin(7) and access.first_admin is None


def test_access_limits_chats_and_admins() -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        allowed_chat_ids="-1001, 55",
        admin_user_ids="9,8",
    )
    access = Access.from_settings(settings)
    assert access.chat_allowed(-1001) and access.chat_allowed(55)
    assert not access.chat_allowed(56, 56)
    assert access.chat_allowed(9, 9)  # an admin's private chat
    assert not access.chat_allowed(-1002, 9)  # but not any group an admin is in
    assert access.is_admin(8) and not access.is_admin(55) and not access.is_admin(None)
    assert access.first_admin == 9


def test_bad_ids_name_the_setting() -> None:
    with pytest.raises(BriefbotError, match="ADMIN_USER_IDS .*'@alice' is not one"):
        parse_ids("12,@alice", "ADMIN_USER_IDS")
