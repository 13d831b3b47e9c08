"""Polling feeds: back-off and reports on failure, a bug in one feed never stops the others."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.feeds.poller import FeedPoller
from bot.state.database import BotState
from bot.state.feeds import add_feed, all_feeds
from ingest.fetch import UrlFetcher
from ingest.pipeline import Ingester
from retrieval.types import Briefing
from tests.bot.feeds.pages import article, rss
from tests.ingest.pageserver import PageServer

GROUP = -1002003004005


def test_failures_back_off_and_success_resets(
    tmp_path: Path, ingester: Ingester, page_server: PageServer
) -> None:
    state = BotState(tmp_path / "state.db")
    url = page_server.add("/feed", "<html>no</html>")
    feed, _ = add_feed(state, url, chat_id=GROUP)
    with UrlFetcher(allowed_private=("127.0.0.1",)) as fetcher:
        poller = FeedPoller(state, ingester, fetcher)
        reports, waits = [], []
        for now in (1000.0, 2000.0, 3000.0):
            [feed] = all_feeds(state)
            outcome = poller.poll(feed, 60.0, now=now)
            reports.append(outcome.report)
            waits.append(all_feeds(state)[0].next_poll - now)
        assert reports == [(GROUP,), (), ()]
        assert waits == [60.0, 120.0, 240.0]
        page_server.add("/feed", rss(page_server, []), "application/rss+xml")
        outcome = poller.poll(all_feeds(state)[0], 60.0, now=4000.0)
        [feed] = all_feeds(state)
    assert outcome.error == "" and (feed.failures, feed.reported, feed.last_error) == (0, 0, "")
    assert feed.next_poll == 4060.0
    state.close()


def test_an_unexpected_error_is_reported_once_backed_off_and_stops_no_other_feed(
    tmp_path: Path, ingester: Ingester, page_server: PageServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in ("istanbul-a", "ecb-rates"):
        page_server.add(f"/news/{key}", article(key))
    buggy = page_server.add("/buggy.xml", rss(page_server, ["istanbul-a"]), "application/rss+xml")
    good = page_server.add("/good.xml", rss(page_server, ["ecb-rates"]), "application/rss+xml")
    real_ingest = ingester.ingest

    def ingest(briefing: Briefing) -> object:
        if "istanbul" in (briefing.url or ""):
            raise KeyError("a bug")  # not a BriefbotError: nothing handles it on purpose
        return real_ingest(briefing)

    monkeypatch.setattr(ingester, "ingest", ingest)
    state = BotState(tmp_path / "state.db")
    add_feed(state, buggy, chat_id=GROUP)
    add_feed(state, good, chat_id=None)
    with UrlFetcher(allowed_private=("127.0.0.1",)) as fetcher:
        poller = FeedPoller(state, ingester, fetcher)
        first = poller.poll_due(60.0, now=1000.0)
        second = poller.poll_due(60.0, now=1061.0)  # both due again
    broken, fine = first
    assert broken.error == "unexpected error (KeyError)" and broken.report == (GROUP,)
    assert fine.error == "" and fine.added == 1  # the other feed went on
    again, fine_again = second
    assert again.error == broken.error and again.report == ()  # reported once only
    assert fine_again.error == "" and fine_again.added == 0  # its item is not read twice
    feeds = {f.url: f for f in all_feeds(state)}
    assert feeds[buggy].failures == 2 and feeds[buggy].next_poll == 1061.0 + 120.0
    state.close()


def test_one_feed_under_two_spellings_is_one_feed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bot.state.database import BotState

    state = BotState(tmp_path / "state.db")
    first, created = add_feed(state, "https://news.example.com/rss", chat_id=GROUP)
    again, created_again = add_feed(state, "HTTPS://News.Example.com:443/rss#latest", chat_id=GROUP)
    assert created and not created_again
    assert again.id == first.id and again.url == "https://news.example.com/rss"
    assert len(all_feeds(state)) == 1
    state.close()


def test_an_item_whose_page_is_down_and_has_no_summary_is_tried_again(
    tmp_path: Path, ingester: Ingester, page_server: PageServer
) -> None:
    state = BotState(tmp_path / "state.db")
    url = page_server.add(
        "/down.xml",
        rss(page_server, ["ecb-rates"]),
        "application/rss+xml",
        headers={"ETag": '"v1"'},
    )
    add_feed(state, url, chat_id=GROUP)
    with UrlFetcher(allowed_private=("127.0.0.1",)) as fetcher:
        poller = FeedPoller(state, ingester, fetcher)
        first = poller.poll(all_feeds(state)[0], 60.0, now=1000.0)  # /news/ecb-rates: 404
        assert (first.added, first.retry, first.error) == (0, 1, "")
        assert all_feeds(state)[0].etag == ""  # else the next poll's 304 would hide the item
        page_server.add("/news/ecb-rates", article("ecb-rates"))
        second = poller.poll(all_feeds(state)[0], 60.0, now=2000.0)
    assert (second.added, second.retry) == (1, 0)
    assert all_feeds(state)[0].etag == '"v1"'
    state.close()
