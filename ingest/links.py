"""Web links: the one place that says whether a text is an http(s) link."""

from __future__ import annotations

from urllib.parse import urlsplit

_SCHEMES = ("http://", "https://")


def looks_like_http(text: str) -> bool:
    """Whether text starts like a web link (the fetcher then checks the rest, with reasons)."""
    return text.strip().lower().startswith(_SCHEMES)


def is_http_url(text: str) -> bool:
    """Whether text is an absolute http(s) link with a host name."""
    try:
        parts = urlsplit(text.strip())
        host = parts.hostname
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(host)
