"""SQLite as briefbot uses it for files shared between processes (the catalogue, state.db):
WAL mode, write transactions that wait for each other, and numbered migrations."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence

Migration = Callable[[sqlite3.Connection], None]


def use_write_ahead_log(db: sqlite3.Connection, wait: float) -> None:
    """Put the file in WAL mode, retrying for up to `wait` seconds.

    Switching needs the file to itself and SQLite does not wait for that (its busy timeout
    does not cover it), so two processes opening a new file at once saw "database is locked".
    Raises sqlite3.OperationalError when the file stays locked.
    """
    deadline = time.monotonic() + wait
    while True:
        try:
            if db.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                raise
        time.sleep(0.05)


@contextlib.contextmanager
def write_transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE … COMMIT, ROLLBACK on any error (the connection is in autocommit mode:
    isolation_level=None). BEGIN IMMEDIATE takes the write lock at once, so two writers wait
    for each other instead of failing when one upgrades a read."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def migrate(db: sqlite3.Connection, migrations: Sequence[Migration]) -> int:
    """Apply the migrations the file has not had, in order; returns its schema version.

    The version (SQLite's user_version) is read inside the write transaction: two processes
    opening an old file at once must not both apply the same migration.
    """
    with write_transaction(db):
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        for number, migration in enumerate(migrations[version:], start=version + 1):
            migration(db)
            db.execute(f"PRAGMA user_version = {number}")
            version = number
    return version
