"""Fixtures for the Bot API emulator, PTB applications pointed at it, and briefbot's own bot."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from telegram.ext import Application, ApplicationBuilder

from bot.services import Services, build_services
from bot.settings import Settings
from tests.bot.telegram.botapi import BotAPIEmulator, application_builder
from tests.bot.telegram.briefbot import Briefbot
from tests.conftest import SAMPLE

BotFactory = Callable[..., Application]  # type: ignore[type-arg]


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


@pytest.fixture
def bot_settings(tmp_path: Path, botapi: BotAPIEmulator) -> Settings:
    """Settings for a bot talking to `botapi`, storing under tmp_path; no .env is read."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
        chroma_host="",
        telegram_bot_token=botapi.token,
        telegram_base_url=botapi.url,
        telegram_webhook_url="",
        allowed_chat_ids="",
        admin_user_ids="",
        allow_private_hosts="127.0.0.1",  # the page server
    )


@pytest.fixture(scope="session")
def sample_data_dir(tmp_path_factory: pytest.TempPathFactory, model: Any) -> Path:
    """A data directory holding the sample briefing, ingested once per session (closed)."""
    path = tmp_path_factory.mktemp("sample") / "data"
    settings = Settings(_env_file=None, data_dir=path, chroma_host="")  # type: ignore[call-arg]
    built = build_services(settings, model=model)
    try:
        [result] = built.ingester.ingest_sources([str(SAMPLE)], built.fetcher)
    finally:
        built.close()
    assert result.status == "added", result.error
    return path


@pytest.fixture
def services(bot_settings: Settings, sample_data_dir: Path, model: Any) -> Iterator[Services]:
    """Real services over an embedded store in tmp_path, holding the sample briefing.

    The store is a copy of `sample_data_dir` (copying a closed Chroma directory is its backup
    method), which saves embedding the sample again for every test.
    """
    shutil.copytree(sample_data_dir, bot_settings.data_dir)
    built = build_services(bot_settings, model=model)
    yield built
    built.close()


@pytest.fixture
def briefbot(botapi: BotAPIEmulator, bot_settings: Settings, services: Services) -> Briefbot:
    """briefbot's Application on `botapi`: build it, run it, and write to it as a user."""
    return Briefbot(botapi, bot_settings, services)


@pytest.fixture
def make_bot(briefbot: Briefbot) -> BotFactory:
    """Builds briefbot's Application against the emulator; keyword arguments change settings."""
    return briefbot.app
