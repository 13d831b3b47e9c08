"""Errors raised while getting a briefing in."""

from __future__ import annotations

from retrieval.errors import BriefbotError


class IngestError(BriefbotError):
    """A source could not be turned into a briefing; nothing of it was stored."""

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"Could not ingest {source}: {reason}")
