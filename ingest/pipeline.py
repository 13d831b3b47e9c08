"""The ingest pipeline: briefing -> sentences -> chunks -> store, de-duplicated and atomic."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Literal, TextIO

from ingest.chunking import build_chunks
from ingest.errors import IngestError
from ingest.fetch import UrlFetcher
from ingest.identity import content_version
from ingest.loaders import expand_sources, load_source
from ingest.sentences import split_sentences
from retrieval.errors import BriefbotError
from retrieval.store import BriefingStore
from retrieval.types import Briefing, BriefingRecord, Sentence

log = logging.getLogger(__name__)

Status = Literal["added", "updated", "unchanged", "failed"]


@dataclass(frozen=True)
class IngestResult:
    """What happened to one briefing (or to a source that yielded none)."""

    source: str
    status: Status
    briefing: Briefing | None = None
    sentence_count: int = 0
    error: str = ""


def sentences_of(briefing: Briefing) -> list[Sentence]:
    """The briefing's sentences with ids `briefing_id:sN` and offsets into its text."""
    return [
        Sentence(
            id=f"{briefing.id}:s{i}",
            briefing_id=briefing.id,
            index=i,
            text=briefing.text[start:end],
            start=start,
            end=end,
        )
        for i, (start, end) in enumerate(split_sentences(briefing.text))
    ]


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
        version = content_version(briefing)
        existing = self.store.record(briefing.id)
        if existing is not None and existing.version == version:
            return IngestResult(briefing.source, "unchanged", briefing, existing.sentence_count)
        sentences = sentences_of(briefing)
        if not sentences:
            raise IngestError(briefing.source, "it has no sentences to index")
        embeddings = self.store.embeddings
        chunks = build_chunks(
            briefing.id, briefing.title, sentences, embeddings.count_tokens, embeddings.max_tokens
        )
        record = BriefingRecord(
            id=briefing.id,
            title=briefing.title,
            source=briefing.source,
            version=version,
            sentence_count=len(sentences),
            url=briefing.url,
            published=briefing.published,
        )
        self.store.write(record, sentences, [c for c, _ in chunks], [t for _, t in chunks])
        status: Status = "updated" if existing is not None else "added"
        log.info("%s briefing %s (%d sentences)", status, briefing.id, len(sentences))
        result = IngestResult(briefing.source, status, briefing, len(sentences))
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
        """Ingest each file, directory, URL or '-' (stdin); a failure never stops the rest."""
        results: list[IngestResult] = []
        for source in expand_sources(list(sources)):
            for result in self._ingest_source(source, fetcher, stdin):
                results.append(result)
                if progress is not None:
                    progress(result)
        return results

    def _ingest_source(
        self, source: str, fetcher: UrlFetcher, stdin: TextIO | None
    ) -> Iterator[IngestResult]:
        """Results of one source as each briefing is stored (a .jsonl yields many)."""
        try:
            briefings = load_source(source, fetcher=fetcher, stdin=stdin)
        except BriefbotError as e:
            yield IngestResult(source, "failed", error=str(e))
            return
        for briefing in briefings:
            yield self._ingest_quietly(briefing)

    def _ingest_quietly(self, briefing: Briefing) -> IngestResult:
        try:
            return self.ingest(briefing)
        except BriefbotError as e:
            return IngestResult(briefing.source, "failed", briefing, error=str(e))
        except Exception as e:  # a bug must not lose the other briefings of the batch
            log.exception("unexpected failure ingesting %s", briefing.source)
            return IngestResult(
                briefing.source, "failed", briefing, error=f"unexpected error ({type(e).__name__})"
            )
