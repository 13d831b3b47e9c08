"""What every Telegram handler can reach: the app-wide services behind a typed context."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from langchain_core.runnables import Runnable
from telegram.ext import Application, CallbackContext, ExtBot

from bot.access import Access
from bot.services import Services
from bot.settings import Settings
from bot.state import BotState
from bot.telegram_typing import TYPING_INTERVAL
from retrieval.types import Answer, Question

DEPS_KEY = "briefbot"


@dataclass
class BotDeps:
    """Built once by build_application and kept in `application.bot_data`."""

    settings: Settings
    services: Services
    access: Access
    state: BotState
    more_chain: Runnable[Question | str, Answer]  # the same search, more citations
    secrets: tuple[str, ...]  # the token and webhook secret, redacted from reports
    typing_interval: float = TYPING_INTERVAL


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """The handlers' context: `context.deps` is the app-wide BotDeps."""

    @property
    def deps(self) -> BotDeps:
        """The services, settings, access rules and state of this application."""
        return deps_of(self.application)


def deps_of(application: Application[Any, Any, Any, Any, Any, Any]) -> BotDeps:
    """The BotDeps stored in an application's bot_data."""
    deps = application.bot_data[DEPS_KEY]
    assert isinstance(deps, BotDeps)
    return deps
