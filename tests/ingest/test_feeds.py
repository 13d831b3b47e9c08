"""RSS and Atom over real HTTP on 127.0.0.1: parsing, conditional GET, the summary fallback."""

from __future__ import annotations

from datetime import date
from http.server import BaseHTTPRequestHandler

import pytest

from ingest.errors import IngestError
from ingest.feeds import PageUnavailable, fetch_feed, item_briefing, parse_feed
from ingest.fetch import UrlFetcher
from tests.ingest.pageserver import PageServer

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Daily Test World</title><link>http://x/</link>
<item><title>Newer story</title><link>{base}/b</link><guid>urn:news:b</guid>
<pubDate>Tue, 03 Jun 2025 08:00:00 GMT</pubDate>
<description>&lt;p&gt;Second &lt;b&gt;summary&lt;/b&gt;.&lt;/p&gt;</description></item>
<item><title>Older story</title><link>{base}/a</link>
<pubDate>Mon, 02 Jun 2025 08:00:00 GMT</pubDate><description>First summary.</description></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Alpine Wire</title>
<entry><title>Treaty signed</title><id>urn:alpine:1</id><link href="{base}/treaty"/>
<updated>2025-06-05T09:00:00Z</updated>
<summary>Switzerland and France signed a treaty on water from Lake Geneva.
A commission will publish the level every week.</summary></entry>
</feed>"""


@pytest.fixture
def fetcher():
    with UrlFetcher(allowed_private=("127.0.0.1",), timeout=5.0) as f:
        yield f


def test_rss_items_come_oldest_first_with_ids_dates_and_plain_summaries() -> None:
    title, items = parse_feed(RSS.format(base="http://news.test").encode(), "http://news.test/rss")
    assert title == "Daily Test World"
    assert [i.title for i in items] == ["Older story", "Newer story"]
    older, newer = items
    assert older.id == "http://news.test/a"  # no guid: the link is the id
    assert newer.id == "urn:news:b"
    assert (older.published, newer.published) == (date(2025, 6, 2), date(2025, 6, 3))
    assert newer.summary == "Second summary."


def test_atom_entries_parse() -> None:
    title, [entry] = parse_feed(ATOM.format(base="http://a.test").encode(), "http://a.test/atom")
    assert (title, entry.id, entry.link) == ("Alpine Wire", "urn:alpine:1", "http://a.test/treaty")
    assert entry.published == date(2025, 6, 5)


@pytest.mark.parametrize(
    "body", [b"<html><body><p>Not a feed</p></body></html>", b"", b"\x00\x01binary"]
)
def test_what_is_not_a_feed_is_an_ingest_error(body: bytes) -> None:
    with pytest.raises(IngestError, match="not an RSS or Atom feed"):
        parse_feed(body, "http://news.test/feed")


def test_conditional_get_returns_not_modified(page_server: PageServer, fetcher) -> None:
    body = RSS.format(base=page_server.base_url).encode()

    def feed(request: BaseHTTPRequestHandler) -> None:
        if request.headers["If-None-Match"] == '"r1"':
            request.send_response(304)
            request.end_headers()
            return
        request.send_response(200)
        request.send_header("Content-Type", "application/rss+xml")
        request.send_header("Content-Length", str(len(body)))
        request.send_header("ETag", '"r1"')
        request.end_headers()
        request.wfile.write(body)

    url = page_server.add_handler("/rss", feed)
    first = fetch_feed(url, fetcher)
    assert not first.not_modified and len(first.items) == 2 and first.etag == '"r1"'
    again = fetch_feed(url, fetcher, etag=first.etag)
    assert again.not_modified and again.items == () and again.etag == '"r1"'


def test_an_item_whose_page_fails_falls_back_to_its_summary(
    page_server: PageServer, fetcher
) -> None:
    url = page_server.add("/atom", ATOM.format(base=page_server.base_url), "application/atom+xml")
    [entry] = fetch_feed(url, fetcher).items  # /treaty is not served: 404
    found = item_briefing(entry, fetcher, url)
    briefing = found.briefing
    assert found.from_summary
    assert briefing.title == "Treaty signed"
    assert briefing.text.startswith("Switzerland and France signed a treaty")
    assert briefing.url == page_server.url("/treaty")
    assert briefing.published == date(2025, 6, 5)
    assert page_server.hits["/treaty"] == 1


def test_the_feed_is_fetched_by_our_fetcher_only(page_server: PageServer, fetcher) -> None:
    url = page_server.add("/rss", RSS.format(base="http://192.168.1.1"), "application/rss+xml")
    items = fetch_feed(url, fetcher).items
    assert page_server.requests == [("GET", "/rss")]  # feedparser fetched nothing
    with pytest.raises(PageUnavailable, match="private or local network"):
        item_briefing(items[0].__class__(**{**items[0].__dict__, "summary": ""}), fetcher, url)


def test_a_body_that_looks_like_a_path_is_not_opened_as_a_file(tmp_path) -> None:
    local = tmp_path / "secret.xml"
    local.write_text(RSS.format(base="http://news.test"))
    with pytest.raises(IngestError, match="not an RSS or Atom feed"):
        parse_feed(str(local).encode(), "http://news.test/feed")


def test_fields_broken_markup_leaves_empty_are_empty_not_none() -> None:
    # Found by `make test`'s fuzzing: feedparser leaves None in the summary of this one.
    _, [item] = parse_feed(b"<ITEM<TITLE</CONTENT<", "http://feed.test")
    assert (item.title, item.summary, item.link) == ("", "", None)


def test_an_empty_summary_beside_full_content_keeps_the_content() -> None:
    atom = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Wire</title>
<entry><id>tag:wire,1</id><title>Dam talks</title><summary></summary>
<content type="html">&lt;p&gt;Both governments agreed to share the dam's water.&lt;/p&gt;</content>
<updated>2025-06-05T09:00:00Z</updated></entry></feed>"""
    _, [item] = parse_feed(atom.encode(), "http://wire.test/atom")
    assert item.summary == "Both governments agreed to share the dam's water."


@pytest.mark.parametrize("charset", ["koi8-r", "windows-1251"])
def test_the_response_charset_decodes_a_feed_that_does_not_declare_one(charset) -> None:
    rss = """<?xml version="1.0"?>
<rss version="2.0"><channel><title>Лента</title>
<item><guid>1</guid><title>Переговоры в Стамбуле</title>
<description>Делегации встретились в понедельник.</description></item></channel></rss>"""
    data = rss.encode(charset)
    title, [item] = parse_feed(
        data, "http://wire.test/rss", f"application/rss+xml; charset={charset}"
    )
    assert title == "Лента"
    assert item.title == "Переговоры в Стамбуле"
