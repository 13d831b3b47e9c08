"""Polling feeds (blocking; the bot runs it in a worker thread, `briefbot feed poll` directly).

Each poll is a conditional GET (ETag / Last-Modified from the previous answer). Every item not
seen before is fetched (its page; the feed's summary when the page cannot be read) and ingested
through the normal pipeline, then marked seen, so the alerts follow as for any other briefing
and a crash at worst re-ingests an unchanged item. A feed that fails for any reason, a bug
included, waits twice as long after each failure (up to MAX_BACKOFF) and its breakage is
reported once to the chats that read it; one broken feed never stops the others.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from bot.state.database import BotState
from bot.state.feeds import (
    FeedRow,
    all_feeds,
    due_feeds,
    mark_item_seen,
    record_failure,
    record_success,
    seen_items,
)
from ingest.feeds import PageUnavailable, fetch_feed, item_briefing
from ingest.fetch import UrlFetcher
from ingest.pipeline import Ingester
from retrieval.errors import BriefbotError, StoreError

log = logging.getLogger(__name__)

MAX_BACKOFF = 24 * 3600.0  # seconds: a broken feed is still tried once a day


@dataclass(frozen=True)
class PollOutcome:
    """What one poll of one feed did; `report` lists the chats to tell that it broke."""

    feed: FeedRow
    added: int = 0
    not_modified: bool = False
    from_summary: int = 0  # items stored from the feed's text: their page could not be read
    retry: int = 0  # items whose page could not be read, with no text in the feed: next poll
    error: str = ""
    report: tuple[int, ...] = ()


class FeedPoller:
    """Polls the feeds in state.db and ingests their new items; the caller's `interval` (seconds,
    FEED_INTERVAL) schedules each feed's next poll after a success."""

    def __init__(self, state: BotState, ingester: Ingester, fetcher: UrlFetcher) -> None:
        self.state = state
        self.ingester = ingester
        self.fetcher = fetcher

    def poll_due(
        self, interval: float, *, now: float | None = None, every: bool = False
    ) -> list[PollOutcome]:
        """Poll every feed whose time has come (all of them with `every`).

        A store outage stops the round (StoreError): its items stay unseen for the next one.
        """
        now = time.time() if now is None else now
        due = all_feeds(self.state) if every else due_feeds(self.state, now)
        return [self.poll(feed, interval, now=now) for feed in due]

    def poll(self, feed: FeedRow, interval: float, *, now: float | None = None) -> PollOutcome:
        """Poll one feed: ingest its new items, record validators, back off on any failure."""
        now = time.time() if now is None else now
        try:
            return self._poll(feed, interval, now)
        except StoreError:
            raise  # the store is down: not the feed's fault, retried at the next round
        except BriefbotError as e:
            return self._failed(feed, str(e), interval, now)
        except Exception as e:  # a bug must not stop the other feeds or repeat every minute
            log.exception("feed %d: unexpected failure", feed.id)
            return self._failed(feed, f"unexpected error ({type(e).__name__})", interval, now)

    def _poll(self, feed: FeedRow, interval: float, now: float) -> PollOutcome:
        fetched = fetch_feed(
            feed.url, self.fetcher, etag=feed.etag, last_modified=feed.last_modified
        )
        added = from_summary = retry = 0
        if not fetched.not_modified:
            seen = seen_items(self.state, feed.id)
            for item in fetched.items:
                if item.id in seen:
                    continue
                try:
                    found = item_briefing(item, self.fetcher, feed.url)
                    result = self.ingester.ingest(found.briefing)
                    added += result.status in ("added", "updated")
                    from_summary += found.from_summary
                except StoreError:
                    raise  # the item stays unseen and is tried next time
                except PageUnavailable as e:  # unseen: the page may be back at the next poll
                    log.warning("feed %d: an item's page could not be read: %s", feed.id, e)
                    retry += 1
                    continue
                except BriefbotError as e:
                    log.warning("feed %d: an item could not be ingested: %s", feed.id, e)
                mark_item_seen(self.state, feed.id, item.id)
        # With items to try again, the validators are not kept: a 304 would hide them.
        record_success(
            self.state,
            feed.id,
            title=fetched.title,
            etag="" if retry else fetched.etag,
            last_modified="" if retry else fetched.last_modified,
            next_poll=now + interval,
        )
        status = "304" if fetched.not_modified else "200"
        log.info(
            "feed %d polled: %s, %d new (%d from the feed's summary), %d to try again",
            feed.id,
            status,
            added,
            from_summary,
            retry,
        )
        return PollOutcome(
            feed,
            added=added,
            not_modified=fetched.not_modified,
            from_summary=from_summary,
            retry=retry,
        )

    def _failed(self, feed: FeedRow, error: str, interval: float, now: float) -> PollOutcome:
        failures = feed.failures + 1
        wait = min(interval * 2 ** (failures - 1), MAX_BACKOFF)
        record_failure(self.state, feed.id, failures=failures, next_poll=now + wait, error=error)
        log.warning(
            "feed %d failed (%d in a row; next try in %.0f s): %s", feed.id, failures, wait, error
        )
        return PollOutcome(feed, error=error, report=() if feed.reported else feed.chats)
