"""The catalogue: what the store holds besides the vectors, in SQLite on disk, updated per
briefing as it is written.

Chroma keeps the vectors; everything the ranking needs besides them lives here, and is changed
in the transaction that makes a briefing version visible. The ideas live in their own modules:

    schema.py    the tables, as numbered migrations, and rows as domain objects
    writes.py    the crash-safe write protocol (begin, commit, retire, forget)
    lexical.py   the lexical index: FTS5 over sentence terms, and term counts (IDF)
    sqlite.py    WAL, write transactions and the migration runner (shared with bot/state)

This class owns the connections (one per thread) and answers the registry's and the sentences'
questions. Nothing is ever rebuilt from the whole corpus: a write adds its briefing's rows and
counts, a removal takes them away. Several processes may use one catalogue file (WAL; writers
wait for each other), so all of them see a new briefing the moment it is committed.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from retrieval.errors import StoreError
from retrieval.index import articles, entities, lexical
from retrieval.index import writes as writes_
from retrieval.index.lexical import TermStatistics
from retrieval.index.schema import (
    MIGRATIONS,
    RECORD_COLUMNS,
    SENTENCE_COLUMNS,
    Entry,
    SentenceText,
    StoredSentence,
    day_number,
    prefixed,
    record_from_row,
    store_readings,
    stored_from_row,
    stored_text,
)
from retrieval.index.sqlite import migrate, use_write_ahead_log, write_transaction
from retrieval.types import BriefingRecord, Reading

BUSY_TIMEOUT = 30.0  # seconds a writer waits for another process's transaction

__all__ = ["BUSY_TIMEOUT", "Catalogue", "Entry", "StoredSentence", "TermStatistics", "day_number"]


class Catalogue:
    """The catalogue file; safe to share between threads (a connection each) and processes."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._guard = threading.Lock()
        try:
            use_write_ahead_log(self._db(), BUSY_TIMEOUT)
        except sqlite3.Error as e:
            raise StoreError(f"Could not open the catalogue {path}: {e}") from e
        try:
            migrate(self._db(), MIGRATIONS)
        except sqlite3.Error as e:
            raise StoreError(f"The catalogue {path} could not be brought up to date: {e}") from e

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            try:
                db = sqlite3.connect(
                    self.path, isolation_level=None, timeout=BUSY_TIMEOUT, check_same_thread=False
                )
            except sqlite3.Error as e:
                raise StoreError(f"Could not open the catalogue {self.path}: {e}") from e
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
            with self._guard:
                self._connections.append(db)
        return db

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        try:
            with write_transaction(self._db()) as db:
                yield db
        except sqlite3.Error as e:
            raise StoreError(f"The catalogue {self.path} could not be written: {e}") from e

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._db().execute(sql, tuple(params)).fetchall()
        except sqlite3.Error as e:
            raise StoreError(f"The catalogue {self.path} could not be read: {e}") from e

    def close(self) -> None:
        """Close every connection this object opened."""
        with self._guard:
            for db in self._connections:
                db.close()
            self._connections.clear()
        self._local = threading.local()

    # -- writing (the protocol: retrieval/index/writes.py) ---------------------------------

    def begin(self, writes: Sequence[tuple[str, str]]) -> None:
        """Record that these (briefing id, token) writes have begun: until they are committed
        or retired, nobody deletes their rows."""
        with self._write() as db:
            writes_.begin(db, writes)

    def commit(self, entries: Sequence[Entry]) -> list[str]:
        """Make these versions live in one transaction; returns the ids of those that were
        superseded by a later write of the same briefing (see writes.commit)."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self._write() as db:
            return writes_.commit(db, entries, now)

    def remove(self, briefing_id: str) -> tuple[str, str] | None:
        """Forget a briefing; returns its retired (id, token), or None if it is not stored."""
        with self._write() as db:
            return writes_.remove(db, briefing_id)

    def abandon(self, writes: Sequence[tuple[str, str]]) -> None:
        """These writes failed before their commit: their rows are to be deleted."""
        with self._write() as db:
            writes_.abandon(db, writes)

    def retire_stale(self, older_than: float) -> int:
        """Writes begun more than `older_than` seconds ago and never committed were cut off
        (a crash): retire them so that the next clean-up deletes their rows. Returns how many."""
        with self._write() as db:
            return writes_.retire_stale(db, older_than)

    def retired(self, limit: int = 1000) -> list[tuple[str, str]]:
        """Retired (briefing id, token) writes whose rows may still be in the vector store."""
        rows = self._rows(
            "SELECT briefing_id, token FROM writes WHERE state = 'retired' LIMIT ?", (limit,)
        )
        return [(r[0], r[1]) for r in rows]

    def forget(self, writes: Sequence[tuple[str, str]]) -> None:
        """The rows of these retired writes are gone: stop tracking them."""
        with self._write() as db:
            writes_.forget(db, writes)

    def merge_articles(self, canonical_url: Callable[[str], str], rules: int) -> int:
        """Once per version of the URL rules: store every URL in canonical form and merge the
        briefings that are one article into the newest (index/articles.py); the others' ids
        become its aliases. Returns how many briefings were merged away."""
        with self._write() as db:
            done = db.execute("SELECT value FROM meta WHERE key = 'url_rules'").fetchone()
            if done is not None and int(done[0]) >= rules:
                return 0
            groups = articles.duplicate_groups(db, canonical_url)
            for kept, others in groups:
                for other in others:
                    writes_.remove(db, other)
                    articles.redirect(db, other, kept)
            db.execute("UPDATE meta SET value = ? WHERE key = 'url_rules'", (rules,))
        return sum(len(others) for _, others in groups)

    def vector_kind(self, kind: str) -> str:
        """The kind of vectors this store holds ("float32" or "int8": which encoder made them,
        since questions must be embedded alike): the one recorded, else `kind`, now recorded.
        A store with briefings but no record is from before int8 existed: float32."""
        with self._write() as db:
            found = db.execute("SELECT value FROM meta WHERE key = 'vectors'").fetchone()
            if found is not None:
                return str(found[0])
            (briefings,) = db.execute("SELECT value FROM meta WHERE key = 'briefings'").fetchone()
            held = kind if int(briefings) == 0 else "float32"
            db.execute("INSERT INTO meta VALUES ('vectors', ?)", (held,))
        return held

    def add_aliases(self, briefing_id: str, aliases: Sequence[str]) -> None:
        """Other ids that name this briefing from now on (index/articles.py)."""
        with self._write() as db:
            articles.add_aliases(db, briefing_id, aliases)

    # -- the reading backlog (index/backlog.py) ----------------------------------------------

    def unread(self, limit: int) -> list[tuple[str, str, list[SentenceText]]]:
        """Up to `limit` briefings a bulk import stored unparsed, oldest first: (id, the token
        of the version stored, its sentences)."""
        try:
            db = self._db()
            found = db.execute(
                "SELECT id, token FROM briefings WHERE unread = 1 ORDER BY seq LIMIT ?", (limit,)
            ).fetchall()
            return [(bid, token, stored_text(db, bid)) for bid, token in found]
        except sqlite3.Error as e:
            raise StoreError(f"The catalogue {self.path} could not be read: {e}") from e

    def unread_count(self) -> int:
        """How many briefings wait for the parser."""
        return int(self._rows("SELECT count(*) FROM briefings WHERE unread = 1")[0][0])

    def store_readings(
        self,
        briefing_id: str,
        token: str,
        rows: Sequence[SentenceText],
        read: Sequence[tuple[str, Reading]],
    ) -> bool:
        """Store the readings of an unread briefing's sentences (`unread`), unless that version
        was replaced or read meanwhile; whether they were stored."""
        with self._write() as db:
            live = db.execute(
                "SELECT 1 FROM briefings WHERE id = ? AND token = ? AND unread = 1",
                (briefing_id, token),
            ).fetchone()
            if live is None:
                return False
            store_readings(db, briefing_id, rows, read)
            db.execute("UPDATE briefings SET unread = 0 WHERE id = ?", (briefing_id,))
        return True

    # -- the registry -----------------------------------------------------------------------

    def same_articles(
        self, wanted: Sequence[tuple[str, str | None, str]]
    ) -> dict[str, tuple[str, articles.How]]:
        """For each (id, canonical url, text key) of a briefing about to be stored, the stored
        briefing it already is and how it was found (index/articles.py); new ones are left
        out."""
        try:
            return articles.matches(self._db(), wanted)
        except sqlite3.Error as e:
            raise StoreError(f"The catalogue {self.path} could not be read: {e}") from e

    def resolve(self, ids: Sequence[str]) -> dict[str, str]:
        """The live briefing each id names, itself or as an alias; unknown ids are left out."""
        try:
            return articles.resolve(self._db(), ids)
        except sqlite3.Error as e:
            raise StoreError(f"The catalogue {self.path} could not be read: {e}") from e

    def record(self, briefing_id: str) -> BriefingRecord | None:
        """The live briefing with this id."""
        rows = self._rows(f"SELECT {RECORD_COLUMNS} FROM briefings WHERE id = ?", (briefing_id,))
        return record_from_row(rows[0]) if rows else None

    def records_of(self, briefing_ids: Sequence[str]) -> dict[str, BriefingRecord]:
        """The live briefings among these ids, by id."""
        found: dict[str, BriefingRecord] = {}
        ids = list(dict.fromkeys(briefing_ids))
        for at in range(0, len(ids), 500):
            part = ids[at : at + 500]
            marks = ",".join("?" * len(part))
            sql = f"SELECT {RECORD_COLUMNS} FROM briefings WHERE id IN ({marks})"
            found.update((r[0], record_from_row(r)) for r in self._rows(sql, part))
        return found

    def records(self, limit: int | None = None) -> list[BriefingRecord]:
        """Live briefings, newest first (by published date, then by when added)."""
        sql = f"SELECT {RECORD_COLUMNS} FROM briefings ORDER BY day DESC, added_at DESC, id"
        rows = self._rows(f"{sql} LIMIT ?", (limit,)) if limit else self._rows(sql)
        return [record_from_row(r) for r in rows]

    def newest_commit(self) -> int:
        """The number of the latest commit (0 for none): what `records_since` counts from."""
        rows = self._rows("SELECT value FROM meta WHERE key = 'seq'")
        return int(rows[0][0]) if rows else 0

    def records_since(self, seq: int) -> list[tuple[int, BriefingRecord]]:
        """(commit number, record) of briefing versions committed after commit number `seq`,
        oldest first."""
        rows = self._rows(
            f"SELECT seq, {RECORD_COLUMNS} FROM briefings WHERE seq > ? ORDER BY seq", (seq,)
        )
        return [(r[0], record_from_row(r[1:])) for r in rows]

    def find(self, prefix: str) -> list[BriefingRecord]:
        """Live briefings whose id starts with prefix (users type short ids)."""
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = self._rows(
            f"SELECT {RECORD_COLUMNS} FROM briefings WHERE id LIKE ? ESCAPE '\\' ORDER BY id",
            (escaped + "%",),
        )
        return [record_from_row(r) for r in rows if r[0].startswith(prefix)]

    def count(self) -> tuple[int, int]:
        """(briefings, sentences) live."""
        values = dict(self._rows("SELECT key, value FROM meta"))
        return int(values["briefings"]), int(values["sentences"])

    # -- sentences and terms ----------------------------------------------------------------

    def sentences(self, keys: Sequence[tuple[str, int]]) -> dict[tuple[str, int], StoredSentence]:
        """Live sentences by (briefing id, index)."""
        found: dict[tuple[str, int], StoredSentence] = {}
        unique = list(dict.fromkeys(keys))
        for at in range(0, len(unique), 400):
            part = unique[at : at + 400]
            where = " OR ".join("(briefing_id = ? AND idx = ?)" for _ in part)
            params = [v for key in part for v in key]
            for row in self._rows(
                f"SELECT {SENTENCE_COLUMNS} FROM sentences WHERE {where}", params
            ):
                stored = stored_from_row(row)
                found[(stored.sentence.briefing_id, stored.sentence.index)] = stored
        return found

    def statements_by(self, name: str, limit: int) -> list[StoredSentence]:
        """Live sentences said by the person or group a name means under any of its spellings
        ("Zelenskyy", "Zelensky", "Volodymyr Zelensky"; see index/entities.py) and by no one
        else ("the separatist leader in Donetsk" is not Donetsk); for a name no briefing names
        as an entity, those whose speaker as written holds it as whole words ("spokesperson").
        The newest briefings first, in text order within one."""
        words = " ".join(name.lower().split())
        if not words:
            return []
        columns = prefixed(SENTENCE_COLUMNS, "s")
        try:
            keys = entities.keys_for(self._db(), name)
        except sqlite3.Error as e:
            raise StoreError(f"The catalogue {self.path} could not be read: {e}") from e
        if keys:
            marks = ", ".join("?" for _ in keys)
            by_key = (
                f"SELECT {columns} FROM sentences s JOIN briefings b ON b.id = s.briefing_id "
                f"WHERE s.speaker_key IN ({marks}) AND s.furniture = '' "
                "ORDER BY s.day DESC, b.seq DESC, s.idx LIMIT ?"
            )
            return [stored_from_row(r) for r in self._rows(by_key, (*keys, limit))]
        sql = (
            f"SELECT {columns} FROM sentences s JOIN briefings b ON b.id = s.briefing_id "
            "WHERE s.speaker != '' AND s.furniture = '' "
            "AND (' ' || lower(s.speaker) || ' ') LIKE ? ESCAPE '\\' "
            "ORDER BY s.day DESC, b.seq DESC, s.idx LIMIT ?"
        )
        escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return [stored_from_row(r) for r in self._rows(sql, (f"% {escaped} %", limit))]

    def entities_of(self, briefing_ids: Sequence[str]) -> dict[str, set[str]]:
        """The entity keys each of these briefings names (people, groups, places), by id."""
        found: dict[str, set[str]] = {bid: set() for bid in briefing_ids}
        ids = list(found)
        for at in range(0, len(ids), 500):
            part = ids[at : at + 500]
            sql = (
                "SELECT DISTINCT s.briefing_id, m.entity FROM sentences s "
                "JOIN mentions m ON m.sentence = s.rowid "
                f"WHERE s.briefing_id IN ({','.join('?' * len(part))})"
            )
            for bid, key in self._rows(sql, part):
                found[bid].add(key)
        return found

    def sentences_between(self, briefing_id: str, first: int, last: int) -> list[StoredSentence]:
        """A live briefing's sentences first..last (a chunk's members), in order."""
        rows = self._rows(
            f"SELECT {SENTENCE_COLUMNS} FROM sentences WHERE briefing_id = ? "
            "AND idx BETWEEN ? AND ? ORDER BY idx",
            (briefing_id, first, last),
        )
        return [stored_from_row(r) for r in rows]

    def sentences_of(self, briefing_id: str) -> list[StoredSentence]:
        """A live briefing's sentences in order."""
        rows = self._rows(
            f"SELECT {SENTENCE_COLUMNS} FROM sentences WHERE briefing_id = ? ORDER BY idx",
            (briefing_id,),
        )
        return [stored_from_row(r) for r in rows]

    def lexical_candidates(
        self,
        query: Sequence[str],
        k: int,
        max_day: int | None = None,
        min_day: int | None = None,
    ) -> list[StoredSentence]:
        """The k live sentences that best match the query terms by the full-text index (see
        lexical.candidates), published from `min_day` up to `max_day` where given."""
        return lexical.candidates(self._rows, query, k, max_day, min_day)

    def statistics(self, query: Sequence[str]) -> TermStatistics:
        """Corpus counts and the frequencies of these terms."""
        return lexical.statistics(self._rows, query)

    def briefings_holding(
        self, query: Sequence[str], briefing_ids: Sequence[str]
    ) -> dict[str, set[str]]:
        """For each of these briefings, which of the query terms it holds (title or text)."""
        return lexical.briefings_holding(self._rows, query, briefing_ids)

    def tokens(self) -> tuple[set[str], set[str]]:
        """(tokens of live versions, tokens of writes in progress or retired): a vector row
        whose token is in neither belongs to nobody."""
        live = {r[0] for r in self._rows("SELECT token FROM briefings")}
        pending = {r[0] for r in self._rows("SELECT token FROM writes")}
        return live, pending

    def integrity(self) -> str:
        """SQLite's own check of the file: "ok", or what it found."""
        return "; ".join(str(r[0]) for r in self._rows("PRAGMA integrity_check"))

    def live_tokens(self, briefing_ids: Sequence[str]) -> dict[str, str]:
        """The token of the live write of each of these briefings that is stored."""
        found: dict[str, str] = {}
        ids = list(dict.fromkeys(briefing_ids))
        for at in range(0, len(ids), 500):
            part = ids[at : at + 500]
            marks = ",".join("?" * len(part))
            rows = self._rows(f"SELECT id, token FROM briefings WHERE id IN ({marks})", part)
            found.update((r[0], r[1]) for r in rows)
        return found

    def chunk_sentences(
        self, chunks: Sequence[tuple[str, int]]
    ) -> dict[tuple[str, int], list[StoredSentence]]:
        """The live sentences each chunk (briefing id, chunk number) holds, in order: one read
        for a question's nearest chunks instead of one per chunk."""
        found: dict[tuple[str, int], list[StoredSentence]] = {key: [] for key in chunks}
        wanted = list(found)
        for at in range(0, len(wanted), 400):
            part = wanted[at : at + 400]
            # `chunks` holds a sentence's chunk numbers as "3,4"; each test uses the
            # (briefing_id, idx) index.
            where = " OR ".join(
                "(briefing_id = ? AND instr(',' || chunks || ',', ?) > 0)" for _ in part
            )
            params = [v for bid, n in part for v in (bid, f",{n},")]
            for row in self._rows(
                f"SELECT {SENTENCE_COLUMNS} FROM sentences WHERE {where}", params
            ):
                stored = stored_from_row(row)
                for n in stored.chunks:
                    held = found.get((stored.sentence.briefing_id, n))
                    if held is not None:
                        held.append(stored)
        for held in found.values():
            held.sort(key=lambda s: s.sentence.index)
        return found
