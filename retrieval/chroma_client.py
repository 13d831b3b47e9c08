"""Opening Chroma: embedded (one process per data directory, guarded by a lock) or a server."""

from __future__ import annotations

import fcntl
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from retrieval.errors import StoreError, StoreLockedError

log = logging.getLogger(__name__)

LOCK_NAME = ".briefbot.lock"


class DataDirLock:
    """An exclusive, non-blocking lock on a data directory, held for the process's lifetime.

    Embedded Chroma is not process-safe: a second process on the same directory can hang on
    SQLite or corrupt the index, so the second one is refused at once instead.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        """Take the lock or raise StoreLockedError naming the holder."""
        self.directory.mkdir(parents=True, exist_ok=True)
        handle = open(self.directory / LOCK_NAME, "a+")  # noqa: SIM115 - held until release()
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip()
            handle.close()
            raise StoreLockedError(str(self.directory), f"pid {holder}" if holder else "") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle

    def release(self) -> None:
        """Give the lock back (also happens when the process exits)."""
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None


@dataclass
class ChromaHandle:
    """A Chroma client plus what must be released with it."""

    client: Any
    description: str
    lock: DataDirLock | None = field(default=None, repr=False)

    def close(self) -> None:
        """Release the data-directory lock, if any."""
        if self.lock is not None:
            self.lock.release()
            self.lock = None


def _settings() -> Any:
    from chromadb.config import Settings

    # No telemetry: users run air-gapped and nothing may phone home.
    return Settings(anonymized_telemetry=False, allow_reset=False)


def open_embedded(path: Path) -> ChromaHandle:
    """Open (creating) an embedded Chroma store in path, refusing if another process has it."""
    import chromadb

    lock = DataDirLock(path)
    lock.acquire()
    try:
        client = chromadb.PersistentClient(path=str(path), settings=_settings())
    except Exception as e:
        lock.release()
        raise StoreError(f"Could not open the Chroma store in {path}: {e}") from e
    return ChromaHandle(client=client, description=f"embedded Chroma in {path}", lock=lock)


def open_server(host: str, port: int) -> ChromaHandle:
    """Connect to a running Chroma server (chroma run --path DIR --port N)."""
    import chromadb

    try:
        client = chromadb.HttpClient(host=host, port=port, settings=_settings())
        client.heartbeat()
    except Exception as e:
        raise StoreError(
            f"Could not reach the Chroma server at {host}:{port} ({type(e).__name__}). "
            "Start it with `chroma run --path DIR --host HOST --port PORT`, or unset "
            "CHROMA_HOST to use the embedded store."
        ) from e
    return ChromaHandle(client=client, description=f"Chroma server at {host}:{port}")
