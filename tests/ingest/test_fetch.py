"""Fetching and loading URLs over real HTTP on 127.0.0.1 (tests/ingest/pageserver.py)."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler
from typing import Any

import httpx
import pytest

from ingest.errors import IngestError
from ingest.extract import extract_article
from ingest.fetch import UrlFetcher
from ingest.identity import briefing_id_for, normalise_url
from ingest.loaders import load_source, load_url
from tests.ingest.pageserver import PageServer
from tests.ingest.test_loaders import make_pdf

ARTICLE = """<!doctype html>
<html lang="en"><head>
<title>Istanbul talks end without ceasefire | Daily Test</title>
<meta property="og:title" content="Istanbul talks end without ceasefire">
<meta property="og:site_name" content="Daily Test">
<meta name="author" content="Jane Doe">
<meta property="article:published_time" content="2025-06-02T10:00:00Z">
</head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/world">World desk menu</a></li></ul></nav>
<article>
<h1>Istanbul talks end without ceasefire</h1>
<p>The second round of talks between the Ukrainian and Russian delegations ended in Istanbul
on Monday. The negotiations lasted for an hour.</p>
<p>Russia and Ukraine agreed to exchange 6,000 bodies of soldiers killed in the war, the Kyiv
negotiator said after the talks.</p>
<p>Russia rejected an unconditional ceasefire and proposed a partial truce of two to three
days in some areas of the front.</p>
</article>
<footer><p>Copyright 2025 Daily Test. Subscribe to our newsletter for more.</p></footer>
</body></html>
"""


class RequestLog:
    """Records every request an httpx client sends, to prove what was (not) contacted."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def __call__(self, request: httpx.Request) -> None:
        self.urls.append(str(request.url))


@pytest.fixture
def sent() -> RequestLog:
    return RequestLog()


@pytest.fixture
def hooks(sent: RequestLog) -> dict[str, list[RequestLog]]:
    """httpx event hooks that record every request a fetcher sends."""
    return {"request": [sent]}


@pytest.fixture
def make_fetcher(hooks) -> Iterator[Callable[..., UrlFetcher]]:
    """Builds fetchers that record their requests; closes them after the test."""
    made: list[UrlFetcher] = []

    def make(**options: Any) -> UrlFetcher:
        made.append(UrlFetcher(event_hooks=hooks, **options))
        return made[-1]

    yield make
    for fetcher in made:
        fetcher.close()


@pytest.fixture
def fetcher(make_fetcher) -> UrlFetcher:
    return make_fetcher(allowed_private=("127.0.0.1",), timeout=5.0)


# --- pages that load --------------------------------------------------------------------


def test_html_article_loads_with_metadata_and_without_boilerplate(page_server, fetcher):
    url = page_server.add("/world/istanbul-talks", ARTICLE)

    briefing = load_url(url, fetcher)

    assert briefing.title == "Istanbul talks end without ceasefire"
    assert briefing.published == date(2025, 6, 2)
    assert briefing.author == "Jane Doe"
    assert briefing.site == "Daily Test"
    assert "agreed to exchange 6,000 bodies" in briefing.text
    assert "proposed a partial truce" in briefing.text
    for boilerplate in ("World desk menu", "Subscribe to our newsletter", "Home"):
        assert boilerplate not in briefing.text
    assert briefing.url == url
    assert briefing.source == url
    assert briefing.id == briefing_id_for(url, "")


def test_same_article_with_tracking_params_gets_the_same_id(page_server, fetcher):
    url = page_server.add("/story/", ARTICLE)

    plain = load_url(url, fetcher)
    tracked = load_url(url + "?utm_source=telegram&utm_medium=share#comments", fetcher)

    assert tracked.id == plain.id
    assert tracked.url == plain.url == normalise_url(url)


def test_redirects_are_followed_but_the_given_link_is_the_identity(page_server, fetcher):
    final = page_server.add("/article", ARTICLE)
    start = page_server.redirect("/short", "/hop")
    page_server.redirect("/hop", final, status=301)

    page = fetcher.fetch(start)
    briefing = load_url(start, fetcher)

    assert page.url == final
    assert page.status == 200
    assert briefing.url == start
    assert briefing.id == briefing_id_for(start, "")


def test_plain_text_page_loads_with_the_text_rules(page_server, fetcher):
    url = page_server.add(
        "/brief.txt",
        "date 2025-06-04 Grain corridor reopens\n\nShips left Odesa on Wednesday.",
        content_type="text/plain; charset=utf-8",
    )

    briefing = load_url(url, fetcher)

    assert briefing.published == date(2025, 6, 4)
    assert briefing.title == "Grain corridor reopens"
    assert briefing.text == "Ships left Odesa on Wednesday."
    assert briefing.url == url


def test_pdf_over_http_loads(page_server, fetcher):
    pdf = make_pdf(["Talks in Istanbul", "A prisoner exchange was agreed."], title="PDF brief")
    url = page_server.add("/brief.pdf", pdf, content_type="application/pdf")

    [briefing] = load_source(url, fetcher=fetcher)

    assert briefing.title == "PDF brief"
    assert "A prisoner exchange was agreed." in briefing.text
    assert briefing.url == url


def test_an_allowed_network_may_be_given_as_cidr(page_server, make_fetcher):
    url = page_server.add("/a", ARTICLE)

    page = make_fetcher(allowed_private=("127.0.0.0/8",)).fetch(url)

    assert page.media_type == "text/html"
    assert page.charset == "utf-8"


# --- addresses that are refused before connecting ---------------------------------------


@pytest.mark.parametrize(
    ("target", "address"),
    [
        ("http://10.255.255.1/", "10.255.255.1"),
        ("http://169.254.169.254/latest/", "169.254.169.254"),
    ],
)
def test_redirect_to_a_private_address_is_refused_without_connecting(
    page_server, fetcher, sent, target, address
):
    url = page_server.redirect("/go", target)

    with pytest.raises(IngestError) as caught:
        fetcher.fetch(url)

    assert str(caught.value) == (
        f"Could not ingest {url}: {address} points to a private or local network address "
        f"({address}), which briefbot does not fetch; send a public link"
    )
    assert sent.urls == [url]  # only the allowed first hop was ever contacted


def test_loopback_is_refused_unless_allowed(page_server, make_fetcher, sent):
    url = page_server.add("/a", ARTICLE)

    with pytest.raises(IngestError, match=r"private or local network address \(127\.0\.0\.1\)"):
        make_fetcher().fetch(url)

    assert page_server.hits["/a"] == 0
    assert sent.urls == []


class FakeDns:
    """Answers for made-up host names, one answer per lookup (the last repeats); every other
    name goes to the real resolver. Counts the lookups of each made-up name."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[str]]) -> None:
        self.answers = answers
        self.lookups: dict[str, int] = dict.fromkeys(answers, 0)
        self._real = socket.getaddrinfo
        monkeypatch.setattr(socket, "getaddrinfo", self.getaddrinfo)

    def getaddrinfo(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in self.answers:
            return self._real(host, port, *args, **kwargs)
        seen = self.lookups[host]
        self.lookups[host] += 1
        address = self.answers[host][min(seen, len(self.answers[host]) - 1)]
        return self._real(address, port, *args, **kwargs)


def test_a_name_that_turns_private_after_the_check_is_refused_when_connecting(
    page_server, fetcher, monkeypatch
):
    # DNS rebinding: 127.0.0.1 (allowed here) for the check, then 127.0.0.2 (not allowed).
    # The HTTP stack must not resolve the name again behind the check's back.
    page_server.add("/a", ARTICLE)
    dns = FakeDns(monkeypatch, {"rebind.test": ["127.0.0.1", "127.0.0.2"]})
    url = f"http://rebind.test:{page_server.port}/a"

    with pytest.raises(IngestError) as caught:
        fetcher.fetch(url)

    assert str(caught.value) == (
        f"Could not ingest {url}: rebind.test points to a private or local network address "
        "(127.0.0.2), which briefbot does not fetch; send a public link"
    )
    assert page_server.hits["/a"] == 0
    assert dns.lookups["rebind.test"] == 2  # the check, then the connection: nothing else


def test_the_connection_goes_to_the_address_that_was_vetted(page_server, fetcher, monkeypatch):
    url = page_server.add("/a", ARTICLE).replace("127.0.0.1", "pinned.test")
    dns = FakeDns(monkeypatch, {"pinned.test": ["127.0.0.1"]})

    page = fetcher.fetch(url)

    assert page.url == url  # the Host is still the name; only the socket went to the address
    assert b"Istanbul talks end without ceasefire" in page.body
    assert page_server.hits["/a"] == 1
    assert dns.lookups["pinned.test"] == 2


@pytest.mark.parametrize(
    "url",
    [
        "http://[::1]/",
        "http://0.0.0.0/",
        "http://[::ffff:10.0.0.1]/",
        "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
        "http://[2002:c0a8:101::1]/",  # 6to4 of 192.168.1.1
        "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",  # Teredo
        "http://100.64.0.1/",
        "http://224.0.0.1/",
        "http://192.168.1.1:8080/admin",
    ],
)
def test_non_public_addresses_are_refused_without_connecting(fetcher, sent, url):
    with pytest.raises(IngestError, match="private or local network address"):
        fetcher.fetch(url)

    assert sent.urls == []


def test_other_schemes_are_refused(fetcher, sent):
    with pytest.raises(IngestError) as caught:
        fetcher.fetch("ftp://example.org/file.txt")

    assert str(caught.value) == (
        "Could not ingest ftp://example.org/file.txt: "
        "only http and https links are supported, not ftp"
    )
    assert sent.urls == []


def test_too_many_redirects_are_refused(page_server, fetcher):
    url = page_server.redirect("/loop", "/loop")

    with pytest.raises(IngestError, match="redirects more than 5 times"):
        fetcher.fetch(url)

    assert page_server.hits["/loop"] == 6


# --- failures -----------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "reason"), [(404, "Not Found"), (500, "Internal Server Error")])
def test_http_errors_name_the_status(page_server, fetcher, status, reason):
    url = page_server.add("/gone", "nope", content_type="text/plain", status=status)

    with pytest.raises(IngestError) as caught:
        load_url(url, fetcher)

    assert str(caught.value) == (
        f"Could not ingest {url}: the server answered HTTP {status} {reason}; "
        "check that the link works"
    )


def test_unrouted_path_is_a_404(page_server, fetcher):
    with pytest.raises(IngestError, match="HTTP 404"):
        fetcher.fetch(page_server.url("/nothing-here"))


def test_slow_server_times_out(page_server, make_fetcher):
    def stall(request: BaseHTTPRequestHandler) -> None:
        page_server.stopping.wait(30)  # released when the server stops, in teardown

    url = page_server.add_handler("/slow", stall)
    fetcher = make_fetcher(allowed_private=("127.0.0.1",), timeout=0.3)

    with pytest.raises(IngestError) as caught:
        fetcher.fetch(url)

    assert str(caught.value) == (
        f"Could not ingest {url}: 127.0.0.1 timed out after 0.3 s; "
        "the site may be slow or down, try again later"
    )


def test_a_page_that_trickles_in_is_cut_off_at_the_deadline(page_server, make_fetcher):
    """One byte every 50 ms never trips the per-read timeout; the whole-download deadline ends
    it (the 1 s deadline here stands for FETCH_DEADLINE's 60 s)."""

    def trickle(request: BaseHTTPRequestHandler) -> None:
        request.send_response(200)
        request.send_header("Content-Type", "text/html")
        request.end_headers()
        try:
            while not page_server.stopping.wait(0.05):  # the server's pace, not a test wait
                request.wfile.write(b"x")
                request.wfile.flush()
        except OSError:
            pass  # the client hung up: what the test wants

    url = page_server.add_handler("/trickle", trickle)
    fetcher = make_fetcher(allowed_private=("127.0.0.1",), timeout=5, deadline=1)
    started = time.monotonic()

    with pytest.raises(IngestError) as caught:
        fetcher.fetch(url)

    assert time.monotonic() - started < 5  # well before the per-read timeout could act
    assert str(caught.value) == (
        f"Could not ingest {url}: 127.0.0.1 sent the page too slowly (stopped after at most "
        "1 s); the site may be overloaded, try again later"
    )


def test_huge_body_stops_the_download_early(page_server, make_fetcher):
    total = 64 * 1024 * 1024
    done = threading.Event()
    sent_bytes: list[int] = [0]

    def stream(request: BaseHTTPRequestHandler) -> None:
        # No Content-Length: the body ends when the connection closes (HTTP/1.0).
        request.send_response(200)
        request.send_header("Content-Type", "text/html")
        request.end_headers()
        chunk = b"<p>" + b"x" * 65_529 + b"</p>"
        try:
            while sent_bytes[0] < total:
                request.wfile.write(chunk)
                sent_bytes[0] += len(chunk)
        finally:
            done.set()

    url = page_server.add_handler("/huge", stream)
    fetcher = make_fetcher(max_bytes=200_000, allowed_private=("127.0.0.1",))

    with pytest.raises(IngestError) as caught:
        fetcher.fetch(url)

    assert str(caught.value) == (
        f"Could not ingest {url}: the page is larger than the 200,000-byte download limit; "
        "raise MAX_DOWNLOAD_BYTES to allow it"
    )
    assert done.wait(10), "the server kept sending after the client gave up"
    assert sent_bytes[0] < total // 2


def test_declared_oversize_body_is_refused_before_reading(page_server, make_fetcher):
    url = page_server.add("/big", b"x" * 300_000, content_type="text/plain")
    fetcher = make_fetcher(max_bytes=200_000, allowed_private=("127.0.0.1",))

    with pytest.raises(IngestError, match="larger than the 200,000-byte download limit"):
        fetcher.fetch(url)


def test_connection_refused_is_reported(fetcher):
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/a"

    with pytest.raises(IngestError) as caught:
        fetcher.fetch(url)

    assert str(caught.value) == (
        f"Could not ingest {url}: could not connect to 127.0.0.1; "
        "the site may be down, try again later"
    )


def test_binary_response_is_not_a_text_page(page_server, fetcher):
    url = page_server.add("/photo", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, content_type="image/png")

    with pytest.raises(IngestError) as caught:
        load_url(url, fetcher)

    assert str(caught.value) == (
        f"Could not ingest {url}: the link is not a text page (content type image/png); "
        "send an article, text or PDF"
    )


def test_empty_html_page_has_no_article_text(page_server, fetcher):
    url = page_server.add(
        "/empty", "<!doctype html><html><head><title>x</title></head><body></body></html>"
    )

    with pytest.raises(IngestError) as caught:
        load_url(url, fetcher)

    assert str(caught.value) == (
        f"Could not ingest {url}: the page has no readable article text; "
        "send the article's own page or paste its text"
    )


# --- privacy and no side doors --------------------------------------------------------------


def test_logs_name_the_host_but_not_the_query(page_server, fetcher, caplog):
    url = page_server.add("/a", ARTICLE) + "?token=s3cret-value"

    with caplog.at_level(logging.DEBUG):
        load_url(url, fetcher)

    # httpx's own request log is silenced to WARNING by the entry points (STYLE.md, Logging);
    # everything this project and its extractor log must not carry the query.
    ours = [r.getMessage() for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    assert "fetched 127.0.0.1: HTTP 200, 1026 bytes" in ours
    assert not [m for m in ours if "s3cret-value" in m]


def test_extraction_never_downloads_the_url_it_is_given(page_server):
    url = page_server.add("/canary", ARTICLE)

    briefing = extract_article(ARTICLE, url, "test")
    with pytest.raises(IngestError, match="no readable article text"):
        extract_article(url, url, "test")  # even when the "HTML" is itself a link

    assert briefing.published == date(2025, 6, 2)
    assert page_server.hits["/canary"] == 0


def test_page_server_serves_routes_for_other_tests():
    with PageServer() as server:
        url = server.add("/feed.xml", "<rss/>", content_type="application/rss+xml")
        response = httpx.get(url, trust_env=False)

    assert response.headers["content-type"] == "application/rss+xml"
    assert response.text == "<rss/>"
    assert server.requests == [("GET", "/feed.xml")]


# --- conditional GET (feeds) -------------------------------------------------------------


def test_a_conditional_get_sends_the_validators_and_returns_304_without_error(page_server, fetcher):
    seen: list[tuple[str | None, str | None]] = []

    def feed(request: BaseHTTPRequestHandler) -> None:
        seen.append((request.headers["If-None-Match"], request.headers["If-Modified-Since"]))
        if request.headers["If-None-Match"] == '"v1"':
            request.send_response(304)
            request.send_header("ETag", '"v1"')
            request.end_headers()
            return
        body = b"<rss/>"
        request.send_response(200)
        request.send_header("Content-Type", "application/rss+xml")
        request.send_header("Content-Length", str(len(body)))
        request.send_header("ETag", '"v1"')
        request.send_header("Last-Modified", "Mon, 02 Jun 2025 10:00:00 GMT")
        request.end_headers()
        request.wfile.write(body)

    url = page_server.add_handler("/feed.xml", feed)
    first = fetcher.fetch(url)
    assert (first.status, first.body, first.not_modified) == (200, b"<rss/>", False)
    assert (first.etag, first.last_modified) == ('"v1"', "Mon, 02 Jun 2025 10:00:00 GMT")
    again = fetcher.fetch(
        url, headers={"If-None-Match": first.etag, "If-Modified-Since": first.last_modified}
    )
    assert (again.status, again.body, again.not_modified) == (304, b"", True)
    assert seen == [(None, None), ('"v1"', "Mon, 02 Jun 2025 10:00:00 GMT")]


def test_the_fetcher_uses_only_the_public_api_of_httpx_and_httpcore():
    """Pinning connections once reached into httpx's transport (`_pool._network_backend`),
    which an upgrade may rename; httpcore's ConnectionPool(network_backend=...) is public."""
    import ast
    import inspect

    from ingest import fetch as fetch_module

    tree = ast.parse(inspect.getsource(fetch_module))
    private = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
            and not (isinstance(node.value, ast.Name) and node.value.id in {"self", "cls"})
        ):
            private.append(f"line {node.lineno}: .{node.attr}")
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in {"getattr", "setattr", "hasattr"}
            and len(node.args) > 1
            and isinstance(node.args[1], ast.Constant)
            and str(node.args[1].value).startswith("_")
        ):
            private.append(f"line {node.lineno}: {node.func.id}(…, {node.args[1].value!r})")
    assert private == []
