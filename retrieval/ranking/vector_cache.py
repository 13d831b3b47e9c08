"""Stored vectors a question has read, kept for the next ones: reading a vector from Chroma
costs about 60 µs a row (most of it turning the row into Python floats and back), and a
question reads 100-250 of them.

A row id names one write of one sentence or chunk (index/store.py's `row_id`), so the vector
behind it never changes: nothing here goes stale. A briefing written again gets rows with new
ids, and those are read afresh; the old ids are simply no longer asked for.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence

import numpy as np

Read = Callable[[Sequence[str]], dict[str, np.ndarray]]


class VectorCache:
    """The most recently used vectors of one collection by row id, at most `size` of them;
    thread-safe. The vectors handed out are shared: callers must not change them in place."""

    def __init__(self, read: Read, size: int) -> None:
        self._read = read
        self.size = size
        self._held: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, row_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The vectors of these rows that are stored, reading only those not held."""
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for rid in row_ids:
                vector = self._held.get(rid)
                if vector is not None:
                    self._held.move_to_end(rid)
                    found[rid] = vector
        missing = [rid for rid in dict.fromkeys(row_ids) if rid not in found]
        if not missing:
            return found
        read = self._read(missing)  # outside the lock: other questions go on meanwhile
        found.update(read)
        if self.size > 0:
            with self._lock:
                self._held.update(read)
                for rid in read:
                    self._held.move_to_end(rid)
                while len(self._held) > self.size:
                    self._held.popitem(last=False)
        return found
