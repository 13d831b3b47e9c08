"""Deterministic identities: normalised URLs, briefing ids and content versions."""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit, urlunsplit

from retrieval.types import Briefing

# Query parameters that only track the click; they never change what the page says.
_TRACKING_PARAMS = frozenset(
    {"fbclid", "gclid", "dclid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid"}
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _is_tracking(part: str) -> bool:
    key = part.split("=", 1)[0].lower()
    return key.startswith("utm_") or key in _TRACKING_PARAMS


def normalise_url(url: str) -> str:
    """Return url in canonical form: lower-case host, no fragment, tracking or default port."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:  # a non-numeric port: keep the netloc as written, lower-cased
        port, host = None, parts.netloc.lower()
    netloc = host
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        netloc = f"{host}:{port}"
    if parts.username is not None:
        userinfo = parts.netloc.rsplit("@", 1)[0]
        netloc = f"{userinfo}@{netloc}"
    path = parts.path or "/"
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    # Filter the raw query so the kept parameters stay byte-for-byte as the site wrote them.
    query = "&".join(p for p in parts.query.split("&") if p and not _is_tracking(p))
    return urlunsplit((scheme, netloc, path, query, ""))


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def briefing_id_for(url: str | None, text: str) -> str:
    """Return the briefing id: from the normalised URL when there is one, else from the text."""
    if url:
        return "u-" + _short_hash(normalise_url(url))
    return "t-" + _short_hash(" ".join(text.split()))


def content_version(briefing: Briefing) -> str:
    """Return a hash of the briefing's title, text and date, to spot an unchanged re-ingest."""
    published = briefing.published.isoformat() if briefing.published else ""
    payload = "\x1f".join((briefing.title, briefing.text, published))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]
