"""Run one call from several threads released together, as several processes might."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def at_once(call: Callable[[], T], count: int) -> tuple[list[T], list[BaseException]]:
    """Start `count` threads that wait at one barrier and then make the call; returns what
    the calls returned and what they raised."""
    start = threading.Barrier(count, timeout=60)
    results: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        start.wait()
        try:
            results.append(call())
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results, errors
