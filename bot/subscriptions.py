"""Followed topics and what was alerted where, in state.db (the source of truth for alerts)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from bot.matching import MAX_TOPIC_CHARS, Topic, parse_topic
from bot.state import BotState
from retrieval.errors import BriefbotError


@dataclass(frozen=True)
class Subscription:
    """A chat following a topic since `created_at` (UTC ISO time, as the store's added_at)."""

    id: int
    chat_id: int
    topic: Topic
    created_at: str


def now_iso() -> str:
    """The current UTC time in the store's added_at format."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def _subscription(row: tuple[int, int, str, str]) -> Subscription:
    return Subscription(row[0], row[1], parse_topic(row[2]), row[3])


def follow(state: BotState, chat_id: int, text: str) -> tuple[Subscription, bool]:
    """Follow a topic in a chat (again: nothing changes); re-enables a chat given up on.

    Returns the subscription and whether it is new.
    """
    topic = parse_topic(text)
    if not topic.query:
        raise BriefbotError("A topic needs some words, e.g. peace talks between Russia and Ukraine")
    if len(topic.text) > MAX_TOPIC_CHARS:
        raise BriefbotError(
            f"A topic is a short description: at most {MAX_TOPIC_CHARS} characters."
        )
    with state.transaction() as db:
        db.execute("DELETE FROM disabled_chats WHERE chat_id = ?", (chat_id,))
        cursor = db.execute(
            "INSERT OR IGNORE INTO subscriptions (chat_id, topic, created_at) VALUES (?, ?, ?)",
            (chat_id, topic.text, now_iso()),
        )
        created = cursor.rowcount == 1
        row = db.execute(
            "SELECT id, chat_id, topic, created_at FROM subscriptions "
            "WHERE chat_id = ? AND topic = ?",
            (chat_id, topic.text),
        ).fetchone()
    return _subscription(row), created


def following(state: BotState, chat_id: int) -> list[Subscription]:
    """The chat's topics in the order they were followed (numbered from 1 for /unfollow N)."""
    rows = state.rows(
        "SELECT id, chat_id, topic, created_at FROM subscriptions WHERE chat_id = ? ORDER BY id",
        (chat_id,),
    )
    return [_subscription(r) for r in rows]


def unfollow(state: BotState, chat_id: int, number: int) -> Subscription | None:
    """Stop following the chat's topic number `number` (as /following shows it)."""
    topics = following(state, chat_id)
    if not 1 <= number <= len(topics):
        return None
    gone = topics[number - 1]
    state.rows("DELETE FROM subscriptions WHERE id = ?", (gone.id,))
    return gone


def active_subscriptions(state: BotState) -> list[Subscription]:
    """Every subscription of a chat that has not blocked the bot or disappeared."""
    rows = state.rows(
        "SELECT id, chat_id, topic, created_at FROM subscriptions "
        "WHERE chat_id NOT IN (SELECT chat_id FROM disabled_chats) ORDER BY id"
    )
    return [_subscription(r) for r in rows]


def seen_versions(state: BotState) -> set[tuple[str, str]]:
    """(briefing id, version) pairs the alert scan has finished with."""
    return {(r[0], r[1]) for r in state.rows("SELECT briefing_id, version FROM seen_briefings")}


def mark_seen(state: BotState, versions: Iterable[tuple[str, str]]) -> None:
    """Record briefing versions as finished with, in one transaction."""
    now = time.time()
    with state.transaction() as db:
        db.executemany(
            "INSERT OR IGNORE INTO seen_briefings VALUES (?, ?, ?)",
            [(i, v, now) for i, v in versions],
        )


def alerted_stories(state: BotState, chat_id: int) -> dict[str, np.ndarray]:
    """The story vector of every briefing already alerted in the chat, by briefing id."""
    rows = state.rows("SELECT briefing_id, story FROM alerts WHERE chat_id = ?", (chat_id,))
    return {r[0]: np.frombuffer(r[1], dtype=np.float32) for r in rows}


def record_alert(
    state: BotState,
    chat_id: int,
    briefing_id: str,
    topic: Topic,
    story: np.ndarray,
    message_id: int | None,
) -> None:
    """Remember that the briefing (and so its story) was alerted in the chat."""
    state.rows(
        "INSERT OR REPLACE INTO alerts VALUES (?, ?, ?, ?, ?, ?)",
        (
            chat_id,
            briefing_id,
            topic.text,
            np.asarray(story, dtype=np.float32).tobytes(),
            message_id,
            time.time(),
        ),
    )


def disable_chat(state: BotState, chat_id: int, reason: str) -> None:
    """Stop alerting a chat (it blocked the bot or no longer exists) until it follows again."""
    state.rows(
        "INSERT OR REPLACE INTO disabled_chats VALUES (?, ?, ?)", (chat_id, reason, time.time())
    )


def disabled_chats(state: BotState) -> dict[int, str]:
    """Chats given up on, with the reason."""
    return {r[0]: r[1] for r in state.rows("SELECT chat_id, reason FROM disabled_chats")}


def migrate_chat(state: BotState, old: int, new: int) -> None:
    """A group became a supergroup (a new id): its topics, alerts and feeds move along."""
    with state.transaction() as db:
        for table in ("subscriptions", "alerts"):
            db.execute(f"UPDATE OR IGNORE {table} SET chat_id = ? WHERE chat_id = ?", (new, old))
            db.execute(f"DELETE FROM {table} WHERE chat_id = ?", (old,))  # already at the new id
        db.execute("UPDATE feeds SET chat_id = ? WHERE chat_id = ?", (new, old))
