"""The briefing store: sentences and chunks in Chroma (via langchain-chroma) plus a registry.

A briefing becomes visible only when its registry record is written, after all its rows: rows
carry the briefing's content version, and readers ignore rows whose version the registry does
not name. A crash mid-write therefore leaves nothing visible, and the next write repairs it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
from langchain_chroma import Chroma

from retrieval.embeddings import SentenceEmbeddings
from retrieval.errors import StoreError
from retrieval.types import BriefingRecord, Chunk, Sentence

log = logging.getLogger(__name__)

WRITE_BATCH = 256
READ_PAGE = 5000
# Chroma's CreateCollectionConfiguration is a TypedDict; this is one.
_COSINE: Any = {"hnsw": {"space": "cosine"}}


@dataclass(frozen=True)
class StoredSentence:
    """A visible sentence as the search sees it: the sentence, its row and its chunks' rows."""

    row_id: str
    sentence: Sentence
    chunk_row_ids: tuple[str, ...]


@dataclass(frozen=True)
class Corpus:
    """Everything visible at one moment: records by id and sentences in store order."""

    key: tuple[tuple[str, str], ...]
    records: dict[str, BriefingRecord]
    sentences: tuple[StoredSentence, ...]

    by_row: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_row", {s.row_id: i for i, s in enumerate(self.sentences)})


def row_id(item_id: str, version: str) -> str:
    """Chroma row id of a sentence or chunk of one version of a briefing."""
    return f"{item_id}@{version}"


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _record_from(rid: str, meta: dict[str, Any]) -> BriefingRecord:
    return BriefingRecord(
        id=rid,
        title=str(meta.get("title", "")),
        source=str(meta.get("source", "")),
        version=str(meta.get("version", "")),
        sentence_count=int(meta.get("sentence_count", 0)),
        url=str(meta.get("url") or "") or None,
        published=_day(str(meta.get("published", ""))),
        added_at=str(meta.get("added_at", "")),
    )


def _stored_sentence(
    rid: str, text: str, meta: dict[str, Any], record: BriefingRecord
) -> StoredSentence:
    index = int(meta["index"])
    sentence = Sentence(
        id=f"{record.id}:s{index}",
        briefing_id=record.id,
        index=index,
        text=text,
        start=int(meta["start"]),
        end=int(meta["end"]),
    )
    chunk_rows = tuple(
        row_id(f"{record.id}:c{n}", record.version)
        for n in str(meta.get("chunks", "")).split(",")
        if n
    )
    return StoredSentence(row_id=rid, sentence=sentence, chunk_row_ids=chunk_rows)


@dataclass(frozen=True)
class BriefingRows:
    """Everything stored for one briefing version: its record, sentences and chunks."""

    record: BriefingRecord
    sentences: tuple[Sentence, ...]
    chunks: tuple[Chunk, ...]
    chunk_texts: tuple[str, ...]


def _sentence_rows(rows: BriefingRows) -> list[tuple[str, dict[str, Any], str]]:
    """(text, metadata, row id) of each sentence; metadata names the chunks holding it."""
    version = rows.record.version
    # Chunk numbers, not row ids: ids may contain any character, commas included.
    membership: dict[int, list[str]] = {}
    for chunk in rows.chunks:
        for index in range(chunk.first_sentence, chunk.last_sentence + 1):
            membership.setdefault(index, []).append(str(chunk.index))
    return [
        (
            s.text,
            {
                "briefing_id": rows.record.id,
                "version": version,
                "index": s.index,
                "start": s.start,
                "end": s.end,
                "chunks": ",".join(membership.get(s.index, [])),
            },
            row_id(s.id, version),
        )
        for s in rows.sentences
    ]


def _chunk_rows(rows: BriefingRows) -> list[tuple[str, dict[str, Any], str]]:
    """(text, metadata, row id) of each chunk."""
    version = rows.record.version
    return [
        (
            text,
            {
                "briefing_id": rows.record.id,
                "version": version,
                "index": c.index,
                "first": c.first_sentence,
                "last": c.last_sentence,
            },
            row_id(c.id, version),
        )
        for c, text in zip(rows.chunks, rows.chunk_texts, strict=True)
    ]


def _record_meta(record: BriefingRecord, now: str) -> dict[str, Any]:
    """The registry row of a briefing."""
    return {
        "title": record.title,
        "source": record.source,
        "version": record.version,
        "sentence_count": record.sentence_count,
        "url": record.url or "",
        "published": _iso(record.published),
        "added_at": record.added_at or now,
    }


class BriefingStore:
    """Sentences, chunks and the briefing registry in one Chroma database."""

    def __init__(self, client: Any, embeddings: SentenceEmbeddings, namespace: str = "briefbot"):
        self.embeddings = embeddings
        # Bumped by every write or removal through this object, so readers in this process
        # see their own changes at once without asking Chroma.
        self.generation = 0
        try:
            self._sentences = Chroma(
                client=client,
                collection_name=f"{namespace}-sentences",
                embedding_function=embeddings,
                collection_configuration=_COSINE,
            )
            self._chunks = Chroma(
                client=client,
                collection_name=f"{namespace}-chunks",
                embedding_function=embeddings,
                collection_configuration=_COSINE,
            )
            # Metadata only; Chroma wants a vector per row, so each record carries [1.0].
            self._registry = client.get_or_create_collection(
                f"{namespace}-briefings", embedding_function=None
            )
        except Exception as e:
            raise StoreError(f"Could not open the briefing collections: {e}") from e

    # -- registry -----------------------------------------------------------------------

    def record(self, briefing_id: str) -> BriefingRecord | None:
        """The complete briefing with this id, if stored."""
        got = self._call(self._registry.get, ids=[briefing_id], include=["metadatas"])
        if not got["ids"]:
            return None
        return _record_from(got["ids"][0], got["metadatas"][0])

    def records_of(self, briefing_ids: Sequence[str]) -> dict[str, BriefingRecord]:
        """The complete briefings among these ids, by id."""
        if not briefing_ids:
            return {}
        got = self._call(self._registry.get, ids=list(briefing_ids), include=["metadatas"])
        return {i: _record_from(i, m) for i, m in zip(got["ids"], got["metadatas"], strict=True)}

    def records(self) -> list[BriefingRecord]:
        """All complete briefings, newest first (by published date, then by when added)."""
        got = self._call(self._registry.get, include=["metadatas"])
        found = [_record_from(i, m) for i, m in zip(got["ids"], got["metadatas"], strict=True)]
        found.sort(key=lambda r: (_iso(r.published), r.added_at), reverse=True)
        return found

    def find(self, prefix: str) -> list[BriefingRecord]:
        """Complete briefings whose id starts with prefix (users type short ids)."""
        return [r for r in self.records() if r.id.startswith(prefix)]

    # -- writing ------------------------------------------------------------------------

    def write(
        self,
        record: BriefingRecord,
        sentences: Sequence[Sentence],
        chunks: Sequence[Chunk],
        chunk_texts: Sequence[str],
    ) -> None:
        """Write every row of one briefing version, then its record; then drop older rows."""
        self.write_many([BriefingRows(record, tuple(sentences), tuple(chunks), tuple(chunk_texts))])

    def write_many(self, batch: Sequence[BriefingRows]) -> None:
        """Write several briefings' rows in shared batches (far fewer, fuller model and database
        calls than one at a time), then all their records at once, then drop older rows.

        Each briefing is still all or nothing: until the records are written, readers see none of
        the new rows, and a failure before that leaves only rows that no record names.
        """
        if not batch:
            return
        if len({rows.record.id for rows in batch}) != len(batch):
            raise ValueError("a batch holds each briefing once")
        sentence_rows: list[tuple[str, dict[str, Any], str]] = []
        chunk_rows: list[tuple[str, dict[str, Any], str]] = []
        for rows in batch:
            sentence_rows += _sentence_rows(rows)
            chunk_rows += _chunk_rows(rows)
        self._add(self._sentences, sentence_rows)
        self._add(self._chunks, chunk_rows)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        # The commit point: from here on readers see these versions and only these versions.
        self._call(
            self._registry.upsert,
            ids=[rows.record.id for rows in batch],
            embeddings=[[1.0]] * len(batch),
            metadatas=[_record_meta(rows.record, now) for rows in batch],
        )
        self.generation += 1
        self._drop_rows(
            [rows.record.id for rows in batch],
            keep_versions=[rows.record.version for rows in batch],
        )

    def remove(self, briefing_id: str) -> bool:
        """Forget a briefing: its record first (so it vanishes at once), then its rows."""
        if self.record(briefing_id) is None:
            return False
        self._call(self._registry.delete, ids=[briefing_id])
        self.generation += 1
        self._drop_rows([briefing_id], keep_versions=[])
        return True

    def _add(self, store: Chroma, rows: Sequence[tuple[str, dict[str, Any], str]]) -> None:
        for at in range(0, len(rows), WRITE_BATCH):
            texts, metas, ids = zip(*rows[at : at + WRITE_BATCH], strict=True)
            self._call(store.add_texts, list(texts), metadatas=list(metas), ids=list(ids))

    def _drop_rows(self, briefing_ids: Sequence[str], keep_versions: Sequence[str]) -> None:
        """Delete the rows of these briefings except those of the versions kept.

        Versions are content hashes, so keeping one briefing's version never keeps another's
        rows unless their texts are identical (and then the rows are orphans no reader sees).
        """
        where: dict[str, Any] = {"briefing_id": {"$in": list(briefing_ids)}}
        if keep_versions:
            where = {"$and": [where, {"version": {"$nin": list(keep_versions)}}]}
        for store in (self._sentences, self._chunks):
            self._call(store._collection.delete, where=where)

    # -- reading ------------------------------------------------------------------------

    def corpus_key(self) -> tuple[tuple[str, str], ...]:
        """(briefing id, version) of every complete briefing: changes whenever the corpus does."""
        got = self._call(self._registry.get, include=["metadatas"])
        pairs = zip(got["ids"], got["metadatas"], strict=True)
        return tuple(sorted((i, str(m.get("version", ""))) for i, m in pairs))

    def load_corpus(self) -> Corpus:
        """Read every visible sentence (text and metadata, not vectors) into memory."""
        records = {r.id: r for r in self.records()}
        key = tuple(sorted((r.id, r.version) for r in records.values()))
        rows: list[StoredSentence] = []
        for rid, text, meta in self._pages(self._sentences):
            record = records.get(str(meta.get("briefing_id")))
            if record is None or record.version != meta.get("version"):
                continue  # a half-written or superseded version: never visible
            rows.append(_stored_sentence(rid, text, meta, record))
        rows.sort(key=lambda s: (s.sentence.briefing_id, s.sentence.index))
        return Corpus(key=key, records=records, sentences=tuple(rows))

    def sentences_of(self, record: BriefingRecord) -> list[tuple[StoredSentence, np.ndarray]]:
        """One complete briefing's sentences in order, each with its stored vector."""
        where = {"$and": [{"briefing_id": record.id}, {"version": record.version}]}
        got = self._call(
            self._sentences.get, where=where, include=["documents", "metadatas", "embeddings"]
        )
        found = [
            (_stored_sentence(rid, text, meta, record), np.asarray(vector, dtype=np.float32))
            for rid, text, meta, vector in zip(
                got["ids"], got["documents"], got["metadatas"], got["embeddings"], strict=True
            )
        ]
        found.sort(key=lambda pair: pair[0].sentence.index)
        return found

    def _pages(self, store: Chroma) -> Iterator[tuple[str, str, dict[str, Any]]]:
        offset = 0
        while True:
            got = self._call(
                store.get, include=["documents", "metadatas"], limit=READ_PAGE, offset=offset
            )
            yield from zip(got["ids"], got["documents"], got["metadatas"], strict=True)
            if len(got["ids"]) < READ_PAGE:
                return
            offset += READ_PAGE

    def nearest_sentences(self, vector: np.ndarray, k: int) -> list[str]:
        """Row ids of the k sentences nearest to vector (may include invisible rows)."""
        return self._nearest(self._sentences, vector, k)

    def nearest_chunks(self, vector: np.ndarray, k: int) -> list[str]:
        """Row ids of the k chunks nearest to vector (may include invisible rows)."""
        return self._nearest(self._chunks, vector, k)

    def _nearest(self, store: Chroma, vector: np.ndarray, k: int) -> list[str]:
        count = self._call(store._collection.count)
        if count == 0:
            return []
        got = self._call(
            store._collection.query,
            query_embeddings=[vector.tolist()],
            n_results=min(k, count),
            include=[],
        )
        return list(got["ids"][0])

    def sentence_vectors(self, row_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored vectors of the given sentence rows."""
        return self._vectors(self._sentences, row_ids)

    def chunk_vectors(self, row_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored vectors of the given chunk rows."""
        return self._vectors(self._chunks, row_ids)

    def _vectors(self, store: Chroma, row_ids: Sequence[str]) -> dict[str, np.ndarray]:
        if not row_ids:
            return {}
        got = self._call(store.get, ids=list(row_ids), include=["embeddings"])
        return {
            i: np.asarray(v, dtype=np.float32)
            for i, v in zip(got["ids"], got["embeddings"], strict=True)
        }

    @staticmethod
    def _call(fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except StoreError:
            raise
        except Exception as e:
            raise StoreError(
                f"The vector store failed ({type(e).__name__}: {e}). If you use a Chroma "
                "server, check that it is running; otherwise check the data directory."
            ) from e
