"""A short load run: questions from many chats all answered while slow downloads are in flight.

The full run (500 questions from 50 chats) is in `make bench`, with its answer times."""

from __future__ import annotations

from bot.services import Services
from bot.settings import Settings
from bot.telegram.application import build_application
from tests.bot.telegram.botapi import BotAPIEmulator, polling
from tests.bot.telegram.load import SlowPages, _is_answer, load_run, load_settings
from tests.ingest.pageserver import PageServer


async def test_questions_from_many_chats_are_all_answered_while_slow_downloads_run(
    botapi: BotAPIEmulator, bot_settings: Settings, services: Services, page_server: PageServer
) -> None:
    downloads = 6
    settings = load_settings(botapi, bot_settings.data_dir, downloads)
    pages = SlowPages(page_server, size=300_000)
    try:
        async with polling(build_application(settings, services)):
            run = await load_run(botapi, pages, chats=10, per_chat=3, downloads=downloads)
    finally:
        pages.release.set()

    for round_ in (run.quiet, run.loaded):
        assert round_.asked == 30
        assert len(round_.replies) == 30  # none lost, none answered twice
        assert round_.answers == 30, [r for r in round_.replies if not _is_answer(r)]
    assert run.in_flight_after == downloads  # the downloads overlapped the whole loaded round
    assert len(run.ingest_reports) == downloads
    assert all(text.startswith("✅ Added") for text in run.ingest_reports), run.ingest_reports
