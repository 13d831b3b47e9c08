"""The catalogue: what the store holds, in SQLite on disk, updated per briefing as it is written.

Chroma keeps the vectors; everything the ranking needs besides them lives here, and is changed in
the same transaction that makes a briefing version visible:

    briefings        the registry: one live version per briefing (title, date, url, ...) and
                     the token of the write that stored its vector rows; the row is the commit
                     point of a write
    writes           writes in progress (their rows may be half there) and retired writes
                     (their rows are to be deleted); readers only trust the live token. A token
                     is new for every write, so deleting a retired write's rows can never touch
                     the rows of a later write of the same content
    sentences        each live sentence: text, offsets, chunk numbers, and its terms (title and
                     sentence, stemmed), which sentence_fts (FTS5, external content) indexes
    terms            per term: how many briefings and how many sentences hold it (IDF for the
                     coverage rule and BM25), kept by increments
    briefing_terms   which briefing holds which term (the coverage rule, per candidate)
    meta             counters: briefings, sentences, total terms, the commit sequence

Nothing here is ever rebuilt from the whole corpus: a write adds its briefing's rows and
counts, a removal takes them away. Several processes may use one catalogue file (WAL; writers
wait for each other), so all of them see a new briefing the moment it is committed.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from retrieval.errors import StoreError
from retrieval.lexical import terms as text_terms
from retrieval.speakers import speakers
from retrieval.sqlite_file import use_write_ahead_log
from retrieval.types import BriefingRecord, Sentence

BUSY_TIMEOUT = 30.0  # seconds a writer waits for another process's transaction
# Terms held by more than this share of all sentences, or by more than COMMON_TERM_SENTENCES,
# select nothing: they are left out of the lexical candidate query (they still count in the BM25
# of every candidate). The absolute cap keeps the query's cost flat as the store grows: FTS5
# ranks every sentence a query term matches, and at 100k sentences a 20% share made the query
# 38 ms of a 100 ms question (1,000: 10 ms). Below 5k sentences the share decides, as before.
COMMON_TERM_SHARE = 0.2
COMMON_TERM_SENTENCES = 1_000
MAX_QUERY_TERMS = 8


def day_number(day: date | None) -> int:
    """A date as a number that orders like it (its ordinal); 0 for undated, which every
    `as_of` admits."""
    return day.toordinal() if day else 0


def _m001_catalogue(db: sqlite3.Connection) -> None:
    # One statement at a time: executescript() would commit the migration's transaction.
    _statements(
        db,
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
        INSERT INTO meta VALUES ('briefings', 0), ('sentences', 0), ('length', 0), ('seq', 0);
        CREATE TABLE briefings (
            id             TEXT PRIMARY KEY,
            version        TEXT NOT NULL,
            token          TEXT NOT NULL,
            title          TEXT NOT NULL,
            source         TEXT NOT NULL,
            url            TEXT,
            published      TEXT,
            day            INTEGER NOT NULL,
            added_at       TEXT NOT NULL,
            sentence_count INTEGER NOT NULL,
            seq            INTEGER NOT NULL
        );
        CREATE INDEX briefings_by_seq ON briefings (seq);
        CREATE TABLE writes (
            briefing_id TEXT NOT NULL,
            token       TEXT NOT NULL,
            state       TEXT NOT NULL CHECK (state IN ('writing', 'retired')),
            since       REAL NOT NULL,
            PRIMARY KEY (briefing_id, token)
        );
        CREATE TABLE sentences (
            rowid       INTEGER PRIMARY KEY,
            briefing_id TEXT NOT NULL,
            idx         INTEGER NOT NULL,
            start       INTEGER NOT NULL,
            end         INTEGER NOT NULL,
            text        TEXT NOT NULL,
            chunks      TEXT NOT NULL,
            terms       TEXT NOT NULL,
            day         INTEGER NOT NULL,
            UNIQUE (briefing_id, idx)
        );
        CREATE VIRTUAL TABLE sentence_fts USING fts5(
            terms, content='sentences', content_rowid='rowid', detail='none'
        );
        CREATE TABLE terms (
            term      TEXT PRIMARY KEY,
            briefings INTEGER NOT NULL,
            sentences INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE briefing_terms (
            term        TEXT NOT NULL,
            briefing_id TEXT NOT NULL,
            PRIMARY KEY (term, briefing_id)
        ) WITHOUT ROWID;
        CREATE INDEX briefing_terms_by_briefing ON briefing_terms (briefing_id);
        """,
    )


def _statements(db: sqlite3.Connection, script: str) -> None:
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def _m002_speakers(db: sqlite3.Connection) -> None:
    """Who said each sentence (retrieval/speakers.py), found for the sentences already there."""
    db.execute("ALTER TABLE sentences ADD COLUMN speaker TEXT NOT NULL DEFAULT ''")
    db.execute("CREATE INDEX sentences_by_speaker ON sentences (speaker) WHERE speaker != ''")
    briefing_ids = [bid for (bid,) in db.execute("SELECT id FROM briefings")]
    for bid in briefing_ids:
        rows = db.execute(
            "SELECT rowid, text FROM sentences WHERE briefing_id = ? ORDER BY idx", (bid,)
        ).fetchall()
        found = speakers([text for _, text in rows])
        db.executemany(
            "UPDATE sentences SET speaker = ? WHERE rowid = ?",
            [(who, rowid) for (rowid, _), who in zip(rows, found, strict=True) if who],
        )


MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (_m001_catalogue, _m002_speakers)


@dataclass(frozen=True)
class StoredSentence:
    """A live sentence as the search sees it, with its chunk numbers and terms."""

    rowid: int
    sentence: Sentence
    chunks: tuple[int, ...]
    terms: tuple[str, ...]  # the briefing title's terms, then the sentence's


@dataclass(frozen=True)
class Entry:
    """One briefing version to make live: its record, the token of the write that stored its
    vector rows, its sentences and their chunk numbers."""

    record: BriefingRecord
    token: str
    sentences: tuple[Sentence, ...]
    chunks: tuple[tuple[int, ...], ...]  # per sentence, the chunks that hold it


@dataclass(frozen=True)
class TermStatistics:
    """What IDF needs for some terms: how many briefings and sentences hold each, of how many."""

    briefings: int
    sentences: int
    average_length: float
    briefing_frequency: dict[str, int]
    sentence_frequency: dict[str, int]


_RECORD_COLUMNS = "id, version, title, source, url, published, added_at, sentence_count"
_SENTENCE_COLUMNS = "rowid, briefing_id, idx, start, end, text, chunks, terms, speaker"


def _record(row: tuple[Any, ...]) -> BriefingRecord:
    rid, version, title, source, url, published, added_at, count = row
    return BriefingRecord(
        id=rid,
        title=title,
        source=source,
        version=version,
        sentence_count=count,
        url=url or None,
        published=date.fromisoformat(published) if published else None,
        added_at=added_at,
    )


def _stored(row: tuple[Any, ...]) -> StoredSentence:
    rowid, bid, idx, start, end, text, chunks, terms, speaker = row
    sentence = Sentence(f"{bid}:s{idx}", bid, idx, text, start, end, speaker)
    numbers = tuple(int(n) for n in chunks.split(",") if n)
    return StoredSentence(rowid, sentence, numbers, tuple(terms.split()))


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
        with self._write() as db:
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            for number, migration in enumerate(MIGRATIONS[version:], start=version + 1):
                migration(db)
                db.execute(f"PRAGMA user_version = {number}")

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
        db = self._db()
        try:
            db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as e:
            raise StoreError(f"The catalogue {self.path} is not writable: {e}") from e
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

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

    # -- writing ----------------------------------------------------------------------------

    def begin(self, writes: Sequence[tuple[str, str]]) -> None:
        """Record that these (briefing id, token) writes have begun: until they are committed
        or retired, nobody deletes their rows."""
        now = time.time()
        with self._write() as db:
            db.executemany(
                "INSERT OR REPLACE INTO writes VALUES (?, ?, 'writing', ?)",
                [(bid, token, now) for bid, token in writes],
            )

    def commit(self, entries: Sequence[Entry]) -> list[str]:
        """Make these versions live in one transaction; returns the ids of those that were
        superseded (not committed: see below).

        A write that begins later supersedes one of the same briefing still in progress: its
        commit retires the older write (a crashed one, or a concurrent one, whose own commit
        then finds itself superseded). So concurrent writers of one briefing end with one
        complete version, and the rows of a write cut off by a crash are cleaned up by the next
        write of that briefing.
        """
        superseded: list[str] = []
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self._write() as db:
            for entry in entries:
                bid = entry.record.id
                mine = db.execute(
                    "SELECT state, since FROM writes WHERE briefing_id = ? AND token = ?",
                    (bid, entry.token),
                ).fetchone()
                if mine is None or mine[0] != "writing":
                    superseded.append(bid)
                    continue
                old = db.execute("SELECT token FROM briefings WHERE id = ?", (bid,)).fetchone()
                if old is not None:
                    self._drop(db, bid)
                    db.execute(
                        "INSERT OR REPLACE INTO writes VALUES (?, ?, 'retired', ?)",
                        (bid, old[0], time.time()),
                    )
                db.execute(
                    "UPDATE writes SET state = 'retired' WHERE briefing_id = ? AND token != ? "
                    "AND state = 'writing' AND since <= ?",
                    (bid, entry.token, mine[1]),
                )
                db.execute(
                    "DELETE FROM writes WHERE briefing_id = ? AND token = ?", (bid, entry.token)
                )
                self._add(db, entry, now)
        return superseded

    def remove(self, briefing_id: str) -> tuple[str, str] | None:
        """Forget a briefing; returns its retired (id, token), or None if it is not stored."""
        with self._write() as db:
            old = db.execute("SELECT token FROM briefings WHERE id = ?", (briefing_id,)).fetchone()
            if old is None:
                return None
            self._drop(db, briefing_id)
            db.execute(
                "INSERT OR REPLACE INTO writes VALUES (?, ?, 'retired', ?)",
                (briefing_id, old[0], time.time()),
            )
        return (briefing_id, old[0])

    def abandon(self, writes: Sequence[tuple[str, str]]) -> None:
        """These writes failed before their commit: their rows are to be deleted."""
        with self._write() as db:
            db.executemany(
                "UPDATE writes SET state = 'retired' WHERE briefing_id = ? AND token = ?",
                list(writes),
            )

    def retire_stale(self, older_than: float) -> int:
        """Writes begun more than `older_than` seconds ago and never committed were cut off
        (a crash): retire them so that the next clean-up deletes their rows. Returns how many."""
        with self._write() as db:
            cursor = db.execute(
                "UPDATE writes SET state = 'retired' WHERE state = 'writing' AND since < ?",
                (time.time() - older_than,),
            )
            return cursor.rowcount

    def retired(self, limit: int = 1000) -> list[tuple[str, str]]:
        """Retired (briefing id, token) writes whose rows may still be in the vector store."""
        rows = self._rows(
            "SELECT briefing_id, token FROM writes WHERE state = 'retired' LIMIT ?", (limit,)
        )
        return [(r[0], r[1]) for r in rows]

    def forget(self, writes: Sequence[tuple[str, str]]) -> None:
        """The rows of these retired writes are gone: stop tracking them."""
        with self._write() as db:
            db.executemany(
                "DELETE FROM writes WHERE briefing_id = ? AND token = ? AND state = 'retired'",
                list(writes),
            )

    def _add(self, db: sqlite3.Connection, entry: Entry, now: str) -> None:
        record = entry.record
        title_terms = text_terms(record.title)
        day = day_number(record.published)
        seq = db.execute("UPDATE meta SET value = value + 1 WHERE key = 'seq' RETURNING value")
        (number,) = seq.fetchone()
        db.execute(
            "INSERT INTO briefings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                record.id,
                record.version,
                entry.token,
                record.title,
                record.source,
                record.url,
                record.published.isoformat() if record.published else None,
                day,
                record.added_at or now,
                record.sentence_count,
                number,
            ),
        )
        per_sentence: Counter[str] = Counter()
        held = set(title_terms)
        length = 0
        for sentence, chunks in zip(entry.sentences, entry.chunks, strict=True):
            found = title_terms + text_terms(sentence.text)
            per_sentence.update(set(found))
            held.update(found)
            length += len(found)
            joined = " ".join(found)
            cursor = db.execute(
                "INSERT INTO sentences "
                "(briefing_id, idx, start, end, text, chunks, terms, day, speaker) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.id,
                    sentence.index,
                    sentence.start,
                    sentence.end,
                    sentence.text,
                    ",".join(str(c) for c in chunks),
                    joined,
                    day,
                    sentence.speaker,
                ),
            )
            db.execute(
                "INSERT INTO sentence_fts (rowid, terms) VALUES (?, ?)", (cursor.lastrowid, joined)
            )
        db.executemany(
            "INSERT INTO terms VALUES (?, 1, ?) ON CONFLICT (term) DO UPDATE SET "
            "briefings = briefings + 1, sentences = sentences + excluded.sentences",
            [(term, per_sentence.get(term, 0)) for term in held],
        )
        db.executemany(
            "INSERT OR IGNORE INTO briefing_terms VALUES (?, ?)", [(t, record.id) for t in held]
        )
        self._count(db, 1, len(entry.sentences), length)

    def _drop(self, db: sqlite3.Connection, briefing_id: str) -> None:
        rows = db.execute(
            "SELECT rowid, terms FROM sentences WHERE briefing_id = ?", (briefing_id,)
        ).fetchall()
        per_sentence: Counter[str] = Counter()
        length = 0
        for rowid, joined in rows:
            found = joined.split()
            per_sentence.update(set(found))
            length += len(found)
            db.execute(
                "INSERT INTO sentence_fts (sentence_fts, rowid, terms) VALUES ('delete', ?, ?)",
                (rowid, joined),
            )
        held = [
            r[0]
            for r in db.execute(
                "SELECT term FROM briefing_terms WHERE briefing_id = ?", (briefing_id,)
            )
        ]
        db.executemany(
            "UPDATE terms SET briefings = briefings - 1, sentences = sentences - ? WHERE term = ?",
            [(per_sentence.get(term, 0), term) for term in held],
        )
        db.execute(
            "DELETE FROM terms WHERE briefings <= 0 AND term IN "
            "(SELECT term FROM briefing_terms WHERE briefing_id = ?)",
            (briefing_id,),
        )
        db.execute("DELETE FROM briefing_terms WHERE briefing_id = ?", (briefing_id,))
        db.execute("DELETE FROM sentences WHERE briefing_id = ?", (briefing_id,))
        db.execute("DELETE FROM briefings WHERE id = ?", (briefing_id,))
        self._count(db, -1, -len(rows), -length)

    @staticmethod
    def _count(db: sqlite3.Connection, briefings: int, sentences: int, length: int) -> None:
        db.executemany(
            "UPDATE meta SET value = value + ? WHERE key = ?",
            [(briefings, "briefings"), (sentences, "sentences"), (length, "length")],
        )

    # -- the registry -----------------------------------------------------------------------

    def record(self, briefing_id: str) -> BriefingRecord | None:
        """The live briefing with this id."""
        rows = self._rows(f"SELECT {_RECORD_COLUMNS} FROM briefings WHERE id = ?", (briefing_id,))
        return _record(rows[0]) if rows else None

    def records_of(self, briefing_ids: Sequence[str]) -> dict[str, BriefingRecord]:
        """The live briefings among these ids, by id."""
        found: dict[str, BriefingRecord] = {}
        ids = list(dict.fromkeys(briefing_ids))
        for at in range(0, len(ids), 500):
            part = ids[at : at + 500]
            marks = ",".join("?" * len(part))
            sql = f"SELECT {_RECORD_COLUMNS} FROM briefings WHERE id IN ({marks})"
            found.update((r[0], _record(r)) for r in self._rows(sql, part))
        return found

    def records(self, limit: int | None = None) -> list[BriefingRecord]:
        """Live briefings, newest first (by published date, then by when added)."""
        sql = f"SELECT {_RECORD_COLUMNS} FROM briefings ORDER BY day DESC, added_at DESC, id"
        rows = self._rows(f"{sql} LIMIT ?", (limit,)) if limit else self._rows(sql)
        return [_record(r) for r in rows]

    def newest_commit(self) -> int:
        """The number of the latest commit (0 for none): what `records_since` counts from."""
        rows = self._rows("SELECT value FROM meta WHERE key = 'seq'")
        return int(rows[0][0]) if rows else 0

    def records_since(self, seq: int) -> list[tuple[int, BriefingRecord]]:
        """(commit number, record) of briefing versions committed after commit number `seq`,
        oldest first."""
        rows = self._rows(
            f"SELECT seq, {_RECORD_COLUMNS} FROM briefings WHERE seq > ? ORDER BY seq", (seq,)
        )
        return [(r[0], _record(r[1:])) for r in rows]

    def find(self, prefix: str) -> list[BriefingRecord]:
        """Live briefings whose id starts with prefix (users type short ids)."""
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = self._rows(
            f"SELECT {_RECORD_COLUMNS} FROM briefings WHERE id LIKE ? ESCAPE '\\' ORDER BY id",
            (escaped + "%",),
        )
        return [_record(r) for r in rows if r[0].startswith(prefix)]

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
                f"SELECT {_SENTENCE_COLUMNS} FROM sentences WHERE {where}", params
            ):
                stored = _stored(row)
                found[(stored.sentence.briefing_id, stored.sentence.index)] = stored
        return found

    def statements_by(self, name: str, limit: int) -> list[StoredSentence]:
        """Live sentences whose speaker's name holds `name` as whole words (any case), the
        newest briefings first and in text order within one."""
        words = " ".join(name.lower().split())
        if not words:
            return []
        columns = ", ".join("s." + c.strip() for c in _SENTENCE_COLUMNS.split(","))
        sql = (
            f"SELECT {columns} FROM sentences s JOIN briefings b ON b.id = s.briefing_id "
            "WHERE s.speaker != '' AND (' ' || lower(s.speaker) || ' ') LIKE ? ESCAPE '\\' "
            "ORDER BY s.day DESC, b.seq DESC, s.idx LIMIT ?"
        )
        escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return [_stored(r) for r in self._rows(sql, (f"% {escaped} %", limit))]

    def sentences_between(self, briefing_id: str, first: int, last: int) -> list[StoredSentence]:
        """A live briefing's sentences first..last (a chunk's members), in order."""
        rows = self._rows(
            f"SELECT {_SENTENCE_COLUMNS} FROM sentences WHERE briefing_id = ? "
            "AND idx BETWEEN ? AND ? ORDER BY idx",
            (briefing_id, first, last),
        )
        return [_stored(r) for r in rows]

    def sentences_of(self, briefing_id: str) -> list[StoredSentence]:
        """A live briefing's sentences in order."""
        rows = self._rows(
            f"SELECT {_SENTENCE_COLUMNS} FROM sentences WHERE briefing_id = ? ORDER BY idx",
            (briefing_id,),
        )
        return [_stored(r) for r in rows]

    def lexical_candidates(
        self,
        query: Sequence[str],
        k: int,
        max_day: int | None = None,
        min_day: int | None = None,
    ) -> list[StoredSentence]:
        """The k live sentences that best match the query terms (FTS5's BM25), published from
        `min_day` up to `max_day` (day_number) where given. Terms held by most sentences are
        left out of the search: they would make it read a large part of the index for no
        selectivity."""
        stats = self.statistics(query)
        usable = sorted(
            (stats.sentence_frequency.get(t, 0), t)
            for t in set(query)
            if stats.sentence_frequency.get(t, 0) > 0
        )
        common = min(COMMON_TERM_SHARE * stats.sentences, COMMON_TERM_SENTENCES)
        selective = [t for n, t in usable if n <= common]
        chosen = (selective or [t for _, t in usable[:1]])[:MAX_QUERY_TERMS]
        if not chosen:
            return []
        match = " OR ".join(f'"{t}"' for t in chosen)
        if max_day is None and min_day is None:
            sql = (
                f"SELECT {_SENTENCE_COLUMNS} FROM sentences WHERE rowid IN (SELECT rowid FROM "
                "sentence_fts WHERE sentence_fts MATCH ? ORDER BY rank LIMIT ?)"
            )
            return [_stored(r) for r in self._rows(sql, (match, k))]
        bounds = [("s.day <= ?", max_day), ("s.day >= ?", min_day)]
        where = "".join(f" AND {test}" for test, day in bounds if day is not None)
        sql = (
            f"SELECT {', '.join('s.' + c.strip() for c in _SENTENCE_COLUMNS.split(','))} "
            "FROM sentence_fts f JOIN sentences s ON s.rowid = f.rowid "
            f"WHERE sentence_fts MATCH ?{where} ORDER BY f.rank LIMIT ?"
        )
        days = [day for _, day in bounds if day is not None]
        return [_stored(r) for r in self._rows(sql, (match, *days, k))]

    def statistics(self, query: Sequence[str]) -> TermStatistics:
        """Corpus counts and the frequencies of these terms."""
        values = dict(self._rows("SELECT key, value FROM meta"))
        unique = sorted(set(query))
        briefing_frequency: dict[str, int] = {}
        sentence_frequency: dict[str, int] = {}
        if unique:
            marks = ",".join("?" * len(unique))
            rows = self._rows(
                f"SELECT term, briefings, sentences FROM terms WHERE term IN ({marks})", unique
            )
            for term, briefings, sentences in rows:
                briefing_frequency[term] = briefings
                sentence_frequency[term] = sentences
        sentences = int(values["sentences"])
        return TermStatistics(
            briefings=int(values["briefings"]),
            sentences=sentences,
            average_length=int(values["length"]) / sentences if sentences else 0.0,
            briefing_frequency=briefing_frequency,
            sentence_frequency=sentence_frequency,
        )

    def briefings_holding(
        self, query: Sequence[str], briefing_ids: Sequence[str]
    ) -> dict[str, set[str]]:
        """For each of these briefings, which of the query terms it holds (title or text)."""
        terms_ = sorted(set(query))
        ids = sorted(set(briefing_ids))
        held: dict[str, set[str]] = {b: set() for b in ids}
        if not terms_ or not ids:
            return held
        for at in range(0, len(ids), 500):
            part = ids[at : at + 500]
            sql = (
                "SELECT term, briefing_id FROM briefing_terms WHERE term IN "
                f"({','.join('?' * len(terms_))}) AND briefing_id IN ({','.join('?' * len(part))})"
            )
            for term, bid in self._rows(sql, [*terms_, *part]):
                held[bid].add(term)
        return held

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
