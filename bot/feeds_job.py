"""Feeds the bot reads: their rows in state.db, and polling them (blocking; run off the loop).

Each poll is a conditional GET (ETag / Last-Modified from the previous answer). Every item not
seen before is fetched (its page; the feed's summary when the page cannot be read) and ingested
through the normal pipeline, then marked seen, so the alerts follow as for any other briefing
and a crash at worst re-ingests an unchanged item. A feed that fails waits twice as long after
each failure (up to MAX_BACKOFF) and its breakage is reported once to the chat that added it;
one broken feed never stops the others.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from bot.state import BotState
from ingest.feeds import fetch_feed, item_briefing
from ingest.fetch import UrlFetcher
from ingest.pipeline import Ingester
from retrieval.errors import BriefbotError, StoreError

log = logging.getLogger(__name__)

MAX_BACKOFF = 24 * 3600.0  # seconds: a broken feed is still tried once a day
_COLUMNS = "id, url, chat_id, title, etag, last_modified, failures, next_poll, last_error, reported"


@dataclass(frozen=True)
class FeedRow:
    """A feed as state.db holds it."""

    id: int
    url: str
    chat_id: int | None
    title: str
    etag: str
    last_modified: str
    failures: int
    next_poll: float
    last_error: str
    reported: bool


@dataclass(frozen=True)
class PollOutcome:
    """What one poll of one feed did; `report` is set when its chat must be told it broke."""

    feed: FeedRow
    added: int = 0
    not_modified: bool = False
    error: str = ""
    report: bool = False


def add_feed(state: BotState, url: str, chat_id: int | None) -> tuple[FeedRow, bool]:
    """Start reading a feed (polled at once); returns it and whether it is new."""
    with state.transaction() as db:
        cursor = db.execute(
            "INSERT OR IGNORE INTO feeds (url, chat_id, added_at) VALUES (?, ?, ?)",
            (url, chat_id, time.time()),
        )
        created = cursor.rowcount == 1
        row = db.execute(f"SELECT {_COLUMNS} FROM feeds WHERE url = ?", (url,)).fetchone()
    return FeedRow(*row), created


def list_feeds(state: BotState) -> list[FeedRow]:
    """Every feed, in the order added (numbered from 1 for `remove N`)."""
    return [FeedRow(*r) for r in state.rows(f"SELECT {_COLUMNS} FROM feeds ORDER BY id")]


def remove_feed(state: BotState, number: int) -> FeedRow | None:
    """Stop reading feed number `number` (as listed); its seen items go with it."""
    feeds = list_feeds(state)
    if not 1 <= number <= len(feeds):
        return None
    state.rows("DELETE FROM feeds WHERE id = ?", (feeds[number - 1].id,))
    return feeds[number - 1]


def poll_due(
    state: BotState,
    ingester: Ingester,
    fetcher: UrlFetcher,
    interval: float,
    *,
    now: float | None = None,
    every: bool = False,
) -> list[PollOutcome]:
    """Poll every feed whose time has come (all of them with `every`)."""
    now = time.time() if now is None else now
    due = [f for f in list_feeds(state) if every or f.next_poll <= now]
    return [poll_feed(state, ingester, fetcher, feed, interval, now=now) for feed in due]


def poll_feed(
    state: BotState,
    ingester: Ingester,
    fetcher: UrlFetcher,
    feed: FeedRow,
    interval: float,
    *,
    now: float | None = None,
) -> PollOutcome:
    """Poll one feed: ingest its new items, record validators, back off on failure."""
    now = time.time() if now is None else now
    try:
        fetched = fetch_feed(feed.url, fetcher, etag=feed.etag, last_modified=feed.last_modified)
    except BriefbotError as e:
        return _failed(state, feed, str(e), interval, now)
    added = 0
    if not fetched.not_modified:
        seen = {
            r[0] for r in state.rows("SELECT item_id FROM feed_items WHERE feed_id = ?", (feed.id,))
        }
        for item in fetched.items:
            if item.id in seen:
                continue
            try:
                result = ingester.ingest(item_briefing(item, fetcher, feed.url))
                added += result.status in ("added", "updated")
            except StoreError:
                raise  # the store is down: the item stays unseen and is tried next time
            except BriefbotError as e:
                log.warning("feed %d: an item could not be ingested: %s", feed.id, e)
            state.rows(
                "INSERT OR IGNORE INTO feed_items VALUES (?, ?, ?)", (feed.id, item.id, time.time())
            )
    state.rows(
        "UPDATE feeds SET title = COALESCE(NULLIF(?, ''), title), etag = ?, last_modified = ?, "
        "failures = 0, next_poll = ?, last_error = '', reported = 0 WHERE id = ?",
        (fetched.title, fetched.etag, fetched.last_modified, now + interval, feed.id),
    )
    log.info("feed %d polled: %s, %d new", feed.id, "304" if fetched.not_modified else "200", added)
    return PollOutcome(feed, added=added, not_modified=fetched.not_modified)


def _failed(state: BotState, feed: FeedRow, error: str, interval: float, now: float) -> PollOutcome:
    failures = feed.failures + 1
    wait = min(interval * 2 ** (failures - 1), MAX_BACKOFF)
    report = not feed.reported and feed.chat_id is not None
    state.rows(
        "UPDATE feeds SET failures = ?, next_poll = ?, last_error = ?, reported = 1 WHERE id = ?",
        (failures, now + wait, error, feed.id),
    )
    log.warning(
        "feed %d failed (%d in a row; next try in %.0f s): %s", feed.id, failures, wait, error
    )
    return PollOutcome(feed, error=error, report=report)
