"""Alerts: each new briefing x the followed topics -> at most one message per (chat, story).

The store and state.db are the source of truth, not an in-memory event: every scan reads the
briefing versions the store committed since the scan last finished (the catalogue numbers its
commits) and leaves out those state.db has finished with, so briefings added by any process (a
feed, a chat command, the inbox, `briefbot ingest` through a Chroma server) alert, also after a
restart, and a scan reads only what is new. A version is marked finished only after its
alerts were delivered (or the chat given up on), so a crash re-scans it, and the alerts table
keeps a chat from getting one story twice.

Sending is the front end's: `Alerter.run(deliver)` calls `deliver(candidate)` for each alert
due and records what it reports (bot/telegram/alerting.py sends Telegram messages).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import numpy as np

from bot.alerts.matching import matched, same_story, story_vector
from bot.alerts.topics import Subscription, subscribed
from bot.state.database import BotState
from bot.state.subscriptions import (
    alerted_stories,
    disable_chat,
    mark_seen,
    migrate_chat,
    record_alert,
    scan_progress,
    seen_versions,
    set_scan_progress,
)
from retrieval.index.store import BriefingStore
from retrieval.types import BriefingRecord

log = logging.getLogger(__name__)

ALERT_SENTENCES = 3  # quoted in an alert


@dataclass(frozen=True)
class Candidate:
    """A briefing that matches a chat's topic, not yet checked against the chat's alerts."""

    subscription: Subscription
    record: BriefingRecord
    sentences: tuple[str, ...]
    story: np.ndarray = field(repr=False)
    score: float
    speakers: tuple[str, ...] = ()  # who said each sentence ("" for none), as answers show it


@dataclass(frozen=True)
class Scan:
    """New briefing versions (with their commit numbers) and the alerts they call for."""

    versions: tuple[tuple[str, str], ...]
    candidates: tuple[Candidate, ...]
    commits: tuple[int, ...] = ()  # the commit number of each version, in the same order
    through: int = 0  # the newest commit read


@dataclass(frozen=True)
class Delivery:
    """What became of one alert: sent (with the message id), not needed or impossible
    ("dropped"), to be retried at the next scan, the chat gone for good, or the chat moved to a
    new id (a group that became a supergroup)."""

    outcome: Literal["sent", "dropped", "retry", "gone", "moved"]
    message_id: int | None = None
    reason: str = ""
    new_chat_id: int | None = None


Deliver = Callable[[Candidate], Awaitable[Delivery]]


def _after(added_at: str, since: str) -> bool:
    # Both in whole seconds: a briefing stored in the second a topic was followed counts as new
    # (rather alert than lose one). /follow in a chat first finishes the briefings stored
    # before it, so this only decides for topics followed from the command line.
    try:
        return datetime.fromisoformat(added_at) >= datetime.fromisoformat(since)
    except ValueError:
        return True  # an unreadable time: rather alert than lose it


def scan(store: BriefingStore, state: BotState) -> Scan:
    """Find briefing versions not yet considered and match them to the followed topics."""
    committed = store.records_since(scan_progress(state))
    if not committed:
        return Scan((), ())
    through = committed[-1][0]
    seen = seen_versions(state, [r.id for _, r in committed])
    fresh = [(seq, r) for seq, r in committed if (r.id, r.version) not in seen]
    new = [r for _, r in fresh]
    commits = tuple(seq for seq, _ in fresh)
    if not new:
        return Scan((), (), (), through)
    versions = tuple((r.id, r.version) for r in new)
    subscriptions = subscribed(state)
    # Only briefings added after a topic was followed alert it.
    wanted = {r.id: [s for s in subscriptions if _after(r.added_at, s.created_at)] for r in new}
    if not any(wanted.values()):
        return Scan(versions, (), commits, through)
    topics = sorted({s.topic.query for subs in wanted.values() for s in subs})
    topic_vectors = dict(zip(topics, store.embeddings.encode_query(topics), strict=True))
    candidates = []
    for record in sorted(new, key=lambda r: r.added_at):
        if not wanted[record.id]:
            continue
        # Headings, captions and promo lines are never quoted (language/furniture.py).
        rows = [(s, v) for s, v in store.sentences_of(record) if not s.sentence.furniture]
        if not rows:
            continue
        sentences = [stored for stored, _ in rows]
        vectors = np.stack([vector for _, vector in rows])
        text = " ".join([record.title, *(s.sentence.text for s in sentences)])
        story = story_vector(vectors)
        for subscription in wanted[record.id]:
            topic = subscription.topic
            found = matched(topic, topic_vectors[topic.query], text, vectors, ALERT_SENTENCES)
            if found is None:
                continue
            score, best = found
            log.debug("briefing %s matches topic %d: %.3f", record.id, subscription.id, score)
            quoted = tuple(sentences[i].sentence.text for i in best)
            said = tuple(sentences[i].sentence.speaker for i in best)
            candidates.append(Candidate(subscription, record, quoted, story, score, said))
    return Scan(versions, tuple(candidates), commits, through)


class Alerter:
    """Runs scans and has their alerts delivered; one pass at a time. Database work runs in
    worker threads, so the event loop never waits on SQLite or the store."""

    def __init__(self, store: BriefingStore, state: BotState) -> None:
        self.store = store
        self.state = state
        self._lock = asyncio.Lock()

    async def run(self, deliver: Deliver) -> int:
        """Scan for new briefings and deliver their alerts; returns how many were sent."""
        async with self._lock:
            found = await asyncio.to_thread(scan, self.store, self.state)
            if not found.versions:
                if found.through:
                    await asyncio.to_thread(set_scan_progress, self.state, found.through)
                return 0
            sent, retry = 0, set()
            for candidate in found.candidates:
                outcome = await self._deliver(deliver, candidate)
                if outcome is None:
                    retry.add(candidate.record.id)
                sent += bool(outcome)
            done = [v for v in found.versions if v[0] not in retry]
            await asyncio.to_thread(mark_seen, self.state, done)
            # Read again from the oldest version to retry; everything before it is finished.
            waiting = [
                n for v, n in zip(found.versions, found.commits, strict=True) if v[0] in retry
            ]
            progress = min(waiting) - 1 if waiting else found.through
            await asyncio.to_thread(set_scan_progress, self.state, progress)
            if sent or retry:
                log.info("alerts: %d sent, %d briefings to retry", sent, len(retry))
            return sent

    async def _deliver(self, deliver: Deliver, candidate: Candidate) -> bool | None:
        """True if sent, False if not needed or impossible, None to retry on the next scan."""
        chat = candidate.subscription.chat_id
        stories = await asyncio.to_thread(alerted_stories, self.state, chat)
        if candidate.record.id in stories:
            return False  # an update of a briefing already alerted here
        alerted = await asyncio.to_thread(self.store.records_of, list(stories))
        if any(same_story(candidate.story, s) for s in stories.values()) or any(
            r.story == candidate.record.story for r in alerted.values()
        ):
            log.info("briefing %s: same story already alerted in a chat", candidate.record.id)
            return False
        delivery = await deliver(candidate)
        if delivery.outcome == "sent":
            topic = candidate.subscription.topic.text
            record = (chat, candidate.record.id, topic, candidate.story, delivery.message_id)
            await asyncio.to_thread(record_alert, self.state, *record)
            return True
        if delivery.outcome == "gone":
            log.warning("chat %s disabled for alerts: %s", chat, delivery.reason)
            await asyncio.to_thread(disable_chat, self.state, chat, delivery.reason)
            return False
        if delivery.outcome == "moved" and delivery.new_chat_id is not None:
            log.info("chat %s is now %s; its topics move along", chat, delivery.new_chat_id)
            await asyncio.to_thread(migrate_chat, self.state, chat, delivery.new_chat_id)
            return None  # the next scan alerts the new id
        return None if delivery.outcome == "retry" else False
