"""RSS and Atom feeds: parse bytes fetched with UrlFetcher, turn new items into briefings.

feedparser only ever parses a stream of bytes given to it here: it never fetches or opens
anything itself (our fetcher checks addresses, caps sizes and re-checks redirects). Conditional
GET: pass the validators of the previous answer; a 304 comes back as
`FeedFetch(not_modified=True)`.
"""

from __future__ import annotations

import calendar
import hashlib
import io
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import feedparser
import lxml.etree
import lxml.html

from ingest.errors import IngestError
from ingest.fetch import UrlFetcher
from ingest.loaders import load_text, load_url
from retrieval.errors import BriefbotError
from retrieval.types import Briefing

log = logging.getLogger(__name__)

_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.1"


@dataclass(frozen=True)
class FeedItem:
    """One entry of a feed: its stable id, link, title, summary text and date."""

    id: str
    title: str
    link: str | None
    summary: str
    published: date | None


@dataclass(frozen=True)
class FeedFetch:
    """One poll of a feed: its items (oldest first) and the validators for the next poll."""

    not_modified: bool
    title: str = ""
    items: tuple[FeedItem, ...] = ()
    etag: str = ""
    last_modified: str = ""


def _text(html: str) -> str:
    """Plain text of an HTML fragment (a feed's summary)."""
    if not html.strip():
        return ""
    try:
        tree = lxml.html.fragment_fromstring(html, create_parent="div")
    except (ValueError, lxml.etree.ParserError):
        return " ".join(html.split())
    return " ".join(tree.text_content().split())


def _date(entry: Any) -> date | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if not parsed:
        return None
    return datetime.fromtimestamp(calendar.timegm(parsed), UTC).date()


def _string(value: Any) -> str:
    # feedparser leaves None in fields of broken markup ("<ITEM<TITLE</CONTENT<"): never "None".
    return value if isinstance(value, str) else ""


def _item(entry: Any) -> FeedItem:
    link = _string(entry.get("link")) or None
    # The item's own text: its full <content> when the feed gives one, else its <summary>
    # (an empty <summary> beside a full <content> used to leave the item with no text).
    contents = [_text(_string(c.get("value"))) for c in entry.get("content") or ()]
    summary = max([*contents, _text(_string(entry.get("summary")))], key=len)
    ident = entry.get("id") or link
    if not ident:  # no id and no link: the content is the identity
        ident = hashlib.sha256(f"{_string(entry.get('title'))}\x1f{summary}".encode()).hexdigest()
    return FeedItem(
        id=str(ident),
        title=" ".join(_string(entry.get("title")).split()),
        link=link,
        summary=summary,
        published=_date(entry),
    )


def parse_feed(data: bytes, url: str, content_type: str = "") -> tuple[str, tuple[FeedItem, ...]]:
    """The feed's title and items, oldest first; IngestError if the bytes are no RSS or Atom.

    content_type is the response's Content-Type: its charset is how KOI8-R, Shift-JIS or
    windows-1255 feeds are decoded right."""
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    # A stream, never bytes: feedparser opens bytes that look like a path as a local file.
    parsed = feedparser.parse(io.BytesIO(data), response_headers=headers)
    if not parsed.get("version") and not parsed.entries:
        problem = parsed.get("bozo_exception")
        detail = f" ({type(problem).__name__}: {problem})" if problem else ""
        raise IngestError(url, f"this is not an RSS or Atom feed{detail}; check the feed's link")
    items = [_item(e) for e in parsed.entries]
    items.reverse()  # feeds list the newest first
    items.sort(key=lambda i: i.published or date.min)  # stable: undated keep feed order
    return " ".join(str(parsed.feed.get("title", "")).split()), tuple(items)


def fetch_feed(
    url: str, fetcher: UrlFetcher, *, etag: str = "", last_modified: str = ""
) -> FeedFetch:
    """Fetch (conditionally) and parse a feed; IngestError when it cannot be read."""
    headers = {"Accept": _ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    page = fetcher.fetch(url, headers=headers)
    if page.not_modified:
        validators = (page.etag or etag, page.last_modified or last_modified)
        return FeedFetch(True, etag=validators[0], last_modified=validators[1])
    title, items = parse_feed(page.body, url, page.content_type)
    return FeedFetch(False, title, items, page.etag, page.last_modified)


class PageUnavailable(IngestError):
    """The item's page could not be read and the feed gives no text of it: try again later."""


@dataclass(frozen=True)
class ItemBriefing:
    """A feed item as a briefing; `from_summary` when its page could not be read."""

    briefing: Briefing
    from_summary: bool = False


def item_briefing(item: FeedItem, fetcher: UrlFetcher, feed_url: str) -> ItemBriefing:
    """The item's page as a briefing, or the feed's own text of it when the page cannot be
    fetched or read. PageUnavailable when neither is there (the caller tries again later);
    IngestError when the item has no link and no text (nothing to try again)."""
    fell_back = False
    if item.link:
        try:
            return ItemBriefing(load_url(item.link, fetcher))
        except BriefbotError as e:
            if not item.summary:
                reason = e.reason if isinstance(e, IngestError) else str(e)
                raise PageUnavailable(item.link, reason) from e
            log.info("feed item page unreadable (%s); using the feed's summary", e)
            fell_back = True
    if not item.summary:
        raise IngestError(item.link or feed_url, "the feed item has neither a page nor a summary")
    briefing = load_text(
        item.summary,
        item.link or feed_url,
        url=item.link,
        title=item.title or None,
        published=item.published,
    )
    return ItemBriefing(briefing, from_summary=fell_back)
