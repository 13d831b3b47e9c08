"""A followed topic, and following or unfollowing one in a chat (kept in state.db)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.state.database import BotState
from bot.state.subscriptions import (
    SubscriptionRow,
    active_subscriptions,
    add_subscription,
    chat_subscriptions,
    remove_subscription,
)
from retrieval.errors import BriefbotError

MAX_TOPIC_CHARS = 200
_KEYWORD = re.compile(r"(?<!\S)\+(\S+)")


@dataclass(frozen=True)
class Topic:
    """A followed topic: a short description, optionally with required +keywords."""

    text: str  # as the user typed it, e.g. "peace talks +Istanbul"
    keywords: tuple[str, ...] = ()

    @property
    def query(self) -> str:
        """What is embedded: the description with the keywords as plain words."""
        return " ".join(_KEYWORD.sub(r"\1", self.text).split())


def parse_topic(text: str) -> Topic:
    """A topic from what the user typed; `+word` marks a word the briefing must contain."""
    text = " ".join(text.split())
    keywords = tuple(k.strip(".,;:!?\"'").lower() for k in _KEYWORD.findall(text))
    return Topic(text=text, keywords=tuple(k for k in keywords if k))


@dataclass(frozen=True)
class Subscription:
    """A chat following a topic since `created_at` (UTC ISO time, as the store's added_at)."""

    id: int
    chat_id: int
    topic: Topic
    created_at: str


def _subscription(row: SubscriptionRow) -> Subscription:
    return Subscription(row.id, row.chat_id, parse_topic(row.topic), row.created_at)


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
    row, created = add_subscription(state, chat_id, topic.text)
    return _subscription(row), created


def following(state: BotState, chat_id: int) -> list[Subscription]:
    """The chat's topics in the order they were followed (numbered from 1 for /unfollow N)."""
    return [_subscription(r) for r in chat_subscriptions(state, chat_id)]


def unfollow(state: BotState, chat_id: int, number: int) -> Subscription | None:
    """Stop following the chat's topic number `number` (as /following shows it)."""
    topics = following(state, chat_id)
    if not 1 <= number <= len(topics):
        return None
    gone = topics[number - 1]
    remove_subscription(state, gone.id)
    return gone


def subscribed(state: BotState) -> list[Subscription]:
    """Every subscription of a chat that has not blocked the bot or disappeared."""
    return [_subscription(r) for r in active_subscriptions(state)]
