"""Splitting a bulk import's briefings into sentences in other processes.

Splitting (pysbd) and judging furniture cost more than embedding and writing a briefing once
spaCy's parse is left to the reading backlog (retrieval/index/backlog.py). A bulk import
(`Ingester.bulk`) therefore splits the next batches in worker processes while its own process
embeds and writes the current one. Workers are started afresh (`spawn`: the importing process
holds Chroma's threads, which a fork would copy half-way) and import only the splitting code.

A briefing that cannot be split comes back as the reason (a string: an exception may not
survive the trip between processes); a worker that dies is replaced by splitting its batch
here.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from types import TracebackType

from retrieval.types import Briefing, Sentence

log = logging.getLogger(__name__)

# A briefing's sentences, split unread, or why it could not be split.
Split = list[Sentence] | str


def split_unread(batch: list[Briefing]) -> list[Split]:
    """Each briefing's sentences without the parse (ingest/sentences.py), or why not."""
    from ingest.sentences import sentences_of

    found: list[Split] = []
    for briefing in batch:
        try:
            found.append(sentences_of(briefing, read=False))
        except Exception as e:  # reported per briefing by the ingester
            found.append(f"its text could not be split into sentences ({type(e).__name__})")
    return found


class BulkSplitter:
    """A pool of splitting processes, as a context manager; `workers=0` splits here."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = (os.cpu_count() or 1) if workers is None else workers
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> BulkSplitter:
        if self.workers > 0:
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(self.workers, mp_context=context)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def ahead(
        self, batches: Iterable[list[Briefing]]
    ) -> Iterator[tuple[list[Briefing], list[Split]]]:
        """Each batch with its split, in order; up to two batches per worker are split ahead
        of the one handed out (so batches are read from `batches` only that far ahead)."""
        if self._pool is None:
            for batch in batches:
                yield batch, split_unread(batch)
            return
        waiting: deque[tuple[list[Briefing], Future[list[Split]] | None]] = deque()
        for batch in batches:
            waiting.append((batch, self._submit(batch)))
            if len(waiting) > 2 * self.workers:
                yield self._result(*waiting.popleft())
        while waiting:
            yield self._result(*waiting.popleft())

    def _submit(self, batch: list[Briefing]) -> Future[list[Split]] | None:
        """The batch handed to a worker; None when the pool is broken (it is split here)."""
        try:
            return self._pool.submit(split_unread, batch) if self._pool is not None else None
        except RuntimeError:  # BrokenProcessPool, or shut down
            return None

    @staticmethod
    def _result(
        batch: list[Briefing], future: Future[list[Split]] | None
    ) -> tuple[list[Briefing], list[Split]]:
        if future is None:
            return batch, split_unread(batch)
        try:
            return batch, future.result()
        except Exception as e:  # a worker died (killed, out of memory): split it here
            log.warning("a splitting process failed (%s); splitting its batch here", e)
            return batch, split_unread(batch)
