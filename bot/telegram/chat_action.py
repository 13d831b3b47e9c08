"""The "typing…" indicator while the bot works: sent at once, re-sent until the work is done."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from telegram import Bot
from telegram.constants import ChatAction
from telegram.error import TelegramError

log = logging.getLogger(__name__)

# Telegram shows a chat action for about 5 seconds, so re-send a little sooner.
TYPING_INTERVAL = 4.0


async def _send_typing(bot: Bot, chat_id: int, thread_id: int | None) -> None:
    try:
        await bot.send_chat_action(chat_id, ChatAction.TYPING, message_thread_id=thread_id)
    except TelegramError as e:  # a missing indicator must never cost the answer
        log.debug("typing indicator not sent: %s", type(e).__name__)


@contextlib.asynccontextmanager
async def typing(
    bot: Bot,
    chat_id: int,
    *,
    thread_id: int | None = None,
    interval: float = TYPING_INTERVAL,
) -> AsyncIterator[asyncio.Task[None]]:
    """Show "typing…" now and every `interval` seconds until the block ends."""
    await _send_typing(bot, chat_id, thread_id)

    async def repeat() -> None:
        while True:
            await asyncio.sleep(interval)
            await _send_typing(bot, chat_id, thread_id)

    task = asyncio.create_task(repeat(), name=f"typing-{chat_id}")
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
