"""Generated input for the HTML, PDF, feed and .jsonl loaders: each either gives briefings or
fails with the clear IngestError, never another exception.

`make test` tries a few dozen inputs per loader; `make fuzz` many more (FUZZ_EXAMPLES).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ingest.errors import IngestError
from ingest.feeds import parse_feed
from ingest.loaders import load_bytes, load_jsonl

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "30"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

TAGS = ["p", "div", "article", "h1", "title", "script", "style", "meta", "a", "br", "table"]
html_parts = st.one_of(
    st.text(max_size=80),
    st.sampled_from(TAGS).map(lambda t: f"<{t}>"),
    st.sampled_from(TAGS).map(lambda t: f"</{t}>"),
    st.just('<meta property="og:title" content="'),
    st.just("<!doctype html><html><head>"),
    st.just("&amp;&#0;&#x110000;&bogus;"),
)
feed_parts = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        [
            '<?xml version="1.0" encoding="utf-8"?>',
            '<rss version="2.0"><channel>',
            '<feed xmlns="http://www.w3.org/2005/Atom">',
            "<item>", "</item>", "<entry>", "</entry>", "<title>", "</title>",
            "<link>http://example.com/a</link>", "<description>", "</description>",
            "<pubDate>Mon, 02 Jun 2025 08:00:00 GMT</pubDate>", "<guid>", "</guid>",
            "<content type=\"html\">&lt;p&gt;", "</content>", "<![CDATA[", "]]>",
        ]
    ),
)  # fmt: skip


def _expect_clear(call: Callable[[], object]) -> None:
    with contextlib.suppress(IngestError):  # anything else fails the test
        call()


@FUZZ
@given(st.lists(html_parts, max_size=40).map("".join), st.sampled_from(["utf-8", "cp1252"]))
def test_html_loader_gives_a_briefing_or_a_clear_error(html: str, encoding: str) -> None:
    data = html.encode(encoding, errors="replace")
    _expect_clear(lambda: load_bytes(data, "page.html", "page.html"))


@FUZZ
@given(st.binary(max_size=2_000), st.sampled_from([b"", b"%PDF-1.4\n", b"%PDF-1.7\n%\xe2\xe3"]))
def test_pdf_loader_gives_a_briefing_or_a_clear_error(body: bytes, header: bytes) -> None:
    _expect_clear(lambda: load_bytes(header + body, "doc.pdf", "doc.pdf"))


@FUZZ
@given(st.lists(feed_parts, max_size=40).map("".join))
@example("<ITEM<TITLE</CONTENT<")  # feedparser left None in its summary
def test_feed_parser_gives_items_or_a_clear_error(feed: str) -> None:
    _expect_clear(lambda: parse_feed(feed.encode("utf-8", errors="replace"), "http://feed.test"))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
rows = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={k: json_values for k in ("id", "title", "text", "date", "url")},
    ).map(json.dumps),
    st.text(max_size=60),
)


@FUZZ
@given(lines=st.lists(rows, max_size=8))
def test_jsonl_loader_gives_briefings_or_a_clear_error(lines: list[str], tmp_path: Path) -> None:
    path = tmp_path / "fuzz.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8", errors="replace")
    _expect_clear(lambda: load_jsonl(path))
