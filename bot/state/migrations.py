"""The schema of state.db as numbered migrations: append new ones, never edit one that shipped."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable


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
            chat_id       INTEGER,            -- who added it (replaced by feed_chats in m004)
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


def m004_feed_chats(db: sqlite3.Connection) -> None:
    """Feeds belong to the chats that added them: one feed row per URL, read once for all of
    them; a chat lists and removes only its own. `from_cli` keeps a feed added on the command
    line (which belongs to no chat) read until the command line removes it."""
    db.execute(
        """
        CREATE TABLE feed_chats (
            feed_id  INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
            chat_id  INTEGER NOT NULL,
            added_at REAL NOT NULL,
            PRIMARY KEY (feed_id, chat_id)
        )
        """
    )
    db.execute("ALTER TABLE feeds ADD COLUMN from_cli INTEGER NOT NULL DEFAULT 0")
    db.execute(
        "INSERT INTO feed_chats SELECT id, chat_id, added_at FROM feeds WHERE chat_id IS NOT NULL"
    )
    db.execute("UPDATE feeds SET from_cli = 1 WHERE chat_id IS NULL")


def m005_shown_citations(db: sqlite3.Connection) -> None:
    """The citations an answer showed, so "More sources" never shows one of them again."""
    db.execute("ALTER TABLE questions ADD COLUMN shown TEXT NOT NULL DEFAULT ''")


def m006_alert_progress(db: sqlite3.Connection) -> None:
    """How far the alert scan has read the store's commits: it reads only what is newer."""
    db.execute("CREATE TABLE alert_progress (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER)")
    db.execute("INSERT INTO alert_progress VALUES (1, 0)")


def m007_digests(db: sqlite3.Connection) -> None:
    """Daily digests: a chat's hour, the last day one was sent and how far it read the store."""
    db.execute(
        "CREATE TABLE digests (chat_id INTEGER PRIMARY KEY, at TEXT NOT NULL, "
        "last_day TEXT NOT NULL DEFAULT '', through INTEGER NOT NULL DEFAULT 0)"
    )


MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    m001_questions,
    m002_alerts,
    m003_feeds,
    m004_feed_chats,
    m005_shown_citations,
    m006_alert_progress,
    m007_digests,
)
