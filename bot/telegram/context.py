"""What every Telegram handler can reach: the app-wide services behind a typed context,
`off_loop` to run blocking work (questions, SQLite) in the bot's worker threads, and
`ingest_off_loop` for ingests, which have threads of their own."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

from telegram.ext import Application, CallbackContext, ExtBot

from bot.services import Services
from bot.settings import Settings
from bot.telegram.access import Access
from bot.telegram.chat_action import TYPING_INTERVAL
from bot.telegram.rate_limits import RateLimit

DEPS_KEY = "briefbot"
T = TypeVar("T")


@dataclass
class BotDeps:
    """Built once by build_application and kept in `application.bot_data`."""

    settings: Settings
    services: Services
    access: Access
    secrets: tuple[str, ...]  # the token and webhook secret, redacted from reports
    workers: ThreadPoolExecutor  # blocking work; sized by TELEGRAM_CONCURRENCY
    ingest_workers: ThreadPoolExecutor  # ingests only (INGEST_CONCURRENCY): never all threads
    question_limit: RateLimit
    ingest_limit: RateLimit
    typing_interval: float = TYPING_INTERVAL
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))  # digests' time


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """The handlers' context: `context.deps` is the app-wide BotDeps."""

    @property
    def deps(self) -> BotDeps:
        """The services, settings and access rules of this application."""
        return deps_of(self.application)


def deps_of(application: Application[Any, Any, Any, Any, Any, Any]) -> BotDeps:
    """The BotDeps stored in an application's bot_data."""
    deps = application.bot_data[DEPS_KEY]
    assert isinstance(deps, BotDeps)
    return deps


async def off_loop(context: BotContext, work: Callable[..., T], *args: Any) -> T:
    """Run blocking work in the bot's worker threads; the event loop goes on meanwhile."""
    call = partial(contextvars.copy_context().run, work, *args)
    return await asyncio.get_running_loop().run_in_executor(context.deps.workers, call)


async def ingest_off_loop(context: BotContext, work: Callable[..., T], *args: Any) -> T:
    """Run an ingest (downloads, extraction, embedding) in the ingest threads: slow pages and
    big files wait for one another there, while questions keep the other threads."""
    call = partial(contextvars.copy_context().run, work, *args)
    return await asyncio.get_running_loop().run_in_executor(context.deps.ingest_workers, call)
