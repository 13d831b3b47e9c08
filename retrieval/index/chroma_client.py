"""Opening Chroma: embedded (one process per data directory, guarded by a lock) or a server."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from retrieval.errors import StoreError, StoreLockedError

log = logging.getLogger(__name__)

LOCK_NAME = ".briefbot.lock"


class DataDirLock:
    """An exclusive, non-blocking lock on a data directory, held for the process's lifetime.

    Embedded Chroma is not process-safe: a second process on the same directory can hang on
    SQLite or corrupt the index, so the second one is refused at once instead. The lock file
    names the holder's pid and role ("bot", "store-server 127.0.0.1:8000", ...), so that the
    refusal can say who has the directory and what to do.
    """

    def __init__(self, directory: Path, role: str = "briefbot") -> None:
        self.directory = directory
        self.role = role
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        """Take the lock or raise StoreLockedError naming the holder."""
        self.directory.mkdir(parents=True, exist_ok=True)
        handle = open(self.directory / LOCK_NAME, "a+")  # noqa: SIM115 - held until release()
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            pid, _, role = handle.read().strip().partition(" ")
            handle.close()
            raise StoreLockedError(str(self.directory), pid, role) from None
        self._file = handle
        self.claim(self.role)

    def claim(self, role: str) -> None:
        """Record what the holder is doing now (e.g. "bot" once the Telegram bot runs)."""
        self.role = role
        if self._file is not None:
            self._file.seek(0)
            self._file.truncate()
            self._file.write(f"{os.getpid()} {role}")
            self._file.flush()

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

    def claim(self, role: str) -> None:
        """Record the holder's role in the data directory's lock (embedded mode only)."""
        if self.lock is not None:
            self.lock.claim(role)

    def close(self) -> None:
        """Release the data-directory lock, if any."""
        if self.lock is not None:
            self.lock.release()
            self.lock = None


def _settings() -> Any:
    from chromadb.config import Settings

    # No telemetry: users run air-gapped and nothing may phone home.
    return Settings(anonymized_telemetry=False, allow_reset=False)


def open_embedded(path: Path, role: str = "briefbot") -> ChromaHandle:
    """Open (creating) an embedded Chroma store in path, refusing if another process has it."""
    import chromadb

    lock = DataDirLock(path, role)
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
            "Start it with `briefbot store-server` (it serves DATA_DIR/chroma), or unset "
            "CHROMA_HOST to use the embedded store."
        ) from e
    return ChromaHandle(client=client, description=f"Chroma server at {host}:{port}")


def serve(path: Path, host: str, port: int, env: Mapping[str, str]) -> int:
    """Run `chroma run` on path until it exits, holding the directory's lock meanwhile, so that
    no embedded process opens the directory under the server. `env` is the server process's
    environment (the caller's choice: retrieval reads none). Returns the server's exit code."""
    lock = DataDirLock(path, role=f"store-server {host}:{port}")
    lock.acquire()
    chroma = Path(sys.executable).parent / "chroma"
    command = [str(chroma), "run", "--path", str(path), "--host", host, "--port", str(port)]
    try:
        server = subprocess.Popen(command, env=dict(env))
        # Stopped by SIGTERM (a service manager, `kill`), pass it on: Python's default would end
        # this process at once and leave the server running without the lock.
        with contextlib.suppress(ValueError):  # not the main thread: its caller stops it
            signal.signal(signal.SIGTERM, lambda *_: server.terminate())
        try:
            return server.wait()
        except KeyboardInterrupt:
            server.terminate()
            return server.wait()
    finally:
        lock.release()
