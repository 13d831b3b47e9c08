"""Deterministic identities: normalised URLs, briefing ids and content versions."""

from __future__ import annotations

import hashlib
import re
import string
from urllib.parse import SplitResult, quote, urlsplit, urlunsplit

from courlan.clean import TRACKERS_RE

from retrieval.types import Briefing

# The version of the rules below: a store whose URLs were made canonical by older rules has
# them made canonical again, and the briefings that turn out to be one article merged
# (retrieval/index/articles.py, called from bot/services.py).
URL_RULES = 2
# Query parameters that only track the click; they never change what the page says. Besides
# these, courlan's list of trackers (campaign, `cid`, `ref`, `source`, ...): the rules of
# AdGuard's and ClearURLs' filters.
_TRACKING_PARAMS = frozenset(
    {"fbclid", "gclid", "dclid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid"}
)
_DEFAULT_PORTS = {"http": 80, "https": 443}
# A directory's index page is the directory: ".../ukraine/index.html" is ".../ukraine".
_INDEX_PAGE = re.compile(r"/(?:index|default)\.(?:html?|php|aspx?|jsp)$", re.IGNORECASE)


def _is_tracking(part: str) -> bool:
    key = part.split("=", 1)[0].lower()
    return key.startswith("utm_") or key in _TRACKING_PARAMS or bool(TRACKERS_RE.search(key))


_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
# Characters a path or query may hold as they are (RFC 3986), and "%" for escapes already there.
_SAFE = "/:@!$&'()*+,;=-._~%?"


def _canonical_escapes(text: str) -> str:
    """RFC 3986's percent-encoding normalisation: an escaped unreserved character is written
    plainly ("%7E" -> "~"), other escapes in upper case ("%c3%a9" -> "%C3%A9"), and anything
    outside ASCII or not allowed ("café", a space) escaped as UTF-8. So the same page under a
    raw and an encoded URL gets one identity."""

    def unescape(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else "%" + match.group(1).upper()

    return quote(_PERCENT.sub(unescape, text), safe=_SAFE)


def feed_url(url: str) -> str:
    """A feed's address in canonical form, to tell one feed from another: lower-case scheme and
    host, no default port, no fragment, canonical escapes; path and query otherwise kept."""
    parts = urlsplit(url.strip())
    return urlunsplit(
        (
            parts.scheme.lower(),
            _netloc(parts),
            _canonical_escapes(parts.path or "/"),
            _canonical_escapes(parts.query),
            "",
        )
    )


def _netloc(parts: SplitResult) -> str:
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
    return netloc


def normalise_url(url: str) -> str:
    """Return url in canonical form: lower-case host, no fragment, tracking or default port,
    no trailing slash or index page, canonical percent-escapes."""
    parts = urlsplit(url.strip())
    path = _canonical_escapes(_INDEX_PAGE.sub("/", parts.path) or "/")
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    # The kept parameters stay in the site's order; only their escapes are made canonical.
    query = "&".join(
        _canonical_escapes(p) for p in parts.query.split("&") if p and not _is_tracking(p)
    )
    return urlunsplit((parts.scheme.lower(), _netloc(parts), path, query, ""))


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
