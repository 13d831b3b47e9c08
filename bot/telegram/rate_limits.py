"""Per-user limits on questions and ingests: a sliding window of one minute per user.

A user past the limit gets a polite reply and nothing runs, so one chat cannot take every
thread or fill the store. A limit of 0 turns the window off.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

WINDOW = 60.0  # seconds


class RateLimit:
    """At most `per_minute` actions per user in any 60 seconds; thread-safe."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._seen: dict[int, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, user_id: int | None) -> bool:
        """Count an action of user_id now, or return False (and count nothing) if over."""
        if self.per_minute <= 0 or user_id is None:
            return True
        now = self._clock()
        with self._lock:
            times = self._seen.setdefault(user_id, deque())
            while times and times[0] <= now - WINDOW:
                times.popleft()
            if len(times) >= self.per_minute:
                return False
            times.append(now)
            if len(self._seen) > 10_000:  # forget users with nothing in their window
                self._seen = {u: t for u, t in self._seen.items() if t and t[-1] > now - WINDOW}
            return True
