"""Followed topics and what was alerted where: the source of truth for alerts."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from bot.state.database import BotState

_COLUMNS = "id, chat_id, topic, created_at"


@dataclass(frozen=True)
class SubscriptionRow:
    """A chat following a topic (as typed) since `created_at` (UTC ISO time, as the store's)."""

    id: int
    chat_id: int
    topic: str
    created_at: str


def now_iso() -> str:
    """The current UTC time in the store's added_at format."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def add_subscription(state: BotState, chat_id: int, topic: str) -> tuple[SubscriptionRow, bool]:
    """Follow a topic in a chat (again: nothing changes) and re-enable a chat given up on.

    Returns the subscription and whether it is new.
    """
    with state.transaction() as db:
        db.execute("DELETE FROM disabled_chats WHERE chat_id = ?", (chat_id,))
        cursor = db.execute(
            "INSERT OR IGNORE INTO subscriptions (chat_id, topic, created_at) VALUES (?, ?, ?)",
            (chat_id, topic, now_iso()),
        )
        created = cursor.rowcount == 1
        row = db.execute(
            f"SELECT {_COLUMNS} FROM subscriptions WHERE chat_id = ? AND topic = ?",
            (chat_id, topic),
        ).fetchone()
    return SubscriptionRow(*row), created


def chat_subscriptions(state: BotState, chat_id: int) -> list[SubscriptionRow]:
    """The chat's topics in the order they were followed (numbered from 1 for /unfollow N)."""
    rows = state.rows(
        f"SELECT {_COLUMNS} FROM subscriptions WHERE chat_id = ? ORDER BY id", (chat_id,)
    )
    return [SubscriptionRow(*r) for r in rows]


def remove_subscription(state: BotState, subscription_id: int) -> None:
    """Stop following one topic."""
    state.rows("DELETE FROM subscriptions WHERE id = ?", (subscription_id,))


def active_subscriptions(state: BotState) -> list[SubscriptionRow]:
    """Every subscription of a chat that has not blocked the bot or disappeared."""
    rows = state.rows(
        f"SELECT {_COLUMNS} FROM subscriptions "
        "WHERE chat_id NOT IN (SELECT chat_id FROM disabled_chats) ORDER BY id"
    )
    return [SubscriptionRow(*r) for r in rows]


def seen_versions(state: BotState, briefing_ids: Iterable[str]) -> set[tuple[str, str]]:
    """(briefing id, version) pairs of these briefings the alert scan has finished with."""
    ids = sorted(set(briefing_ids))
    found: set[tuple[str, str]] = set()
    for at in range(0, len(ids), 500):
        part = ids[at : at + 500]
        rows = state.rows(
            "SELECT briefing_id, version FROM seen_briefings "
            f"WHERE briefing_id IN ({','.join('?' * len(part))})",
            tuple(part),
        )
        found.update((r[0], r[1]) for r in rows)
    return found


def scan_progress(state: BotState) -> int:
    """The store commit up to which the alert scan has finished with every briefing."""
    return int(state.rows("SELECT seq FROM alert_progress")[0][0])


def set_scan_progress(state: BotState, seq: int) -> None:
    """Record how far the alert scan has finished."""
    state.rows("UPDATE alert_progress SET seq = ?", (seq,))


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
    topic: str,
    story: np.ndarray,
    message_id: int | None,
) -> None:
    """Remember that the briefing (and so its story) was alerted in the chat."""
    state.rows(
        "INSERT OR REPLACE INTO alerts VALUES (?, ?, ?, ?, ?, ?)",
        (
            chat_id,
            briefing_id,
            topic,
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
        for table in ("subscriptions", "alerts", "feed_chats"):
            db.execute(f"UPDATE OR IGNORE {table} SET chat_id = ? WHERE chat_id = ?", (new, old))
            db.execute(f"DELETE FROM {table} WHERE chat_id = ?", (old,))  # already at the new id
