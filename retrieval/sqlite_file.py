"""What every SQLite file briefbot shares between processes needs when it is opened."""

from __future__ import annotations

import sqlite3
import time


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
