"""The reading backlog: briefings a bulk import stored before the parser read them.

A bulk import (`briefbot ingest --bulk`) makes a large archive searchable first: sentences,
vectors, the full-text index and furniture by words and line are stored at once, and the
briefings are marked `unread`. spaCy's parse (who said it, who acts, the entities named:
language/speakers.py) costs far more than the rest of an ingest, so it follows here, a few
briefings at a time, oldest first, in a thread of low priority while the bot runs, or in the
foreground with `briefbot read`. Until a briefing is read, its sentences answer every question
but name no speaker and no actor.

The parse runs outside any write transaction; a briefing replaced or read meanwhile is skipped.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable

from retrieval.errors import BriefbotError
from retrieval.index.catalogue import Catalogue
from retrieval.language.speakers import readings
from retrieval.types import Reading

log = logging.getLogger(__name__)

# Briefings read per step: a step holds the parser (and the GIL, mostly) for about a second.
STEP = 4
# How much lower than the process the reading thread runs (Linux lets a thread have its own).
NICENESS = 10


class ReadingBacklog:
    """Reads the unread briefings of one catalogue: a step at a time (`read`), or in a thread
    of its own that waits for more after the backlog is empty (`start`, `wake`, `stop`)."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self._wanted = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.idle = threading.Event()  # set while the thread has found nothing left to read

    def remaining(self) -> int:
        """Briefings still unread."""
        return self.catalogue.unread_count()

    def read(self, limit: int = STEP) -> int:
        """Read up to `limit` unread briefings, oldest first; how many were read (0: none
        left)."""
        found = self.catalogue.unread(limit)
        for briefing_id, token, rows in found:
            try:
                read = readings([text for *_, text in rows])
            except Exception as e:  # one briefing the parser fails on must not stop the rest
                log.error("could not parse briefing %s", briefing_id, exc_info=e)
                read = [("", Reading())] * len(rows)
            # False when the briefing was replaced or read meanwhile: nothing left to do then
            self.catalogue.store_readings(briefing_id, token, rows, read)
        return len(found)

    def read_all(self, progress: Callable[[int], None] = lambda read: None) -> int:
        """Read the whole backlog in the foreground; how many briefings were read."""
        total = 0
        while not self._stopping.is_set():
            done = self.read()
            if not done:
                break
            total += done
            progress(done)
        return total

    def start(self) -> None:
        """Read in a thread of low priority from now on, whenever there is a backlog."""
        if self._thread is not None:
            return
        self._wanted.set()
        self._thread = threading.Thread(target=self._run, name="reading-backlog", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """There may be new unread briefings (a bulk import just stored some)."""
        self.idle.clear()
        self._wanted.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the current step."""
        self._stopping.set()
        self._wanted.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        # not Linux, or not allowed: it runs at the process's priority
        with contextlib.suppress(AttributeError, OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICENESS)
        while not self._stopping.is_set():
            self._wanted.wait()
            self._wanted.clear()
            try:
                self.read_all()
            except BriefbotError as e:  # the store is down: try again when woken
                log.warning("reading the backlog paused: %s", e)
            except Exception as e:  # a bug must not end the bot
                log.error("reading the backlog failed", exc_info=e)
            if not self._wanted.is_set():
                self.idle.set()
