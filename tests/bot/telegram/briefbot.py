"""briefbot's own Application on the Bot API emulator, and the user's side of a conversation.

    async def test_something(botapi: BotAPIEmulator, briefbot: Briefbot) -> None:
        async with briefbot.polling(admin_user_ids="4242"):   # settings changed for this test
            [reply] = await briefbot.say(1001, "What did Russia propose?")
        assert quotes(reply.result["text"])

Leaving the `async with` stops the application, which first handles every update it fetched.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from telegram.ext import Application

from bot.services import Services
from bot.settings import Settings
from bot.telegram.application import build_application, webhook_options, webhook_secret
from tests.bot.telegram.botapi import BotAPIEmulator, Call, polling, webhook
from tests.bot.telegram.reply_shape import quotes
from tests.conftest import free_port

__all__ = ["Briefbot", "quotes"]

App = Application  # type: ignore[type-arg]
REPLY_TIMEOUT = 30.0  # seconds; answering runs the real model, slow on a busy machine


@dataclass(frozen=True)
class Briefbot:
    """Builds, runs and talks to briefbot against `api`, over real services."""

    api: BotAPIEmulator
    settings: Settings
    services: Services

    def app(
        self, *, typing_interval: float = 4.0, hide: tuple[str, ...] = (), **changes: Any
    ) -> App:
        """briefbot's Application; keyword arguments change settings."""
        settings = self.settings.model_copy(update=changes)
        return build_application(
            settings, self.services, hide=hide, typing_interval=typing_interval
        )

    def polling(self, **changes: Any) -> contextlib.AbstractAsyncContextManager[App]:
        """Run a new Application (settings changed as `app` does) with long polling."""
        return polling(self.app(**changes))

    @contextlib.asynccontextmanager
    async def webhook(self, path: str, **changes: Any) -> AsyncIterator[tuple[str, str]]:
        """Run in webhook mode on a free 127.0.0.1 port at `path`; yields (webhook URL, secret).

        The secret is TELEGRAM_WEBHOOK_SECRET if `changes` set one, else a random one.
        """
        port = free_port()
        url = f"http://127.0.0.1:{port}{path}"
        changes = {"telegram_webhook_url": url, "telegram_webhook_port": port, **changes}
        settings = self.settings.model_copy(update=changes)
        secret = webhook_secret(settings)
        app = self.app(hide=(secret,), **changes)
        async with webhook(app, **webhook_options(settings, secret)):
            yield url, secret

    async def say(
        self,
        chat_id: int,
        text: str | None = None,
        *,
        user_id: int | None = None,
        count: int = 1,
        **message: Any,
    ) -> list[Call]:
        """A user writes in the chat; returns the bot's messages there once it has sent `count`.

        The user is `user_id`, or in a private chat (a positive id) the chat's own user.
        `message` takes the rest of BotAPIEmulator.queue_message (chat_type, document, ...).
        """
        if user_id is None:
            if chat_id < 0:
                raise ValueError("say in a group needs the user_id of who writes")
            user_id = chat_id
        self.api.queue_message(chat_id, text, user_id=user_id, **message)
        return await self.api.wait_sent_async(
            "sendMessage", chat_id=chat_id, count=count, timeout=REPLY_TIMEOUT
        )
