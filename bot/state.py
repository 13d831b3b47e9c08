"""The bot's own small state, in SQLite at DATA_DIR/state.db.

Today: the questions behind answers, so that an inline "More sources" button (whose callback data
holds only a short id) still works after a restart, and each chat's previous question for
follow-ups. Schema changes are numbered migrations, applied in order and recorded in SQLite's
`user_version`; add `m002_…` to MIGRATIONS, never edit one that has shipped.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

KEEP_QUESTIONS = 10_000  # older questions are pruned; their buttons then say "ask again"


def m001_questions(db: sqlite3.Connection) -> None:
    """Questions as typed and as asked (with follow-up context), by chat."""
    db.execute(
        """
        CREATE TABLE questions (
            id       TEXT PRIMARY KEY,  -- derived from chat and question: see question_id()
            chat_id  INTEGER NOT NULL,
            text     TEXT NOT NULL,     -- as the user typed it
            asked    TEXT NOT NULL,     -- as sent to the answer chain
            root     TEXT NOT NULL,     -- the question a follow-up thread started with
            asked_at REAL NOT NULL      -- unix time
        )
        """
    )
    db.execute("CREATE INDEX questions_by_chat ON questions (chat_id, asked_at)")


MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (m001_questions,)


def question_id(chat_id: int, asked: str) -> str:
    """A short, stable id (16 hex digits): the same question in the same chat gets the same id."""
    return hashlib.sha256(f"{chat_id}\x1f{asked}".encode()).hexdigest()[:16]


@dataclass(frozen=True)
class AskedQuestion:
    """A question the bot answered."""

    id: str
    chat_id: int
    text: str
    asked: str
    root: str
    asked_at: float


class BotState:
    """The state database; safe to use from the event loop and from worker threads."""

    def __init__(self, path: Path, *, keep: int = KEEP_QUESTIONS) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.keep = keep
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self.migrate()

    def migrate(self) -> int:
        """Apply the migrations this file has not seen yet; returns the schema version."""
        with self._lock:
            version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
            for number, migration in enumerate(MIGRATIONS[version:], start=version + 1):
                self._db.execute("BEGIN")
                try:
                    migration(self._db)
                    self._db.execute(f"PRAGMA user_version = {number}")
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
                version = number
            return version

    def remember(
        self, chat_id: int, text: str, asked: str, root: str, *, now: float | None = None
    ) -> AskedQuestion:
        """Record a question (again: the same id is refreshed) and prune the oldest ones."""
        question = AskedQuestion(
            id=question_id(chat_id, asked),
            chat_id=chat_id,
            text=text,
            asked=asked,
            root=root,
            asked_at=time.time() if now is None else now,
        )
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO questions VALUES (?, ?, ?, ?, ?, ?)",
                (question.id, chat_id, text, asked, root, question.asked_at),
            )
            self._db.execute(
                "DELETE FROM questions WHERE id NOT IN "
                "(SELECT id FROM questions ORDER BY asked_at DESC LIMIT ?)",
                (self.keep,),
            )
        return question

    def question(self, qid: str) -> AskedQuestion | None:
        """The question with this id, if still kept."""
        return self._one("SELECT * FROM questions WHERE id = ?", (qid,))

    def last_question(self, chat_id: int) -> AskedQuestion | None:
        """The chat's most recent question."""
        return self._one(
            "SELECT * FROM questions WHERE chat_id = ? ORDER BY asked_at DESC LIMIT 1", (chat_id,)
        )

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def _one(self, sql: str, params: tuple[object, ...]) -> AskedQuestion | None:
        with self._lock:
            row = self._db.execute(sql, params).fetchone()
        return AskedQuestion(*row) if row else None
