"""Feeds and article pages made from the labelled alert examples, for the page server."""

from __future__ import annotations

from tests.bot.alerts.alert_examples import examples
from tests.ingest.pageserver import PageServer


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
