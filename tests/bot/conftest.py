"""Fixtures for the Bot API emulator (tests/bot/botapi.py) and PTB applications pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from telegram.ext import ApplicationBuilder

from tests.bot.botapi import BotAPIEmulator, application_builder


@pytest.fixture
def botapi() -> Iterator[BotAPIEmulator]:
    """A started emulator on 127.0.0.1; stopped after the test, which fails on emulator bugs."""
    with BotAPIEmulator() as api:
        yield api
    assert not api.errors, f"the Bot API emulator itself failed: {api.errors!r}"


@pytest.fixture
def app_builder(botapi: BotAPIEmulator) -> Callable[[], ApplicationBuilder]:
    """Makes ApplicationBuilders already pointed at `botapi` (token, base_url, base_file_url).

    Run the built application with `async with polling(app): ...` from tests.bot.botapi.
    """
    return lambda: application_builder(botapi)
