"""The state database: one SQLite connection shared by the event loop's helpers and workers.

Several processes may open it (the bot and `briefbot follow` or `briefbot feed add`): WAL
mode, short transactions, and a busy timeout so that one waits for the other's lock. Schema
changes are numbered migrations (bot/state/migrations.py), applied in order and recorded in
SQLite's `user_version` by the runner the catalogue uses too (retrieval/index/sqlite.py).
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bot.state.migrations import MIGRATIONS
from retrieval.index.sqlite import migrate, use_write_ahead_log, write_transaction

STATE_FILE = "state.db"


class BotState:
    """The state database; safe to use from worker threads (one statement at a time)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        use_write_ahead_log(self._db, wait=30)
        self._db.execute("PRAGMA foreign_keys=ON")
        self.migrate()

    def migrate(self) -> int:
        """Apply the migrations this file has not seen yet; returns the schema version."""
        with self._lock:
            return migrate(self._db, MIGRATIONS)

    def rows(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        """Run one statement (its own transaction) and return its rows."""
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """The connection inside BEGIN IMMEDIATE … COMMIT (ROLLBACK on error), under the lock."""
        with self._lock, write_transaction(self._db) as db:
            yield db

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()
