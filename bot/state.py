"""The bot's own small state, in SQLite at DATA_DIR/state.db.

The questions behind answers, so that an inline "More sources" button (whose callback data
holds only a short id) still works after a restart, and each chat's previous question for
follow-ups; followed topics, alerts sent and feeds (bot/subscriptions.py, bot/feeds_job.py).
Several processes may open it (the bot and `briefbot follow`): WAL mode, short transactions.
Schema changes are numbered migrations, applied in order and recorded in SQLite's
`user_version`; add `m002_…` to MIGRATIONS, never edit one that has shipped.
"""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


def m002_alerts(db: sqlite3.Connection) -> None:
    """Followed topics, briefing versions already considered, alerts sent, chats given up on."""
    db.execute(
        """
        CREATE TABLE subscriptions (
            id         INTEGER PRIMARY KEY AUTOINCREMENT,
            chat_id    INTEGER NOT NULL,
            topic      TEXT NOT NULL,     -- as typed: "peace talks +Istanbul"
            created_at TEXT NOT NULL,     -- UTC ISO time; older briefings never alert
            UNIQUE (chat_id, topic)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE seen_briefings (     -- versions the alert scan has finished with
            briefing_id TEXT NOT NULL,
            version     TEXT NOT NULL,
            seen_at     REAL NOT NULL,
            PRIMARY KEY (briefing_id, version)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE alerts (
            chat_id     INTEGER NOT NULL,
            briefing_id TEXT NOT NULL,
            topic       TEXT NOT NULL,
            story       BLOB NOT NULL,    -- float32 unit vector: near-duplicates do not re-alert
            message_id  INTEGER,
            sent_at     REAL NOT NULL,
            PRIMARY KEY (chat_id, briefing_id)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE disabled_chats (     -- blocked the bot or gone: no more alerts
            chat_id     INTEGER PRIMARY KEY,
            reason      TEXT NOT NULL,
            disabled_at REAL NOT NULL
        )
        """
    )


def m003_feeds(db: sqlite3.Connection) -> None:
    """RSS/Atom feeds with their conditional-GET validators and back-off, and items seen."""
    db.execute(
        """
        CREATE TABLE feeds (
            id            INTEGER PRIMARY KEY AUTOINCREMENT,
            url           TEXT NOT NULL UNIQUE,
            chat_id       INTEGER,            -- who added it (told once when it breaks)
            title         TEXT NOT NULL DEFAULT '',
            etag          TEXT NOT NULL DEFAULT '',
            last_modified TEXT NOT NULL DEFAULT '',
            failures      INTEGER NOT NULL DEFAULT 0,
            next_poll     REAL NOT NULL DEFAULT 0,
            last_error    TEXT NOT NULL DEFAULT '',
            reported      INTEGER NOT NULL DEFAULT 0,  -- the breakage was reported
            added_at      REAL NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE feed_items (
            feed_id INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
            item_id TEXT NOT NULL,
            seen_at REAL NOT NULL,
            PRIMARY KEY (feed_id, item_id)
        )
        """
    )


MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    m001_questions,
    m002_alerts,
    m003_feeds,
)


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
        # The CLI (`briefbot follow`, `feed add`) writes while the bot runs: wait for its lock.
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA foreign_keys=ON")
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

    def rows(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        """Run one statement (its own transaction) and return its rows."""
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """The connection inside BEGIN IMMEDIATE … COMMIT (ROLLBACK on error), under the lock."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def _one(self, sql: str, params: tuple[object, ...]) -> AskedQuestion | None:
        with self._lock:
            row = self._db.execute(sql, params).fetchone()
        return AskedQuestion(*row) if row else None
