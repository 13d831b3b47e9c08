"""Words the bot and the CLI both show: counts ("1 briefing", "2 briefings"), outlets
("kyivindependent.com") and the other outlets of a statement ("also: usatoday.com")."""

from __future__ import annotations

from urllib.parse import urlsplit

from ingest.links import is_http_url
from retrieval.types import Citation

_MAX_OUTLET = 64  # a longer host is not shown: it would crowd the quote out


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """`count` and the noun in the number it takes ("1 sentence", "0 sentences"); `plural`
    for a noun that does not just add an s ("1 entry", "3 entries")."""
    return f"{count:,} {singular if count == 1 else plural or singular + 's'}"


def safe_url(url: str | None) -> str | None:
    """The URL if it is an absolute http(s) URL that may be linked, else None."""
    if not url:
        return None
    url = url.strip()
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        return None
    return url if is_http_url(url) else None


def outlet_of(url: str | None) -> str:
    """The outlet a briefing came from, as its web address's host ("kyivindependent.com")."""
    host = urlsplit(url).hostname if url and safe_url(url) else None
    host = host.removeprefix("www.") if host else ""
    return host if len(host) <= _MAX_OUTLET else ""


def also_in(citation: Citation, shown: int = 3) -> str:
    """The other outlets that report a cited statement ("usatoday.com, cnn.com and 2 more"),
    each by its host, else its title; "" for none."""
    titles = (outlet_of(a.url) or " ".join(a.title.split()) for a in citation.also)
    names = [n for n in dict.fromkeys(titles) if n]
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more
