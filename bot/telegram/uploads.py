"""Ingest from a chat: links, uploaded files and message text, with the CLI's rules and errors.

Blocking functions, run by the handlers with `asyncio.to_thread`. Only http(s) links are taken
from a chat: the CLI's other sources (paths on the server, stdin) must never be reachable from
Telegram.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable, Sequence
from pathlib import PurePath

from telegram import Message

from bot.services import Services
from ingest.errors import IngestError
from ingest.links import is_http_url
from ingest.loaders import UPLOAD_SUFFIXES, load_bytes, load_text
from ingest.pipeline import IngestResult
from retrieval.errors import BriefbotError
from retrieval.types import Briefing

_SUFFIX_FOR_TYPE = {"text/markdown": ".md", "text/plain": ".txt", "text/html": ".html"}


def upload_name(file_name: str | None, mime_type: str | None) -> str:
    """The name an upload is known by; one is made up from its type when Telegram has none."""
    if file_name:
        return PurePath(file_name).name
    suffix = _SUFFIX_FOR_TYPE.get(mime_type or "") or mimetypes.guess_extension(mime_type or "")
    return f"upload{suffix or ''}"


def unsupported_upload(name: str) -> IngestResult | None:
    """The loader's own refusal of a file type it cannot read, known before downloading."""
    if PurePath(name).suffix.lower() in UPLOAD_SUFFIXES:
        return None
    try:
        load_bytes(b"", name, name)  # refuses by extension alone, with the CLI's wording
    except IngestError as e:
        return IngestResult(name, "failed", error=str(e))
    raise AssertionError(f"the loader accepted {name} although its type is not an upload type")


def telegram_source(message: Message) -> str:
    """The source recorded for a briefing taken from a chat message."""
    return f"telegram:{message.chat_id}/{message.message_id}"


def ingest_links(services: Services, links: Sequence[str]) -> list[IngestResult]:
    """Fetch and ingest each link; one failure never stops the others."""
    if not all(is_http_url(link) for link in links):
        raise ValueError("only http(s) links may be ingested from a chat")
    return services.ingester.ingest_sources(list(links), services.fetcher)


def ingest_upload(services: Services, data: bytes, name: str) -> IngestResult:
    """Ingest an uploaded file's bytes by its extension."""
    return _ingest(services, name, lambda: load_bytes(data, name, name))


def ingest_message_text(services: Services, text: str, source: str) -> IngestResult:
    """Ingest the text of a chat message as a briefing."""
    return _ingest(services, source, lambda: load_text(text, source))


def _ingest(services: Services, source: str, load: Callable[[], Briefing]) -> IngestResult:
    try:
        return services.ingester.ingest(load())
    except BriefbotError as e:
        return IngestResult(source, "failed", error=str(e))
