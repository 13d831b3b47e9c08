"""Feeds: one row per URL with its conditional-GET validators and back-off, the chats that read
it (a chat sees and removes only its own), and the items already seen."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from bot.state.database import BotState
from ingest.identity import feed_url

_COLUMNS = (
    "f.id, f.url, f.title, f.etag, f.last_modified, f.failures, f.next_poll, f.last_error, "
    "f.reported, f.from_cli, "
    "(SELECT group_concat(c.chat_id) FROM feed_chats c WHERE c.feed_id = f.id)"
)


@dataclass(frozen=True)
class FeedRow:
    """A feed as state.db holds it; `chats` are the chats that added it."""

    id: int
    url: str
    title: str
    etag: str
    last_modified: str
    failures: int
    next_poll: float
    last_error: str
    reported: bool
    from_cli: bool
    chats: tuple[int, ...]


def _feed(row: tuple[Any, ...]) -> FeedRow:
    fid, url, title, etag, modified, failures, next_poll, error, reported, cli, chats = row
    ids = tuple(sorted(int(c) for c in str(chats).split(","))) if chats else ()
    return FeedRow(
        fid, url, title, etag, modified, failures, next_poll, error, bool(reported), bool(cli), ids
    )


def add_feed(state: BotState, url: str, chat_id: int | None) -> tuple[FeedRow, bool]:
    """Read a feed for a chat (or for the command line, chat_id None); polled at once when new.

    Returns the feed and whether it is new for that chat (or for the command line). The URL is
    kept in canonical form, so `HTTP://Host/feed#top` is the feed `http://host/feed`.
    """
    url = feed_url(url)
    now = time.time()
    with state.transaction() as db:
        db.execute("INSERT OR IGNORE INTO feeds (url, added_at) VALUES (?, ?)", (url, now))
        (feed_id,) = db.execute("SELECT id FROM feeds WHERE url = ?", (url,)).fetchone()
        if chat_id is None:
            created = (
                db.execute(
                    "UPDATE feeds SET from_cli = 1 WHERE id = ? AND from_cli = 0", (feed_id,)
                ).rowcount
                == 1
            )
        else:
            created = (
                db.execute(
                    "INSERT OR IGNORE INTO feed_chats VALUES (?, ?, ?)", (feed_id, chat_id, now)
                ).rowcount
                == 1
            )
        row = db.execute(f"SELECT {_COLUMNS} FROM feeds f WHERE f.id = ?", (feed_id,)).fetchone()
    return _feed(row), created


def feed(state: BotState, feed_id: int) -> FeedRow | None:
    """One feed by id."""
    rows = state.rows(f"SELECT {_COLUMNS} FROM feeds f WHERE f.id = ?", (feed_id,))
    return _feed(rows[0]) if rows else None


def all_feeds(state: BotState) -> list[FeedRow]:
    """Every feed, in the order added (numbered from 1 for `briefbot feed remove N`)."""
    return [_feed(r) for r in state.rows(f"SELECT {_COLUMNS} FROM feeds f ORDER BY f.id")]


def chat_feeds(state: BotState, chat_id: int) -> list[FeedRow]:
    """The feeds a chat added, in the order it added them (numbered for /feed remove N)."""
    rows = state.rows(
        f"SELECT {_COLUMNS} FROM feeds f JOIN feed_chats fc ON fc.feed_id = f.id "
        "WHERE fc.chat_id = ? ORDER BY fc.added_at, f.id",
        (chat_id,),
    )
    return [_feed(r) for r in rows]


def due_feeds(state: BotState, now: float) -> list[FeedRow]:
    """Feeds whose next poll has come."""
    rows = state.rows(
        f"SELECT {_COLUMNS} FROM feeds f WHERE f.next_poll <= ? ORDER BY f.id", (now,)
    )
    return [_feed(r) for r in rows]


def remove_chat_feed(state: BotState, chat_id: int, number: int) -> FeedRow | None:
    """The chat stops reading its feed number `number`; a feed nobody reads any more is deleted
    with its seen items."""
    feeds = chat_feeds(state, chat_id)
    if not 1 <= number <= len(feeds):
        return None
    gone = feeds[number - 1]
    with state.transaction() as db:
        db.execute("DELETE FROM feed_chats WHERE feed_id = ? AND chat_id = ?", (gone.id, chat_id))
        db.execute(
            "DELETE FROM feeds WHERE id = ? AND from_cli = 0 AND NOT EXISTS "
            "(SELECT 1 FROM feed_chats WHERE feed_id = ?)",
            (gone.id, gone.id),
        )
    return gone


def remove_feed(state: BotState, number: int) -> FeedRow | None:
    """Stop reading feed number `number` of all_feeds, for every chat (the command line's
    removal); its seen items go with it."""
    feeds = all_feeds(state)
    if not 1 <= number <= len(feeds):
        return None
    state.rows("DELETE FROM feeds WHERE id = ?", (feeds[number - 1].id,))
    return feeds[number - 1]


def seen_items(state: BotState, feed_id: int) -> set[str]:
    """Ids of the feed's items already ingested."""
    return {
        r[0] for r in state.rows("SELECT item_id FROM feed_items WHERE feed_id = ?", (feed_id,))
    }


def mark_item_seen(state: BotState, feed_id: int, item_id: str) -> None:
    """Remember an item as ingested (a feed removed meanwhile takes nothing)."""
    state.rows(
        "INSERT OR IGNORE INTO feed_items SELECT id, ?, ? FROM feeds WHERE id = ?",
        (item_id, time.time(), feed_id),
    )


def record_success(
    state: BotState, feed_id: int, *, title: str, etag: str, last_modified: str, next_poll: float
) -> None:
    """A poll worked: keep the validators, clear the failures, schedule the next poll."""
    state.rows(
        "UPDATE feeds SET title = COALESCE(NULLIF(?, ''), title), etag = ?, last_modified = ?, "
        "failures = 0, next_poll = ?, last_error = '', reported = 0 WHERE id = ?",
        (title, etag, last_modified, next_poll, feed_id),
    )


def record_failure(
    state: BotState, feed_id: int, *, failures: int, next_poll: float, error: str
) -> None:
    """A poll failed: count it, back off, and mark the breakage as reported."""
    state.rows(
        "UPDATE feeds SET failures = ?, next_poll = ?, last_error = ?, reported = 1 WHERE id = ?",
        (failures, next_poll, error, feed_id),
    )
