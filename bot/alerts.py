"""Alerts: each new briefing x the followed topics -> at most one message per (chat, story).

The store and state.db are the source of truth, not an in-memory event: every scan compares
`store.records()` with the briefing versions state.db has finished with, so briefings added by
any process (a feed, a chat command, the inbox, `briefbot ingest` through a Chroma server) alert,
also after a restart. A version is marked finished only after its alerts were delivered (or the
chat given up on), so a crash re-scans it, and the alerts table keeps a chat from getting one
story twice.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from telegram import Bot
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot import messages
from bot.matching import (
    MATCH_THRESHOLD,
    has_keywords,
    most_relevant,
    same_story,
    story_vector,
    topic_score,
)
from bot.state import BotState
from bot.subscriptions import (
    Subscription,
    active_subscriptions,
    alerted_stories,
    disable_chat,
    mark_seen,
    migrate_chat,
    record_alert,
    seen_versions,
)
from retrieval.store import BriefingStore
from retrieval.types import BriefingRecord

log = logging.getLogger(__name__)

ALERT_SENTENCES = 3  # quoted in an alert
# Telegram's answers meaning "this chat will never take a message": give it up, don't retry.
_GONE = ("chat not found", "chat_id is empty", "group chat was deactivated", "peer_id_invalid")


@dataclass(frozen=True)
class Candidate:
    """A briefing that matches a chat's topic, not yet checked against the chat's alerts."""

    subscription: Subscription
    record: BriefingRecord
    sentences: tuple[str, ...]
    story: np.ndarray = field(repr=False)
    score: float


@dataclass(frozen=True)
class Scan:
    """New briefing versions and the alerts they call for."""

    versions: tuple[tuple[str, str], ...]
    candidates: tuple[Candidate, ...]


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
    seen = seen_versions(state)
    new = [r for r in store.records() if (r.id, r.version) not in seen]
    if not new:
        return Scan((), ())
    versions = tuple((r.id, r.version) for r in new)
    subscriptions = active_subscriptions(state)
    # Only briefings added after a topic was followed alert it.
    wanted = {r.id: [s for s in subscriptions if _after(r.added_at, s.created_at)] for r in new}
    if not any(wanted.values()):
        return Scan(versions, ())
    topics = sorted({s.topic.query for subs in wanted.values() for s in subs})
    topic_vectors = dict(zip(topics, store.embeddings.encode(topics), strict=True))
    candidates = []
    for record in sorted(new, key=lambda r: r.added_at):
        if not wanted[record.id]:
            continue
        rows = store.sentences_of(record)
        if not rows:
            continue
        sentences = [stored for stored, _ in rows]
        vectors = np.stack([vector for _, vector in rows])
        text = " ".join([record.title, *(s.sentence.text for s in sentences)])
        story = story_vector(vectors)
        for subscription in wanted[record.id]:
            topic = subscription.topic
            if not has_keywords(topic, text):
                continue
            score = topic_score(topic_vectors[topic.query], vectors)
            log.debug("briefing %s vs topic %d: %.3f", record.id, subscription.id, score)
            if score < MATCH_THRESHOLD:
                continue
            best = most_relevant(topic_vectors[topic.query], vectors, ALERT_SENTENCES)
            quoted = tuple(sentences[i].sentence.text for i in best)
            candidates.append(Candidate(subscription, record, quoted, story, score))
    return Scan(versions, tuple(candidates))


class Alerter:
    """Runs scans and delivers their alerts; one pass at a time."""

    def __init__(self, store: BriefingStore, state: BotState) -> None:
        self.store = store
        self.state = state
        self._lock = asyncio.Lock()

    async def run(self, bot: Bot) -> int:
        """Scan for new briefings and send their alerts; returns how many were sent."""
        async with self._lock:
            found = await asyncio.to_thread(scan, self.store, self.state)
            if not found.versions:
                return 0
            sent, retry = 0, set()
            for candidate in found.candidates:
                outcome = await self._deliver(bot, candidate)
                if outcome is None:
                    retry.add(candidate.record.id)
                sent += bool(outcome)
            done = [v for v in found.versions if v[0] not in retry]
            await asyncio.to_thread(mark_seen, self.state, done)
            if sent or retry:
                log.info("alerts: %d sent, %d briefings to retry", sent, len(retry))
            return sent

    async def _deliver(self, bot: Bot, candidate: Candidate) -> bool | None:
        """True if sent, False if not needed or impossible, None to retry on the next scan."""
        chat = candidate.subscription.chat_id
        stories = alerted_stories(self.state, chat)
        if candidate.record.id in stories:
            return False  # an update of a briefing already alerted here
        if any(same_story(candidate.story, s) for s in stories.values()):
            log.info("briefing %s: same story already alerted in a chat", candidate.record.id)
            return False
        topic = candidate.subscription.topic
        text = messages.alert(topic.text, candidate.record, candidate.sentences)
        try:
            message = await bot.send_message(chat, text)
        except Forbidden as e:
            return self._give_up(chat, e)
        except ChatMigrated as e:  # before BadRequest: Telegram answers it with HTTP 400
            log.info("chat %s is now %s; its topics move along", chat, e.new_chat_id)
            migrate_chat(self.state, chat, e.new_chat_id)
            return None  # the next scan alerts the new id
        except BadRequest as e:
            if any(reason in e.message.lower() for reason in _GONE):
                return self._give_up(chat, e)
            log.error("alert to chat %s refused: %s", chat, e.message)
            return False
        except (RetryAfter, NetworkError) as e:  # includes TimedOut
            log.warning("alert to chat %s not sent (%s); retrying later", chat, type(e).__name__)
            return None
        except TelegramError as e:
            log.error("alert to chat %s failed: %s", chat, e.message)
            return False
        record_alert(self.state, chat, candidate.record.id, topic, candidate.story, message.id)
        return True

    def _give_up(self, chat: int, error: TelegramError) -> bool:
        log.warning("chat %s disabled for alerts: %s", chat, error.message)
        disable_chat(self.state, chat, error.message)
        return False
