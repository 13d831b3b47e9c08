"""The briefing store: sentence and chunk vectors in Chroma, everything else in the catalogue.

A write stores a briefing's vector rows under a token new to that write, then commits the
briefing in the catalogue (index/catalogue.py), which is what makes it visible; readers keep
only rows whose token is the live one. A crash mid-write therefore leaves nothing visible, a
replaced or removed version's rows are deleted after the commit, and two writers of one
briefing end with one complete version (the last to commit) whatever the interleaving.

Questions touch only their candidates: the nearest rows in Chroma (filtered by date inside the
query), the best lexical matches in the catalogue, and the catalogue rows of those candidates.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from retrieval.embedding.model import SentenceEmbeddings
from retrieval.errors import StoreError
from retrieval.index.catalogue import Catalogue, Entry, StoredSentence, day_number
from retrieval.index.registry_upgrade import upgrade
from retrieval.types import BriefingRecord, Chunk, Sentence

log = logging.getLogger(__name__)

WRITE_BATCH = 256  # rows per Chroma insert (its throughput plateaus near 150)
STALE_WRITE = 3600.0  # seconds after which an uncommitted write is taken for a crashed one
# Chroma's CreateCollectionConfiguration is a TypedDict; this is one.
_COSINE: Any = {"hnsw": {"space": "cosine"}}


@dataclass(frozen=True)
class BriefingRows:
    """Everything stored for one briefing version: its record, sentences and chunks."""

    record: BriefingRecord
    sentences: tuple[Sentence, ...]
    chunks: tuple[Chunk, ...]
    chunk_texts: tuple[str, ...]
    aliases: tuple[str, ...] = ()  # other ids the briefing was given (index/articles.py)
    unread: bool = False  # not parsed yet: a bulk import (index/backlog.py reads it later)


@dataclass(frozen=True)
class ChunkHit:
    """A chunk found near a question: its row and the sentences it spans."""

    row_id: str
    briefing_id: str
    first: int
    last: int


@dataclass(frozen=True)
class StoreCheck:
    """What `BriefingStore.check` found and did."""

    briefings: int
    cleaned_writes: int  # retired or cut-off writes whose rows were deleted
    orphan_rows: int  # vector rows of no known write, deleted
    incomplete: tuple[str, ...]  # live briefings whose sentence rows are not all there
    integrity: str  # SQLite's integrity_check of the catalogue: "ok" when sound

    @property
    def sound(self) -> bool:
        """Whether the store is now as the catalogue says."""
        return not self.incomplete and self.integrity == "ok"


def row_id(item_id: str, token: str) -> str:
    """Chroma row id of a sentence or chunk stored by one write."""
    return f"{item_id}@{token}"


def _membership(rows: BriefingRows) -> tuple[tuple[int, ...], ...]:
    """Per sentence, the numbers of the chunks that hold it."""
    holders: dict[int, list[int]] = {}
    for chunk in rows.chunks:
        for index in range(chunk.first_sentence, chunk.last_sentence + 1):
            holders.setdefault(index, []).append(chunk.index)
    return tuple(tuple(holders.get(s.index, ())) for s in rows.sentences)


class BriefingStore:
    """Sentences and chunks in Chroma, the registry and lexical index in the catalogue."""

    def __init__(
        self,
        client: Any,
        embeddings: SentenceEmbeddings,
        catalogue: Catalogue,
        namespace: str = "briefbot",
    ) -> None:
        self.embeddings = embeddings
        self.catalogue = catalogue
        try:
            self._sentences = client.get_or_create_collection(
                f"{namespace}-sentences", embedding_function=None, configuration=_COSINE
            )
            self._chunks = client.get_or_create_collection(
                f"{namespace}-chunks", embedding_function=None, configuration=_COSINE
            )
        except Exception as e:
            raise StoreError(f"Could not open the briefing collections: {e}") from e
        # A store from before the catalogue is brought into it, once.
        self._call(upgrade, client, self._sentences, self._chunks, catalogue, namespace)

    # -- the registry -----------------------------------------------------------------------

    def record(self, briefing_id: str) -> BriefingRecord | None:
        """The complete briefing with this id, if stored."""
        return self.catalogue.record(briefing_id)

    def records_of(self, briefing_ids: Sequence[str]) -> dict[str, BriefingRecord]:
        """The complete briefings among these ids, by id."""
        return self.catalogue.records_of(briefing_ids)

    def records(self, limit: int | None = None) -> list[BriefingRecord]:
        """Complete briefings, newest first (by published date, then by when added)."""
        return self.catalogue.records(limit)

    def records_since(self, seq: int) -> list[tuple[int, BriefingRecord]]:
        """(commit number, record) of the briefing versions committed after commit `seq`, in
        commit order: what is new since a reader last looked, without listing the rest."""
        return self.catalogue.records_since(seq)

    def find(self, prefix: str) -> list[BriefingRecord]:
        """Complete briefings whose id starts with prefix (users type short ids)."""
        return self.catalogue.find(prefix)

    # -- writing ----------------------------------------------------------------------------

    def write(
        self,
        record: BriefingRecord,
        sentences: Sequence[Sentence],
        chunks: Sequence[Chunk],
        chunk_texts: Sequence[str],
    ) -> None:
        """Write every row of one briefing version, then commit it; then drop older rows."""
        self.write_many([BriefingRows(record, tuple(sentences), tuple(chunks), tuple(chunk_texts))])

    def write_many(self, batch: Sequence[BriefingRows]) -> None:
        """Write several briefings' rows in shared batches (far fewer, fuller model and database
        calls than one at a time), commit them all at once, then drop the rows they replaced.

        Each briefing is still all or nothing: until the commit, readers see none of the new
        rows, and a failure before it leaves only rows that no live token names (deleted by
        the next clean-up).
        """
        if not batch:
            return
        if len({rows.record.id for rows in batch}) != len(batch):
            raise ValueError("a batch holds each briefing once")
        tokens = [uuid.uuid4().hex for _ in batch]
        writes = [(rows.record.id, token) for rows, token in zip(batch, tokens, strict=True)]
        self.catalogue.begin(writes)
        try:
            self._add_vectors(batch, tokens)
        except BaseException:
            self.catalogue.abandon(writes)
            raise
        entries = [
            Entry(rows.record, token, rows.sentences, _membership(rows), rows.aliases, rows.unread)
            for rows, token in zip(batch, tokens, strict=True)
        ]
        superseded = self.catalogue.commit(entries)  # the commit point
        if superseded:
            # Rows this write added after another write retired (and cleaned) it are deleted
            # here: nobody else knows about them any more.
            mine = sorted({token for (bid, token) in writes if bid in superseded})
            for collection in (self._sentences, self._chunks):
                self._call(collection.delete, where={"token": {"$in": mine}})
        self.clean()
        if superseded:
            raise StoreError(
                f"{', '.join(superseded)} was being stored by another process at the same time, "
                "which began later and wins; ingest it again if this copy is newer."
            )

    def remove(self, briefing_id: str) -> bool:
        """Forget a briefing: its catalogue rows first (so it vanishes at once), then its
        vectors."""
        if self.catalogue.remove(briefing_id) is None:
            return False
        self.clean()
        return True

    def merge_articles(self, canonical_url: Callable[[str], str], rules: int) -> int:
        """Make stored URLs canonical by the URL rules numbered `rules` (once per number) and
        merge the briefings that are one article; returns how many were merged away."""
        merged = self.catalogue.merge_articles(canonical_url, rules)
        if merged:
            self.clean()
        return merged

    def clean(self, stale_after: float = STALE_WRITE) -> int:
        """Delete the vector rows of retired writes (replaced, removed, failed, or begun so
        long ago that they were cut off); returns how many writes were cleaned."""
        self.catalogue.retire_stale(stale_after)
        retired = self.catalogue.retired()
        if not retired:
            return 0
        where = {"token": {"$in": sorted({token for _, token in retired})}}
        for collection in (self._sentences, self._chunks):
            self._call(collection.delete, where=where)
        self.catalogue.forget(retired)
        return len(retired)

    def check(self, stale_after: float = STALE_WRITE, page: int = 5_000) -> StoreCheck:
        """Sweep what crashes left and verify the vectors against the catalogue.

        Retired and stale writes are cleaned; vector rows whose write the catalogue does not
        know (left by a crash before the write was recorded, or by an old version) are deleted;
        every live briefing must have as many sentence rows as its record says. Reads every
        row id once: a maintenance command, not something a question does.
        """
        cleaned = self.clean(stale_after)
        live, pending = self.catalogue.tokens()
        known = live | pending
        per_token: dict[str, int] = {}
        orphans = 0
        for collection in (self._sentences, self._chunks):
            ids: list[str] = []
            at = 0
            while True:
                got = self._call(collection.get, include=[], limit=page, offset=at)["ids"]
                ids += got
                at += len(got)
                if len(got) < page:
                    break
            stray = [i for i in ids if i.rpartition("@")[2] not in known]
            for start in range(0, len(stray), page):
                self._call(collection.delete, ids=stray[start : start + page])
            orphans += len(stray)
            if collection is self._sentences:
                for i in ids:
                    token = i.rpartition("@")[2]
                    if token in live:
                        per_token[token] = per_token.get(token, 0) + 1
        records = self.catalogue.records()
        tokens = self.catalogue.live_tokens([r.id for r in records])
        incomplete = [
            r.id for r in records if per_token.get(tokens.get(r.id, ""), 0) != r.sentence_count
        ]
        return StoreCheck(
            briefings=len(live),
            cleaned_writes=cleaned,
            orphan_rows=orphans,
            incomplete=tuple(incomplete),
            integrity=self.catalogue.integrity(),
        )

    def _add_vectors(self, batch: Sequence[BriefingRows], tokens: Sequence[str]) -> None:
        sentence_rows: list[tuple[str, dict[str, Any], str]] = []
        chunk_rows: list[tuple[str, dict[str, Any], str]] = []
        for rows, token in zip(batch, tokens, strict=True):
            common = {
                "briefing_id": rows.record.id,
                "token": token,
                "day": day_number(rows.record.published),
            }
            sentence_rows += [
                (s.text, {**common, "index": s.index}, row_id(s.id, token)) for s in rows.sentences
            ]
            chunk_rows += [
                (
                    text,
                    {
                        **common,
                        "index": c.index,
                        "first": c.first_sentence,
                        "last": c.last_sentence,
                    },
                    row_id(c.id, token),
                )
                for c, text in zip(rows.chunks, rows.chunk_texts, strict=True)
            ]
        sentence_vectors = self.embeddings.encode([text for text, _, _ in sentence_rows])
        chunk_vectors = self.embeddings.encode([text for text, _, _ in chunk_rows])
        self._insert(self._sentences, sentence_rows, sentence_vectors)
        self._insert(self._chunks, chunk_rows, chunk_vectors)

    def _insert(
        self, collection: Any, rows: Sequence[tuple[str, dict[str, Any], str]], vectors: np.ndarray
    ) -> None:
        """Vectors and their metadata only: the text lives in the catalogue, and Chroma's own
        copy (with its trigram index) cost a third of a bulk import's time in Chroma."""
        for at in range(0, len(rows), WRITE_BATCH):
            part = rows[at : at + WRITE_BATCH]
            self._call(
                collection.add,
                ids=[rid for _, _, rid in part],
                embeddings=vectors[at : at + len(part)],
                metadatas=[meta for _, meta, _ in part],
            )

    # -- reading ----------------------------------------------------------------------------

    def nearest_sentences(
        self, vector: np.ndarray, k: int, as_of: date | None = None, since: date | None = None
    ) -> list[tuple[str, int, str]]:
        """(briefing id, sentence index, row id) of the k live sentences nearest to vector,
        published by `as_of` and from `since` (the date filter runs inside Chroma's query)."""
        hits = self._nearest(self._sentences, vector, k, as_of, since)
        live = self.catalogue.live_tokens([meta["briefing_id"] for _, meta in hits])
        return [
            (meta["briefing_id"], int(meta["index"]), rid)
            for rid, meta in hits
            if live.get(meta["briefing_id"]) == meta["token"]
        ]

    def nearest_chunks(
        self, vector: np.ndarray, k: int, as_of: date | None = None, since: date | None = None
    ) -> list[ChunkHit]:
        """The k live chunks nearest to vector, published by `as_of` and from `since`."""
        hits = self._nearest(self._chunks, vector, k, as_of, since)
        live = self.catalogue.live_tokens([meta["briefing_id"] for _, meta in hits])
        return [
            ChunkHit(rid, meta["briefing_id"], int(meta["first"]), int(meta["last"]))
            for rid, meta in hits
            if live.get(meta["briefing_id"]) == meta["token"]
        ]

    def _nearest(
        self,
        collection: Any,
        vector: np.ndarray,
        k: int,
        as_of: date | None,
        since: date | None = None,
    ) -> list[tuple[str, dict[str, Any]]]:
        # No count() first: it cost as much as the query at 100k rows, and Chroma returns fewer
        # than k (or none) by itself.
        tests: list[dict[str, Any]] = []
        if as_of is not None:
            tests.append({"day": {"$lte": day_number(as_of)}})
        if since is not None:
            tests.append({"day": {"$gte": day_number(since)}})
        where = tests[0] if len(tests) == 1 else ({"$and": tests} if tests else None)
        got = self._call(
            collection.query,
            query_embeddings=[np.asarray(vector, dtype=np.float32)],
            n_results=k,
            where=where,
            include=["metadatas"],
        )
        return list(zip(got["ids"][0], got["metadatas"][0], strict=True))

    def sentence_row_ids(self, keys: Sequence[tuple[str, int]]) -> dict[tuple[str, int], str]:
        """The Chroma row of each live sentence (briefing id, index)."""
        live = self.catalogue.live_tokens([bid for bid, _ in keys])
        return {
            (bid, index): row_id(f"{bid}:s{index}", live[bid]) for bid, index in keys if bid in live
        }

    def chunk_row_ids(self, keys: Sequence[tuple[str, int]]) -> dict[tuple[str, int], str]:
        """The Chroma row of each live chunk (briefing id, chunk number)."""
        live = self.catalogue.live_tokens([bid for bid, _ in keys])
        return {(bid, n): row_id(f"{bid}:c{n}", live[bid]) for bid, n in keys if bid in live}

    def sentence_vectors(self, row_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored vectors of the given sentence rows."""
        return self._vectors(self._sentences, row_ids)

    def chunk_vectors(self, row_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored vectors of the given chunk rows."""
        return self._vectors(self._chunks, row_ids)

    def _vectors(self, collection: Any, row_ids: Sequence[str]) -> dict[str, np.ndarray]:
        if not row_ids:
            return {}
        got = self._call(collection.get, ids=list(dict.fromkeys(row_ids)), include=["embeddings"])
        return {
            i: np.asarray(v, dtype=np.float32)
            for i, v in zip(got["ids"], got["embeddings"], strict=True)
        }

    def sentences_of(self, record: BriefingRecord) -> list[tuple[StoredSentence, np.ndarray]]:
        """One complete briefing's sentences in order, each with its stored vector."""
        sentences = self.catalogue.sentences_of(record.id)
        rows = self.sentence_row_ids([(record.id, s.sentence.index) for s in sentences])
        vectors = self.sentence_vectors(list(rows.values()))
        return [
            (s, vectors[rows[(record.id, s.sentence.index)]])
            for s in sentences
            if rows.get((record.id, s.sentence.index)) in vectors
        ]

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

    # -- a question's reads by row id ---------------------------------------------------------
    # Chroma's metadata lookup costs more than its vector search (about 80 µs a row, against
    # 2 ms for the whole search at 20k sentences), and a row id already names the briefing,
    # the sentence or chunk, and the write (`row_id`): a question reads those from the ids.

    def nearest_rows(
        self,
        vector: np.ndarray,
        sentences: int,
        chunks: int,
        as_of: date | None = None,
        since: date | None = None,
    ) -> tuple[list[tuple[str, int, str]], list[tuple[str, int, str]]]:
        """What nearest_sentences and nearest_chunks find, read from the row ids, with one
        catalogue read: (briefing id, sentence index, row id) of the `sentences` nearest live
        sentences, and (briefing id, chunk number, row id) of the `chunks` nearest live chunks."""
        found = []
        for collection, k, kind in ((self._sentences, sentences, "s"), (self._chunks, chunks, "c")):
            ids = self._nearest_ids(collection, vector, k, as_of, since)
            parsed = [(self._parse_row_id(rid, kind), rid) for rid in ids]
            found.append([(named, rid) for named, rid in parsed if named is not None])
        live = self.catalogue.live_tokens([named[0] for hits in found for named, _ in hits])
        near_sentences, near_chunks = (
            [(bid, number, rid) for (bid, number, token), rid in hits if live.get(bid) == token]
            for hits in found
        )
        return near_sentences, near_chunks

    def row_ids(
        self, sentences: Sequence[tuple[str, int]], chunks: Sequence[tuple[str, int]]
    ) -> tuple[dict[tuple[str, int], str], dict[tuple[str, int], str]]:
        """sentence_row_ids and chunk_row_ids together, with one catalogue read."""
        live = self.catalogue.live_tokens([bid for bid, _ in (*sentences, *chunks)])
        return (
            {(b, i): row_id(f"{b}:s{i}", live[b]) for b, i in sentences if b in live},
            {(b, n): row_id(f"{b}:c{n}", live[b]) for b, n in chunks if b in live},
        )

    def _nearest_ids(
        self, collection: Any, vector: np.ndarray, k: int, as_of: date | None, since: date | None
    ) -> list[str]:
        tests: list[dict[str, Any]] = []
        if as_of is not None:
            tests.append({"day": {"$lte": day_number(as_of)}})
        if since is not None:
            tests.append({"day": {"$gte": day_number(since)}})
        where = tests[0] if len(tests) == 1 else ({"$and": tests} if tests else None)
        got = self._call(
            collection.query,
            query_embeddings=[np.asarray(vector, dtype=np.float32)],
            n_results=k,
            where=where,
            include=[],
        )
        return list(got["ids"][0])

    @staticmethod
    def _parse_row_id(rid: str, kind: str) -> tuple[str, int, str] | None:
        """(briefing id, sentence index or chunk number, token) of a row id that `row_id` made
        from "briefing:sN" (kind "s") or "briefing:cN" (kind "c"); None for another shape."""
        item, _, token = rid.rpartition("@")
        bid, _, number = item.rpartition(":")
        if not token or not bid or number[:1] != kind or not number[1:].isdigit():
            return None
        return bid, int(number[1:]), token
