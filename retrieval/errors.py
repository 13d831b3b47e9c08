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

    def __init__(self, path: str, pid: str = "", role: str = "") -> None:
        self.path = path
        self.pid = pid
        self.role = role
        if role.startswith("store-server"):
            address = role.removeprefix("store-server").strip() or "127.0.0.1:8000"
            host, _, port = address.rpartition(":")
            message = (
                f"The store in {path} is served by a Chroma server (briefbot store-server, "
                f"pid {pid}). Use it: set CHROMA_HOST={host} and CHROMA_PORT={port}."
            )
        else:
            who = ", ".join(p for p in (f"pid {pid}" if pid else "", role) if p)
            message = (
                f"The store in {path} is already in use by another briefbot process"
                f"{f' ({who})' if who else ''}. Embedded Chroma cannot be shared between "
                "processes: stop that process, or start `briefbot store-server` and set "
                "CHROMA_HOST=127.0.0.1 CHROMA_PORT=8000 for every briefbot process."
            )
        super().__init__(message)
