"""Alerts end to end: the real Application on the Bot API emulator over a real store.

A scan is a barrier: `alerter_of(app).run(bot)` waits for any scan in progress and then
finishes every briefing stored so far, so "no (further) alert" is asserted after one.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from functools import partial
from pathlib import Path
from typing import Any

import pytest

import bot.telegram.jobs
from bot.alerts.topics import follow, following
from bot.cli.app import main
from bot.inbox import hand_over
from bot.services import Services, build_services
from bot.settings import Settings
from bot.state.database import BotState
from bot.state.subscriptions import disabled_chats
from bot.telegram import messages
from bot.telegram.application import build_application
from bot.telegram.jobs import alerter_of
from ingest.loaders import load_text
from retrieval.errors import StoreError
from retrieval.types import Briefing
from tests.bot.alerts.alert_examples import briefing
from tests.bot.conftest import BotFactory
from tests.bot.telegram.botapi import JSON, ApiError, BotAPIEmulator, polling

ADMIN = 4242
MEMBER = 5151
GROUP = -1002003004005
OTHER_GROUP = -1009998887776
TOPIC = "peace talks between Russia and Ukraine"
FAST = {"alert_interval": 0.5, "inbox_interval": 0.2}


@pytest.fixture
def group(botapi: BotAPIEmulator) -> int:
    """A group where ADMIN is the owner and MEMBER a plain member (getChatMember)."""
    botapi.add_chat(GROUP, "supergroup", title="Newsroom")

    def member(params: JSON) -> JSON:
        user = botapi.add_user(int(params["user_id"]))
        if int(params["user_id"]) == ADMIN:
            return {"status": "creator", "user": user, "is_anonymous": False}
        return {"status": "member", "user": user}

    botapi.set_handler("getChatMember", member)
    return GROUP


def texts(botapi: BotAPIEmulator, chat_id: int) -> list[str]:
    """Every message the bot sent to the chat, oldest first."""
    return [str(c.result["text"]) for c in botapi.sent("sendMessage", chat_id=chat_id)]


def alerts(botapi: BotAPIEmulator, chat_id: int) -> list[str]:
    """The alerts among them."""
    return [t for t in texts(botapi, chat_id) if t.startswith("🔔")]


async def ingest(services: Services, item: Briefing) -> None:
    result = await asyncio.to_thread(services.ingester.ingest, item)
    assert result.status in ("added", "updated"), result


async def wait_alerts(botapi: BotAPIEmulator, chat_id: int, count: int) -> list[str]:
    await botapi.wait_for_async(lambda: len(alerts(botapi, chat_id)) >= count, timeout=30)
    return alerts(botapi, chat_id)


async def command(botapi: BotAPIEmulator, text: str, user: int = ADMIN) -> str:
    """Send a command in the group and return the bot's reply."""
    before = len(texts(botapi, GROUP))
    botapi.queue_message(GROUP, text, user_id=user, chat_type="supergroup")
    await botapi.wait_for_async(lambda: len(texts(botapi, GROUP)) > before, timeout=30)
    return texts(botapi, GROUP)[before]


async def test_follow_alerts_once_per_story_and_unfollow_stops(
    botapi: BotAPIEmulator, make_bot: BotFactory, services: Services, group: int
) -> None:
    app = make_bot(**FAST)
    async with polling(app):
        reply = await command(botapi, f"/follow {TOPIC}")
        assert reply.startswith(f"Following {TOPIC}")
        assert (await command(botapi, f"/follow {TOPIC}")).startswith("This chat already follows")
        await ingest(services, briefing("istanbul-a"))
        [alert] = await wait_alerts(botapi, group, 1)
        await ingest(services, briefing("ecb-rates"))  # another topic
        await ingest(services, briefing("istanbul-b"))  # the same story from another outlet
        await ingest(services, briefing("geneva-talks"))  # a new story on the topic
        await wait_alerts(botapi, group, 2)
        await alerter_of(app).run(app.bot)
        assert len(alerts(botapi, group)) == 2, [a.splitlines()[1] for a in alerts(botapi, group)]
        first, second = alerts(botapi, group)
        assert (await command(botapi, "/following")).startswith(f"This chat follows\n1. {TOPIC}")
        assert (await command(botapi, "/unfollow 1")) == f"Stopped following {TOPIC}."
        await ingest(services, briefing("vatican-mediation"))
        await alerter_of(app).run(app.bot)
    assert alerts(botapi, group) == [first, second]
    assert "Russia and Ukraine resume talks in Istanbul" in first
    assert "Second round of Ukraine peace talks" in second
    # the alert: title (linked), date, source, quoted sentences cited, the hint
    [call] = [c for c in botapi.sent("sendMessage", chat_id=group) if c.result["text"] == alert]
    links = [e["url"] for e in call.result["entities"] if e["type"] == "text_link"]
    assert links == ["https://news.example.org/istanbul-a"]
    lines = alert.splitlines()
    assert lines[0] == f"🔔 New on {TOPIC}"
    assert lines[1] == "Russia and Ukraine resume talks in Istanbul — 2 Jun 2025 — news.example.org"
    quoted = [line for line in lines if line.startswith("[")]
    assert 2 <= len(quoted) <= 3
    assert any("first direct peace talks" in q for q in quoted)
    source = briefing("istanbul-a").text
    for line in quoted:  # verbatim sentences, no quote marks added, a speaker after them
        body = line.split("] ", 1)[1]
        assert not body.startswith("“")
        assert body in source or body.rsplit(" (", 1)[0] in source
    assert "— Russia and Ukraine resume talks in Istanbul, 2 Jun 2025" in lines
    assert lines[-1] == "Ask me about it: reply to this message with a question."


async def test_only_chat_admins_change_what_a_group_follows(
    botapi: BotAPIEmulator, make_bot: BotFactory, group: int
) -> None:
    async with polling(make_bot(**FAST)):
        assert await command(botapi, f"/follow {TOPIC}", user=MEMBER) == messages.NOT_CHAT_ADMIN
        assert await command(botapi, "/follow") == messages.USAGE_FOLLOW
        assert await command(botapi, "/following", user=MEMBER) == messages.NOT_FOLLOWING
        await command(botapi, "/follow talks +Istanbul")
        assert await command(botapi, "/unfollow 1", user=MEMBER) == messages.NOT_CHAT_ADMIN
        assert (await command(botapi, "/unfollow 7")).startswith("There is no topic with that")


async def test_keywords_are_required(
    botapi: BotAPIEmulator, make_bot: BotFactory, services: Services, group: int
) -> None:
    app = make_bot(**FAST)
    async with polling(app):
        await command(botapi, "/follow talks +Geneva")
        await ingest(services, briefing("istanbul-a"))  # about talks, but not in Geneva
        await ingest(services, briefing("geneva-talks"))
        [alert] = await wait_alerts(botapi, group, 1)
        await alerter_of(app).run(app.bot)
    assert alerts(botapi, group) == [alert]
    assert "Geneva" in alert


async def test_a_restart_neither_repeats_nor_loses_alerts(
    botapi: BotAPIEmulator, make_bot: BotFactory, services: Services, group: int
) -> None:
    first_app = make_bot(**FAST)
    async with polling(first_app):
        await command(botapi, f"/follow {TOPIC}")
        await ingest(services, briefing("istanbul-a"))
        await wait_alerts(botapi, group, 1)
    # while the bot is down, a matching briefing arrives (e.g. through a Chroma server)
    await ingest(services, briefing("geneva-talks"))
    second_app = make_bot(**FAST)  # a new Application over the same state.db
    async with polling(second_app):
        await wait_alerts(botapi, group, 2)
        await alerter_of(second_app).run(second_app.bot)
    found = alerts(botapi, group)
    assert len(found) == 2 and "Istanbul" in found[0] and "Geneva" in found[1]


async def test_briefings_older_than_the_topic_do_not_alert(
    botapi: BotAPIEmulator, make_bot: BotFactory, services: Services, group: int
) -> None:
    await ingest(services, briefing("istanbul-a"))
    app = make_bot(**FAST)
    async with polling(app):
        await command(botapi, f"/follow {TOPIC}")
        await alerter_of(app).run(app.bot)
    # the sample briefing (Istanbul talks) and istanbul-a were stored before the /follow
    assert alerts(botapi, group) == []


async def test_blocked_and_vanished_chats_are_disabled_with_a_log_line(
    botapi: BotAPIEmulator,
    make_bot: BotFactory,
    services: Services,
    group: int,
    bot_settings: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.alerts")
    botapi.add_chat(OTHER_GROUP, "supergroup")
    botapi.fail(
        "sendMessage",
        403,
        "Forbidden: bot was kicked from the supergroup chat",
        chat_id=OTHER_GROUP,
        times=None,
    )
    gone = -100123  # never seen by the emulator: "chat not found"
    state = BotState(bot_settings.data_dir / "state.db")
    for chat in (GROUP, OTHER_GROUP, gone):
        follow(state, chat, TOPIC)
    app = make_bot(**FAST)
    async with polling(app):
        await ingest(services, briefing("istanbul-a"))
        await wait_alerts(botapi, group, 1)
        await alerter_of(app).run(app.bot)
        await ingest(services, briefing("geneva-talks"))
        await wait_alerts(botapi, group, 2)
        await alerter_of(app).run(app.bot)
    assert set(disabled_chats(state)) == {OTHER_GROUP, gone}
    state.close()
    tries = [c for c in botapi.calls("sendMessage") if c.params["chat_id"] == OTHER_GROUP]
    assert len(tries) == 1  # not retried for the second briefing
    assert f"chat {OTHER_GROUP} disabled for alerts: Forbidden" in caplog.text
    assert f"chat {gone} disabled for alerts: Chat not found" in caplog.text


async def test_cli_ingest_while_the_bot_runs_is_handed_over_and_alerts(
    botapi: BotAPIEmulator,
    make_bot: BotFactory,
    services: Services,
    group: int,
    bot_settings: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    model: Any,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATA_DIR", str(bot_settings.data_dir))
    cli = partial(main, build=partial(build_services, model=model))
    article = tmp_path / "geneva.md"
    item = briefing("geneva-talks")
    article.write_text(f"---\ntitle: {item.title}\ndate: 2025-06-03\n---\n{item.text}\n")
    app = make_bot(**FAST)
    async with polling(app):
        await alerter_of(app).run(app.bot)  # the bot has finished the stored briefings
        # the CLI follows too: state.db is shared with the running bot
        assert await asyncio.to_thread(cli, ["follow", "--chat", str(GROUP), TOPIC]) == 0
        code = await asyncio.to_thread(cli, ["ingest", str(article), "missing.txt"])
        out = " ".join(capsys.readouterr().out.split())  # as one line, whatever rich wrapped
        [alert] = await wait_alerts(botapi, group, 1)
    assert code == 1  # missing.txt failed, and said so
    assert "in use by the running bot" in out and "1 handed to the bot, 1 failed" in out
    assert "missing.txt" in out
    assert "Second round of Ukraine peace talks opens in Geneva — 3 Jun 2025 — geneva.md" in alert
    assert list((bot_settings.data_dir / "inbox").iterdir()) == []  # done and deleted


async def test_a_group_that_became_a_supergroup_keeps_its_topics(
    botapi: BotAPIEmulator, make_bot: BotFactory, services: Services, bot_settings: Any
) -> None:
    old, new = -4001, -1004001
    botapi.add_chat(old, "group")
    botapi.add_chat(new, "supergroup")
    send = botapi._send_message  # the emulator's own sendMessage

    def upgraded(params: JSON) -> JSON:
        if int(params["chat_id"]) == old:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": new},
            )
        return send(params)

    botapi.set_handler("sendMessage", upgraded)
    state = BotState(bot_settings.data_dir / "state.db")
    follow(state, old, TOPIC)
    app = make_bot(**FAST)
    async with polling(app):
        await ingest(services, briefing("istanbul-a"))
        [alert] = await wait_alerts(botapi, new, 1)
        await alerter_of(app).run(app.bot)
    assert "Istanbul" in alert
    assert [s.topic.text for s in following(state, new)] == [TOPIC]
    assert following(state, old) == []
    state.close()


async def test_a_briefing_stored_by_another_process_through_a_chroma_server_alerts(
    botapi: BotAPIEmulator,
    bot_settings: Any,
    chroma_server: tuple[str, int],
    model: Any,
    group: int,
) -> None:
    host, port = chroma_server
    settings = bot_settings.model_copy(update={"chroma_host": host, "chroma_port": port, **FAST})
    bot_services = build_services(settings, model=model)
    other = build_services(settings, model=model)  # what `briefbot ingest` opens elsewhere
    try:
        app = build_application(settings, bot_services)
        async with polling(app):
            await command(botapi, f"/follow {TOPIC}")
            # a fresh address: the session's server may hold the example already
            item = briefing("geneva-talks", url=f"https://other.example.org/{uuid.uuid4().hex}")
            result = await asyncio.to_thread(other.ingester.ingest, item)
            assert result.status == "added"
            [alert] = await wait_alerts(botapi, group, 1)  # found by the scan, not an event
    finally:
        other.close()
        bot_services.close()
    assert "Second round of Ukraine peace talks opens in Geneva" in alert
    assert "other.example.org" in alert


async def test_a_store_outage_in_a_background_job_is_logged_not_reported_each_time(
    botapi: BotAPIEmulator,
    make_bot: BotFactory,
    bot_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls = threading.Semaphore(0)
    # something waits in the inbox: the job only reaches the store when there is
    hand_over(bot_settings.data_dir, [load_text("Russia proposed a ceasefire.", "test")])

    def store_down(*args: object) -> list[object]:
        calls.release()
        raise StoreError("The vector store failed (ConnectError); check that it is running.")

    monkeypatch.setattr(bot.telegram.jobs, "process_inbox", store_down)
    caplog.set_level(logging.WARNING, logger="bot.telegram.jobs")
    botapi.add_chat(ADMIN)
    async with polling(make_bot(admin_user_ids=str(ADMIN), **FAST)):
        for _ in range(2):
            assert await asyncio.to_thread(calls.acquire, timeout=30)
    assert "inbox check skipped: The vector store failed" in caplog.text
    assert botapi.sent("sendMessage", chat_id=ADMIN) == []  # no error report per check
