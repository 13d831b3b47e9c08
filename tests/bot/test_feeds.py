"""Feeds end to end: RSS and Atom from a page server on 127.0.0.1, alerts on the emulator."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

import bot.cli
import bot.cli_alerts
from bot import messages
from bot.cli import main
from bot.feeds_job import add_feed, list_feeds, poll_feed
from bot.services import Services, build_services
from bot.settings import Settings
from bot.state import BotState
from bot.telegram_alerts import alerter_of
from bot.telegram_feeds import LOCK_KEY
from ingest.pipeline import Ingester
from tests.bot.alert_examples import examples
from tests.bot.botapi import BotAPIEmulator, polling
from tests.bot.conftest import BotFactory
from tests.bot.test_alerts import GROUP, MEMBER, TOPIC, alerts, command, group, texts  # noqa: F401
from tests.ingest.pageserver import PageServer
from tests.ingest.pageserver import Route as PageServerRoute

FAST = {"alert_interval": 0.5, "inbox_interval": 0.5, "feed_interval": 0.2}


def article(key: str, day: str = "2025-06-02") -> str:
    """An example briefing as a news page."""
    b = examples()["briefings"][key]
    paragraphs = "".join(f"<p>{s.strip()}.</p>" for s in b["text"].split(". ") if s.strip())
    return (
        f"<!doctype html><html><head><title>{b['title']}</title>"
        f'<meta property="og:title" content="{b["title"]}">'
        f'<meta property="article:published_time" content="{day}T09:00:00Z">'
        f"</head><body><nav>Home | World</nav><article><h1>{b['title']}</h1>{paragraphs}"
        "</article><footer>© Test News</footer></body></html>"
    )


def rss(server: PageServer, keys: list[str]) -> str:
    items = "".join(
        f"<item><title>{examples()['briefings'][k]['title']}</title>"
        f"<link>{server.url('/news/' + k)}</link><guid>urn:test:{k}</guid>"
        "<pubDate>Mon, 02 Jun 2025 08:00:00 GMT</pubDate></item>"
        for k in keys
    )
    channel = f"<channel><title>Test</title>{items}</channel>"
    return f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'


def atom(server: PageServer, keys: list[str], *, summaries: bool = False) -> str:
    entries = ""
    for k in keys:
        b = examples()["briefings"][k]
        summary = f"<summary>{b['text']}</summary>" if summaries else ""
        entries += (
            f"<entry><title>{b['title']}</title><id>urn:atom:{k}</id>"
            f'<link href="{server.url("/other/" + k)}"/><updated>2025-06-02T10:00:00Z</updated>'
            f"{summary}</entry>"
        )
    return f'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Other</title>{entries}</feed>'


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
    assert [f.url for f in list_feeds(state)] == [page_server.url("/rss")]
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


def test_failures_back_off_and_success_resets(
    tmp_path: Path, ingester: Ingester, page_server: PageServer
) -> None:
    from ingest.fetch import UrlFetcher

    state = BotState(tmp_path / "state.db")
    url = page_server.add("/feed", "<html>no</html>")
    feed, _ = add_feed(state, url, chat_id=GROUP)
    with UrlFetcher(allowed_private=("127.0.0.1",)) as fetcher:
        reports, waits = [], []
        for now in (1000.0, 2000.0, 3000.0):
            [feed] = list_feeds(state)
            outcome = poll_feed(state, ingester, fetcher, feed, 60.0, now=now)
            reports.append(outcome.report)
            waits.append(list_feeds(state)[0].next_poll - now)
        assert reports == [True, False, False]
        assert waits == [60.0, 120.0, 240.0]
        page_server.add("/feed", rss(page_server, []), "application/rss+xml")
        outcome = poll_feed(state, ingester, fetcher, list_feeds(state)[0], 60.0, now=4000.0)
        [feed] = list_feeds(state)
    assert outcome.error == "" and (feed.failures, feed.reported, feed.last_error) == (0, 0, "")
    assert feed.next_poll == 4060.0
    state.close()


def test_cli_feed_add_list_poll_remove(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    page_server: PageServer,
    model: Any,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ALLOW_PRIVATE_HOSTS", "127.0.0.1")
    monkeypatch.setattr(bot.cli, "build_services", lambda s: build_services(s, model=model))
    monkeypatch.setattr(bot.cli_alerts, "build_services", lambda s: build_services(s, model=model))
    page_server.add("/news/lake-geneva", article("lake-geneva"))
    url = page_server.add("/rss", rss(page_server, ["lake-geneva"]), "application/rss+xml")
    assert main(["feed", "add", url]) == 0
    assert main(["feed", "poll"]) == 0
    assert main(["feed", "poll"]) == 0
    assert main(["feed", "list"]) == 0
    assert main(["list", "--json"]) == 0
    assert main(["feed", "remove", "1"]) == 0
    assert main(["feed", "remove", "1"]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert f"{url}: 1 new" in out and f"{url}: 0 new" in out
    assert "Lake Geneva water treaty signed" in out
    assert f"Removed {url}" in out and "No feed number 1" in out


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
