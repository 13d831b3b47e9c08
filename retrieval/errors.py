"""The project's exceptions; every message says what failed, why, and what to do.

BriefbotError
 ├── StoreError            the vector store cannot be opened or used
 │    └── StoreLockedError another process holds the embedded data directory
 └── (ingest.errors.IngestError lives in ingest/ and subclasses BriefbotError)
"""

from __future__ import annotations


class BriefbotError(Exception):
    """Base of every error meant to be shown to a user as one line."""


class StoreError(BriefbotError):
    """The store could not be opened, read or written."""


class StoreLockedError(StoreError):
    """The embedded data directory is already open in another process."""

    def __init__(self, path: str, holder: str = "") -> None:
        self.path = path
        who = f" (held by {holder})" if holder else ""
        super().__init__(
            f"The data directory {path} is already in use by another briefbot process{who}. "
            "Embedded Chroma cannot be shared between processes: run a Chroma server "
            f"(chroma run --path {path} --host 127.0.0.1 --port 8000) and set "
            "CHROMA_HOST/CHROMA_PORT for every briefbot process (server mode)."
        )
