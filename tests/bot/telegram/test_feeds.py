"""Feeds end to end: RSS and Atom from a page server on 127.0.0.1, alerts on the emulator."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler

from bot.services import Services
from bot.settings import Settings
from bot.state.database import BotState
from bot.state.feeds import all_feeds
from bot.telegram import messages
from bot.telegram.jobs import LOCK_KEY, alerter_of
from tests.bot.conftest import BotFactory
from tests.bot.feeds.pages import article, atom, rss
from tests.bot.telegram.botapi import BotAPIEmulator, polling
from tests.bot.telegram.test_alerts import (  # noqa: F401
    ADMIN,
    GROUP,
    MEMBER,
    TOPIC,
    alerts,
    command,
    group,
    texts,
)
from tests.ingest.pageserver import PageServer
from tests.ingest.pageserver import Route as PageServerRoute

FAST = {"alert_interval": 0.5, "inbox_interval": 0.5, "feed_interval": 0.2}


def counting(server: PageServer, path: str, route: Callable[[BaseHTTPRequestHandler], None]):
    """Serve path through route, setting the returned event's count on each request."""
    hits: list[int] = []
    reached = threading.Condition()

    def handler(request: BaseHTTPRequestHandler) -> None:
        route(request)
        with reached:
            hits.append(1)
            reached.notify_all()

    def wait(count: int) -> None:
        with reached:
            assert reached.wait_for(lambda: len(hits) >= count, timeout=30), hits

    server.add_handler(path, handler)
    return wait


def etag_feed(body: str) -> Callable[[BaseHTTPRequestHandler], None]:
    """A feed with an ETag that answers 304 to a request that has it."""
    data = body.encode()

    def route(request: BaseHTTPRequestHandler) -> None:
        if request.headers["If-None-Match"] == '"v1"':
            request.send_response(304)
            request.end_headers()
            return
        request.send_response(200)
        request.send_header("Content-Type", "application/rss+xml")
        request.send_header("Content-Length", str(len(data)))
        request.send_header("ETag", '"v1"')
        request.end_headers()
        request.wfile.write(data)

    return route


async def test_feeds_alert_once_per_story_and_answer_304(
    botapi: BotAPIEmulator,
    make_bot: BotFactory,
    services: Services,
    bot_settings: Settings,
    page_server: PageServer,
    group: int,  # noqa: F811
) -> None:
    for key in ("istanbul-a", "ecb-rates"):
        page_server.add(f"/news/{key}", article(key))
    page_server.add("/other/istanbul-b", article("istanbul-b"))
    seen: list[str | None] = []
    body = rss(page_server, ["istanbul-a", "ecb-rates"])

    def route(request: BaseHTTPRequestHandler) -> None:
        seen.append(request.headers["If-None-Match"])
        etag_feed(body)(request)

    wait_rss = counting(page_server, "/rss", route)
    atom_url = page_server.add("/atom", atom(page_server, ["istanbul-b"]), "application/atom+xml")
    app = make_bot(**FAST)
    async with polling(app):
        await command(botapi, f"/follow {TOPIC}")
        reply = await command(botapi, f"/feed add {page_server.url('/rss')}")
        assert reply.startswith("Added the feed")
        [alert] = await botapi.wait_for_async(lambda: alerts(botapi, GROUP), timeout=30)
        await asyncio.to_thread(wait_rss, 3)  # polled again: 304 twice
        await command(botapi, f"/feed add {atom_url}")  # the same story from another outlet
        await botapi.wait_for_async(lambda: page_server.hits["/other/istanbul-b"] >= 1, timeout=30)
        async with app.bot_data[LOCK_KEY]:  # that poll has finished
            pass
        await alerter_of(app).run(app.bot)
        listing = await command(botapi, "/feed list")
        assert (await command(botapi, "/feed remove 2")).startswith("Removed the feed")
        assert await command(botapi, "/feed add not-a-link") == messages.USAGE_FEED
        assert await command(botapi, "/feed remove 1", user=MEMBER) == messages.NOT_CHAT_ADMIN
    assert alerts(botapi, GROUP) == [alert]
    assert "Russia and Ukraine resume talks in Istanbul" in alert
    assert seen[:3] == [None, '"v1"', '"v1"']
    assert page_server.hits["/news/istanbul-a"] == 1  # a 304 re-reads no page
    assert page_server.hits["/news/ecb-rates"] == 1  # ingested, but no alert: another topic
    assert listing.startswith("Feeds\n1. Test — ")
    state = BotState(bot_settings.data_dir / "state.db")
    assert [f.url for f in all_feeds(state)] == [page_server.url("/rss")]
    state.close()


async def test_a_broken_feed_is_reported_once_and_the_next_feed_still_polls(
    botapi: BotAPIEmulator,
    make_bot: BotFactory,
    services: Services,
    page_server: PageServer,
    group: int,  # noqa: F811
) -> None:
    def broken(request: BaseHTTPRequestHandler) -> None:
        data = b"<html><body>this is not a feed</body></html>"
        request.send_response(200)
        request.send_header("Content-Type", "text/html")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)

    wait_broken = counting(page_server, "/broken.xml", broken)
    # the good feed's item page is gone: its summary is ingested instead
    good = page_server.add(
        "/good.xml", atom(page_server, ["geneva-talks"], summaries=True), "application/atom+xml"
    )
    app = make_bot(**FAST)
    async with polling(app):
        await command(botapi, f"/follow {TOPIC}")
        await command(botapi, f"/feed add {page_server.url('/broken.xml')}")
        await command(botapi, f"/feed add {good}")
        [alert] = await botapi.wait_for_async(lambda: alerts(botapi, GROUP), timeout=30)
        await asyncio.to_thread(wait_broken, 3)  # retried (backing off)
        async with app.bot_data[LOCK_KEY]:
            pass
    reports = [t for t in texts(botapi, GROUP) if t.startswith("⚠️ The feed")]
    assert len(reports) == 1
    assert "/broken.xml could not be read: " in reports[0]
    assert "not an RSS or Atom feed" in reports[0]
    assert "Second round of Ukraine peace talks opens in Geneva" in alert


async def test_a_restart_reads_no_item_twice(
    botapi: BotAPIEmulator,
    make_bot: BotFactory,
    services: Services,
    page_server: PageServer,
    bot_settings: Settings,
    group: int,  # noqa: F811
) -> None:
    page_server.add("/news/istanbul-a", article("istanbul-a"))
    body = rss(page_server, ["istanbul-a"])  # no validators: every poll reads the whole feed
    wait_rss = counting(
        page_server,
        "/rss",
        lambda r: PageServerRoute(body.encode(), "application/rss+xml").serve(r),
    )
    first = make_bot(**FAST)
    async with polling(first):
        await command(botapi, f"/follow {TOPIC}")
        await command(botapi, f"/feed add {page_server.url('/rss')}")
        await botapi.wait_for_async(lambda: alerts(botapi, GROUP), timeout=30)
    polls = page_server.hits["/rss"]
    second = make_bot(**FAST)  # a new Application over the same state.db
    async with polling(second):
        await asyncio.to_thread(wait_rss, polls + 2)
        async with second.bot_data[LOCK_KEY]:
            pass
        await alerter_of(second).run(second.bot)
    assert page_server.hits["/news/istanbul-a"] == 1
    assert len(alerts(botapi, GROUP)) == 1


async def test_feeds_belong_to_the_chat_that_added_them_and_adding_one_is_ingest(
    botapi: BotAPIEmulator,
    make_bot: BotFactory,
    services: Services,
    page_server: PageServer,
    group: int,  # noqa: F811
) -> None:
    other = -1007007007007
    botapi.add_chat(other, "supergroup", title="Other newsroom")

    async def say_in(chat: int, text: str, user: int = ADMIN) -> str:
        before = len(texts(botapi, chat))
        botapi.queue_message(chat, text, user_id=user, chat_type="supergroup")
        await botapi.wait_for_async(lambda: len(texts(botapi, chat)) > before, timeout=30)
        return texts(botapi, chat)[before]

    rss_url = page_server.add("/rss", rss(page_server, []), "application/rss+xml")
    atom_url = page_server.add("/atom", atom(page_server, []), "application/atom+xml")
    async with polling(make_bot(admin_user_ids=str(ADMIN), **FAST)):
        # a chat admin who may not ingest may not add a feed either: its items are ingested
        refused = await say_in(group, f"/feed add {rss_url}", user=MEMBER)
        await say_in(group, f"/feed add {rss_url}")
        await say_in(other, f"/feed add {atom_url}")
        group_list = await say_in(group, "/feed list")
        other_list = await say_in(other, "/feed list")
        not_theirs = await say_in(other, "/feed remove 2")
        removed = await say_in(other, "/feed remove 1")
        group_after = await say_in(group, "/feed list")
        other_after = await say_in(other, "/feed list")
    assert refused == messages.NOT_ADMIN
    assert rss_url in group_list and atom_url not in group_list
    assert atom_url in other_list and rss_url not in other_list
    assert not_theirs == messages.feed_removed(None)
    assert removed.startswith("Removed the feed") and atom_url in removed
    assert rss_url in group_after
    assert other_after == messages.NO_FEEDS
