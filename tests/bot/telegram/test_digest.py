"""/digest in a chat: set, shown, refused without topics, and sent by the job at its hour
(the bot's clock set by the test, no sleeps), in DIGEST_TIMEZONE."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.state.digests import digest_of
from bot.telegram import messages
from bot.telegram.context import deps_of
from bot.telegram.jobs import digest_job
from tests.bot.alerts.alert_examples import briefing
from tests.bot.telegram.botapi import BotAPIEmulator
from tests.bot.telegram.briefbot import Briefbot

USER = 1001


async def test_a_chat_asks_for_a_digest_and_gets_it_at_its_hour(
    botapi: BotAPIEmulator, briefbot: Briefbot
) -> None:
    async with briefbot.polling(digest_timezone="Europe/Kyiv") as app:
        # set in the evening (20:00 in Kyiv): the first digest is the next morning's
        deps_of(app).clock = lambda: datetime(2025, 6, 2, 17, 0, tzinfo=UTC)
        [refused] = await briefbot.say(USER, "/digest 8:00")
        await briefbot.say(USER, "/follow peace talks between Russia and Ukraine", count=2)
        [*_, done] = await briefbot.say(USER, "/digest 8:00", count=3)
        [*_, shown] = await briefbot.say(USER, "/digest", count=4)
        row = digest_of(briefbot.services.state, USER)
        assert row is not None and row.last_day == "2025-06-02"  # today's hour has passed
        list(briefbot.services.ingester.ingest_many([briefing("istanbul-a")]))
        # 05:30 UTC is 08:30 in Kyiv in June: due
        deps_of(app).clock = lambda: datetime(2025, 6, 3, 5, 30, tzinfo=UTC)
        assert app.job_queue is not None
        app.job_queue.run_once(digest_job, 0)

        def digest_sent() -> list[str]:
            texts = [c.result["text"] for c in botapi.sent("sendMessage", chat_id=USER)]
            return [t for t in texts if t.startswith("Daily digest")]

        [digest] = await botapi.wait_for_async(digest_sent, timeout=30)
    assert refused.result["text"] == messages.NO_TOPICS_FOR_DIGEST
    assert done.result["text"] == messages.digest_set("08:00", "Europe/Kyiv")
    assert "daily digest at 08:00 (Europe/Kyiv)" in shown.result["text"]
    lines = digest.split("\n")
    assert lines[0] == "Daily digest, 3 Jun 2025"
    assert lines[2] == "peace talks between Russia and Ukraine"
    assert lines[3].startswith("[1] ")


async def test_digest_preview_shows_the_next_digest_without_sending_it(
    botapi: BotAPIEmulator, briefbot: Briefbot
) -> None:
    async with briefbot.polling(digest_timezone="Europe/Kyiv") as app:
        deps_of(app).clock = lambda: datetime(2025, 6, 3, 4, 0, tzinfo=UTC)  # 07:00 in Kyiv
        [none] = await briefbot.say(USER, "/digest preview")
        await briefbot.say(USER, "/follow peace talks between Russia and Ukraine", count=2)
        await briefbot.say(USER, "/digest 8:00", count=3)
        [*_, empty] = await briefbot.say(USER, "/digest preview", count=4)
        list(briefbot.services.ingester.ingest_many([briefing("istanbul-a")]))
        deps_of(app).clock = lambda: datetime(2025, 6, 3, 5, 30, tzinfo=UTC)
        botapi.queue_message(USER, "/digest preview", user_id=USER)

        def previews() -> list[str]:
            texts = [c.result["text"] for c in botapi.sent("sendMessage", chat_id=USER)]
            return [t for t in texts if t.startswith("Preview of the next")]

        [shown] = await botapi.wait_for_async(previews, timeout=30)
        row = digest_of(briefbot.services.state, USER)
    assert "gets no daily digest" in none.result["text"]
    assert empty.result["text"] == messages.DIGEST_PREVIEW_EMPTY
    lines = shown.split("\n")
    assert lines[0] == "Preview of the next daily digest, 3 Jun 2025"
    assert lines[3].startswith("[1] ")
    assert row is not None and row.last_day < "2025-06-03"  # nothing marked as sent
