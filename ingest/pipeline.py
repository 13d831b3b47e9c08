"""The ingest pipeline: briefing -> sentences -> chunks -> store, de-duplicated and atomic."""

from __future__ import annotations

import ctypes
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any, Literal, TextIO

from ingest.bulk import BulkSplitter, Split
from ingest.chunking import build_chunks
from ingest.errors import IngestError
from ingest.fetch import UrlFetcher
from ingest.identity import content_version
from ingest.loaders import expand_sources, stream_source
from ingest.sentences import sentences_of
from retrieval.errors import BriefbotError
from retrieval.index.articles import text_key
from retrieval.index.store import BriefingRows, BriefingStore
from retrieval.types import Briefing, BriefingRecord, Sentence

log = logging.getLogger(__name__)


def _libc() -> Any:
    """glibc, where this runs on it (for malloc_trim); None elsewhere."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim  # noqa: B018 - glibc only
    except (OSError, AttributeError):
        return None
    return libc


_LIBC = _libc()


def give_back_memory() -> None:
    """Return the heap a stored batch freed to the system: glibc keeps freed memory for reuse,
    and the next batch's buffers (of other sizes) then land beside it, so a long ingest's
    resident memory crept up batch by batch."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


Status = Literal["added", "updated", "unchanged", "failed"]

# Briefings stored per batch by ingest_many: enough to fill the model's batches of 64 sentences
# and Chroma's inserts, few enough that progress moves and a failed batch is cheap to retry.
BATCH_SIZE = 32
# A bulk import's batches: larger writes, fewer transactions.
BULK_BATCH_SIZE = 64


@dataclass(frozen=True)
class IngestResult:
    """What happened to one briefing (or to a source that yielded none)."""

    source: str
    status: Status
    briefing: Briefing | None = None
    sentence_count: int = 0
    error: str = ""


class Ingester:
    """Writes briefings into a store; the same content twice is a no-op, a new version replaces."""

    def __init__(self, store: BriefingStore) -> None:
        self.store = store
        self._listeners: list[Callable[[IngestResult], None]] = []

    def on_ingested(self, listener: Callable[[IngestResult], None]) -> None:
        """Call listener after each briefing that was added or updated."""
        self._listeners.append(listener)

    def ingest(self, briefing: Briefing) -> IngestResult:
        """Store one briefing completely, or raise and leave nothing of it visible."""
        [briefing], copies = self._identify([briefing])
        if copies:
            return self._copy(briefing)
        existing = self.store.record(briefing.id)
        rows = self._prepare(briefing, existing)
        if rows is None:
            assert existing is not None
            return IngestResult(briefing.source, "unchanged", briefing, existing.sentence_count)
        self.store.write_many([rows])
        return self._stored(briefing, rows, existing)

    def ingest_many(
        self, briefings: Iterable[Briefing], batch_size: int = BATCH_SIZE
    ) -> Iterator[IngestResult]:
        """Ingest briefings in batches that share model and database calls (several times
        faster than one by one for many small briefings); yields a result per briefing, in
        order, as each batch is stored. A failure never stops the rest: if a batch cannot be
        written, its briefings are tried one by one, so the error lands on the right one.
        """
        for batch in _batches(briefings, batch_size):
            yield from self._ingest_batch(batch)

    def bulk(
        self,
        briefings: Iterable[Briefing],
        batch_size: int = BULK_BATCH_SIZE,
        workers: int | None = None,
    ) -> Iterator[IngestResult]:
        """ingest_many for a large import: sentences are split in `workers` processes (all
        cores by default) while this one embeds and writes, and spaCy's parse is left to the
        reading backlog (retrieval/index/backlog.py), so the briefings are stored `unread`:
        searchable at once, their speakers and actors filled in later."""
        with BulkSplitter(workers) as splitter:
            for batch, split in splitter.ahead(_batches(briefings, batch_size)):
                yield from self._ingest_batch(batch, split)

    def _identify(self, batch: list[Briefing]) -> tuple[list[Briefing], set[int]]:
        """The briefings under the ids of the stored articles they are (an earlier id, the
        same canonical URL: retrieval/index/articles.py), their own ids kept as aliases; and
        the positions of those whose very words are stored under another id."""
        wanted = [(b.id, b.url, text_key(b.text)) for b in batch]
        found = self.store.catalogue.same_articles(wanted)
        identified, copies = [], set()
        for i, briefing in enumerate(batch):
            match = found.get(briefing.id)
            if match is not None:
                stored, how = match
                if stored != briefing.id:
                    briefing = replace(
                        briefing, id=stored, aliases=(*briefing.aliases, briefing.id)
                    )
                if how == "text":
                    copies.add(i)
            identified.append(briefing)
        return identified, copies

    def _copy(self, briefing: Briefing) -> IngestResult:
        """A briefing whose words are stored already under another id: one briefing, the new
        id one of its aliases."""
        self.store.catalogue.add_aliases(briefing.id, briefing.aliases)
        record = self.store.record(briefing.id)
        count = record.sentence_count if record is not None else 0
        log.info("briefing %s is stored already as %s", briefing.aliases[-1], briefing.id)
        return IngestResult(briefing.source, "unchanged", briefing, count)

    def _ingest_batch(
        self, batch: list[Briefing], split: list[Split] | None = None
    ) -> Iterator[IngestResult]:
        """Store a batch; with `split` (a bulk import), each briefing's sentences as split
        unread in another process, or why they could not be."""
        if not batch:
            return
        try:
            batch, copies = self._identify(batch)
            existing = self.store.records_of([b.id for b in batch])
        except BriefbotError:
            yield from (self._ingest_quietly(b) for b in batch)
            return
        results: dict[int, IngestResult] = {}
        ready: list[tuple[int, BriefingRows]] = []
        for i, briefing in enumerate(batch):
            if i in copies:
                try:
                    results[i] = self._copy(briefing)
                except Exception as e:
                    results[i] = self._failure(briefing, e)
                continue
            try:
                rows = self._prepare(
                    briefing, existing.get(briefing.id), None if split is None else split[i]
                )
            except Exception as e:
                results[i] = self._failure(briefing, e)
                continue
            if rows is None:
                count = existing[briefing.id].sentence_count
                results[i] = IngestResult(briefing.source, "unchanged", briefing, count)
            else:
                ready.append((i, rows))
        try:
            self.store.write_many([rows for _, rows in ready])
        except Exception:
            log.warning("a batch of %d briefings failed; storing them one by one", len(ready))
            for i, _ in ready:
                results[i] = self._ingest_quietly(batch[i])
        else:
            for i, rows in ready:
                results[i] = self._stored(batch[i], rows, existing.get(batch[i].id))
        give_back_memory()
        for i in range(len(batch)):
            yield results[i]

    def _prepare(
        self, briefing: Briefing, existing: BriefingRecord | None, split: Split | None = None
    ) -> BriefingRows | None:
        """The rows to store for briefing, or None when this very version is already stored;
        `split`: its sentences split unread elsewhere (a bulk import), or why they could not
        be."""
        version = content_version(briefing)
        if existing is not None and existing.version == version:
            return None
        if isinstance(split, str):
            raise IngestError(briefing.source, split)
        sentences = sentences_of(briefing) if split is None else _under_id(split, briefing.id)
        if not sentences:
            raise IngestError(briefing.source, "it has no sentences to index")
        embeddings = self.store.embeddings
        chunks = build_chunks(
            briefing.id, briefing.title, sentences, embeddings.token_counts, embeddings.max_tokens
        )
        record = BriefingRecord(
            id=briefing.id,
            title=briefing.title,
            source=briefing.source,
            version=version,
            sentence_count=len(sentences),
            url=briefing.url,
            published=briefing.published,
            text_key=text_key(briefing.text),
        )
        return BriefingRows(
            record,
            tuple(sentences),
            tuple(c for c, _ in chunks),
            tuple(t for _, t in chunks),
            briefing.aliases,
            unread=split is not None,
        )

    def _stored(
        self, briefing: Briefing, rows: BriefingRows, existing: BriefingRecord | None
    ) -> IngestResult:
        """Log, tell the listeners and report a briefing that was just written."""
        status: Status = "updated" if existing is not None else "added"
        count = rows.record.sentence_count
        log.info("%s briefing %s (%d sentences)", status, briefing.id, count)
        result = IngestResult(briefing.source, status, briefing, count)
        for listener in self._listeners:
            listener(result)
        return result

    def ingest_sources(
        self,
        sources: Iterable[str],
        fetcher: UrlFetcher,
        *,
        stdin: TextIO | None = None,
        progress: Callable[[IngestResult], None] | None = None,
    ) -> list[IngestResult]:
        """Ingest each file, directory, URL or '-' (stdin); a failure never stops the rest.
        The results of stream_sources, in a list."""
        results = []
        for result in self.stream_sources(sources, fetcher, stdin=stdin):
            results.append(result)
            if progress is not None:
                progress(result)
        return results

    def stream_sources(
        self,
        sources: Iterable[str],
        fetcher: UrlFetcher,
        *,
        stdin: TextIO | None = None,
        bulk: bool = False,
    ) -> Iterator[IngestResult]:
        """Ingest each file, directory, URL or '-' (stdin), yielding a result per briefing (or
        per failed source) in the sources' order, as each batch is stored.

        The briefings of all sources share batches (a directory of a thousand small files is
        stored in a few dozen writes, not a thousand), and only one batch is held at a time: a
        .jsonl archive of any size is read as it is stored. With `bulk`, as `bulk` stores
        them (a few batches held; a failed source reported when it is met).
        """
        if bulk:
            yield from self._stream_bulk(sources, fetcher, stdin)
            return
        pending: list[Briefing | IngestResult] = []  # loaded briefings and failed sources
        loaded = 0

        def flush() -> Iterator[IngestResult]:
            stored = iter(self.ingest_many([e for e in pending if isinstance(e, Briefing)]))
            for entry in pending:
                yield entry if isinstance(entry, IngestResult) else next(stored)
            pending.clear()

        for source in expand_sources(list(sources)):
            for entry in self._load_source(source, fetcher, stdin):
                pending.append(entry)
                loaded += isinstance(entry, Briefing)
                if loaded >= BATCH_SIZE:
                    yield from flush()
                    loaded = 0
        yield from flush()

    def _stream_bulk(
        self, sources: Iterable[str], fetcher: UrlFetcher, stdin: TextIO | None
    ) -> Iterator[IngestResult]:
        failed: list[IngestResult] = []

        def loaded() -> Iterator[Briefing]:
            for source in expand_sources(list(sources)):
                for entry in self._load_source(source, fetcher, stdin):
                    if isinstance(entry, IngestResult):
                        failed.append(entry)
                    else:
                        yield entry

        for result in self.bulk(loaded()):
            yield from failed
            failed.clear()
            yield result
        yield from failed

    @staticmethod
    def _load_source(
        source: str, fetcher: UrlFetcher, stdin: TextIO | None
    ) -> Iterator[Briefing | IngestResult]:
        """The briefings of one source (a .jsonl holds many, read as they are asked for), or
        its failure."""
        try:
            yield from stream_source(source, fetcher=fetcher, stdin=stdin)
        except BriefbotError as e:
            yield IngestResult(source, "failed", error=str(e))
        except Exception as e:  # a bug must not stop the command's other sources
            log.error("unexpected failure reading %s", source, exc_info=e)
            yield IngestResult(source, "failed", error=f"unexpected error ({type(e).__name__})")

    def _ingest_quietly(self, briefing: Briefing) -> IngestResult:
        try:
            return self.ingest(briefing)
        except Exception as e:
            return self._failure(briefing, e)

    @staticmethod
    def _failure(briefing: Briefing, error: Exception) -> IngestResult:
        """A failed result; a bug must not lose the other briefings of the batch."""
        if isinstance(error, BriefbotError):
            return IngestResult(briefing.source, "failed", briefing, error=str(error))
        log.error("unexpected failure ingesting %s", briefing.source, exc_info=error)
        return IngestResult(
            briefing.source, "failed", briefing, error=f"unexpected error ({type(error).__name__})"
        )


def _batches(briefings: Iterable[Briefing], batch_size: int) -> Iterator[list[Briefing]]:
    """The briefings in batches of batch_size. A second copy of a pending briefing (the same
    id, or the same words) starts a new batch, so that it is stored after the first: then it
    is an update of it, or the same text again."""
    pending: list[Briefing] = []
    keys: set[str] = set()  # the pending briefings' ids and text keys
    for briefing in briefings:
        key = text_key(briefing.text)
        if briefing.id in keys or key in keys:
            yield pending
            pending, keys = [], set()
        pending.append(briefing)
        keys |= {briefing.id, key}
        if len(pending) >= batch_size:
            yield pending
            pending, keys = [], set()
    if pending:
        yield pending


def _under_id(sentences: list[Sentence], briefing_id: str) -> list[Sentence]:
    """Sentences split under the id a briefing came with, under the id it is stored as (the
    stored article it turned out to be: retrieval/index/articles.py)."""
    if not sentences or sentences[0].briefing_id == briefing_id:
        return sentences
    return [replace(s, id=f"{briefing_id}:s{s.index}", briefing_id=briefing_id) for s in sentences]
