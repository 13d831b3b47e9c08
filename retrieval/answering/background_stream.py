"""A stream read in a thread of its own, so that the reader's wait is bounded whatever the
producer does (a model server that trickles, a local model that stalls)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

_END = object()


@dataclass(frozen=True)
class _Failed:
    error: BaseException


def background_stream(
    produce: Callable[[Callable[[Any], None]], None],
    *,
    wait: Callable[[], float],
    too_slow: str,
    name: str,
) -> Iterator[Any]:
    """The items `produce(put)` puts, as they come. `produce` runs in a daemon thread; each
    item is waited for at most `wait()` seconds, then TimeoutError(too_slow); an exception
    raised by `produce` is raised here, in the reader."""
    items: queue.Queue[Any] = queue.Queue()

    def run() -> None:
        try:
            produce(items.put)
        except BaseException as e:  # handed to the reader, which raises it
            items.put(_Failed(e))
        items.put(_END)

    threading.Thread(target=run, name=name, daemon=True).start()
    while True:
        try:
            item = items.get(timeout=max(0.0, wait()))
        except queue.Empty:
            raise TimeoutError(too_slow) from None
        if item is _END:
            return
        if isinstance(item, _Failed):
            raise item.error
        yield item
