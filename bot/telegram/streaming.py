"""A written answer streamed into a Telegram message while the model writes it.

The model runs in a worker thread and hands over the text written so far; the event loop
sends it as a plain-text reply once there is some, marked as an unchecked draft, then edits that
message at most every EDIT_INTERVAL seconds (Telegram allows about one message a second per
chat, and fewer in groups). When the answer is done, the caller replaces the text with the
checked answer and its quotes, or with the quotes and a line saying the draft was withdrawn.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from typing import TypeVar

from telegram import Message
from telegram.error import TelegramError

from bot.telegram.render import TELEGRAM_LIMIT

log = logging.getLogger(__name__)
T = TypeVar("T")

EDIT_INTERVAL = 1.5  # seconds between edits of a growing answer
CURSOR = " …"
# Until the rules have checked it, what the model writes is shown as a draft.
DRAFT = "Draft, not yet checked against the briefings:\n"


class StreamedReply:
    """The reply that shows a growing answer; `push` is safe to call from any thread."""

    def __init__(self, message: Message, interval: float = EDIT_INTERVAL) -> None:
        self.message = message
        self.interval = interval
        self.sent: Message | None = None
        self._text = ""
        self._shown = ""

    def push(self, text: str) -> None:
        """The text written so far (from the model's thread)."""
        self._text = text

    async def follow(self, work: Awaitable[T]) -> T:
        """Await `work` (the answer), showing the pushed text meanwhile; returns its result."""
        task = asyncio.ensure_future(work)
        while True:
            done, _ = await asyncio.wait({task}, timeout=self.interval)
            if done:
                return task.result()
            await self._show()

    async def _show(self) -> None:
        text = self._text
        if not text.strip() or text == self._shown:
            return
        shown = DRAFT + text[: TELEGRAM_LIMIT - len(CURSOR) - len(DRAFT)] + CURSOR
        # plain text (None overrides the bot's default HTML): what the model writes is never
        # read as markup
        with contextlib.suppress(TelegramError):  # a failed edit: the final one still comes
            if self.sent is None:
                self.sent = await self.message.reply_text(shown, parse_mode=None)
            else:
                await self.sent.edit_text(shown, parse_mode=None)
            self._shown = text
