"""The vector cache: rows read once, the least recently used dropped first."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from retrieval.ranking.vector_cache import VectorCache


class FakeVectors:
    """Stored vectors by row id, counting the rows read."""

    def __init__(self, ids: Sequence[str]) -> None:
        self.stored = {rid: np.full(4, n, dtype=np.float32) for n, rid in enumerate(ids)}
        self.read: list[str] = []

    def __call__(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        self.read += ids
        return {rid: self.stored[rid] for rid in ids if rid in self.stored}


def test_rows_are_read_once_and_unknown_ones_left_out() -> None:
    fake = FakeVectors(["a", "b", "c"])
    cache = VectorCache(fake, size=10)
    assert set(cache.get(["a", "b", "gone"])) == {"a", "b"}
    found = cache.get(["b", "c", "a"])
    assert {rid: float(v[0]) for rid, v in found.items()} == {"a": 0.0, "b": 1.0, "c": 2.0}
    assert fake.read == ["a", "b", "gone", "c"]


def test_the_least_recently_used_row_goes_first() -> None:
    fake = FakeVectors(["a", "b", "c"])
    cache = VectorCache(fake, size=2)
    cache.get(["a", "b"])
    cache.get(["a"])  # now "b" is the least recently used
    cache.get(["c"])
    fake.read.clear()
    cache.get(["a", "b", "c"])
    assert fake.read == ["b"]


def test_size_zero_keeps_nothing() -> None:
    fake = FakeVectors(["a"])
    cache = VectorCache(fake, size=0)
    cache.get(["a"])
    cache.get(["a"])
    assert fake.read == ["a", "a"]
