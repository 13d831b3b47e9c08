"""The crash-safe write protocol: a briefing version becomes live in one catalogue transaction.

A write of a briefing gets a new token; its vector rows in Chroma carry the token. The write
is recorded as 'writing' before its rows are stored (`begin`), and its catalogue rows (the
registry row, its sentences, their full-text entries and term counts) appear in one
transaction (`commit`), the commit point. Readers trust only a live token, so a write cut off
by a crash is invisible; its rows are deleted later, once it is 'retired' (by a newer write of
the briefing, by `retire_stale` after a crash, or by `abandon`). A token is new for every
write, so deleting a retired write's rows can never touch the rows of a later write.

Every function takes a connection inside a write transaction (retrieval/index/sqlite.py).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence

from retrieval.index import articles, entities, stories
from retrieval.index.lexical import (
    TermCounts,
    add_counts,
    drop_counts,
    index_sentence,
    unindex_sentence,
)
from retrieval.index.schema import Entry, day_number, store_reading
from retrieval.language.terms import terms as text_terms

Write = tuple[str, str]  # (briefing id, token)


def begin(db: sqlite3.Connection, writes: Sequence[Write]) -> None:
    """Record that these writes have begun: until they are committed or retired, nobody
    deletes their rows."""
    now = time.time()
    db.executemany(
        "INSERT OR REPLACE INTO writes VALUES (?, ?, 'writing', ?)",
        [(bid, token, now) for bid, token in writes],
    )


def commit(db: sqlite3.Connection, entries: Sequence[Entry], now: str) -> list[str]:
    """Make these versions live; returns the ids of those that were superseded (not committed).

    A write that begins later supersedes one of the same briefing still in progress: its
    commit retires the older write (a crashed one, or a concurrent one, whose own commit then
    finds itself superseded). So concurrent writers of one briefing end with one complete
    version, and the rows of a write cut off by a crash are cleaned up by the next write of
    that briefing.
    """
    superseded: list[str] = []
    for entry in entries:
        bid = entry.record.id
        mine = db.execute(
            "SELECT state, since FROM writes WHERE briefing_id = ? AND token = ?",
            (bid, entry.token),
        ).fetchone()
        if mine is None or mine[0] != "writing":
            superseded.append(bid)
            continue
        if db.execute("SELECT 1 FROM briefings WHERE id = ?", (bid,)).fetchone() is not None:
            remove(db, bid)
        db.execute(
            "UPDATE writes SET state = 'retired' WHERE briefing_id = ? AND token != ? "
            "AND state = 'writing' AND since <= ?",
            (bid, entry.token, mine[1]),
        )
        db.execute("DELETE FROM writes WHERE briefing_id = ? AND token = ?", (bid, entry.token))
        _add(db, entry, now)
    return superseded


def remove(db: sqlite3.Connection, briefing_id: str) -> Write | None:
    """Drop a live briefing and retire its write; returns that (id, token), or None."""
    old = db.execute("SELECT token FROM briefings WHERE id = ?", (briefing_id,)).fetchone()
    if old is None:
        return None
    _drop(db, briefing_id)
    db.execute(
        "INSERT OR REPLACE INTO writes VALUES (?, ?, 'retired', ?)",
        (briefing_id, old[0], time.time()),
    )
    return (briefing_id, old[0])


def abandon(db: sqlite3.Connection, writes: Sequence[Write]) -> None:
    """These writes failed before their commit: their rows are to be deleted."""
    db.executemany(
        "UPDATE writes SET state = 'retired' WHERE briefing_id = ? AND token = ?", list(writes)
    )


def retire_stale(db: sqlite3.Connection, older_than: float) -> int:
    """Writes begun more than `older_than` seconds ago and never committed were cut off (a
    crash): retire them so that the next clean-up deletes their rows. Returns how many."""
    cursor = db.execute(
        "UPDATE writes SET state = 'retired' WHERE state = 'writing' AND since < ?",
        (time.time() - older_than,),
    )
    return cursor.rowcount


def forget(db: sqlite3.Connection, writes: Sequence[Write]) -> None:
    """The rows of these retired writes are gone: stop tracking them."""
    db.executemany(
        "DELETE FROM writes WHERE briefing_id = ? AND token = ? AND state = 'retired'",
        list(writes),
    )


def _add(db: sqlite3.Connection, entry: Entry, now: str) -> None:
    record = entry.record
    title_terms = text_terms(record.title)
    day = day_number(record.published)
    seq = db.execute("UPDATE meta SET value = value + 1 WHERE key = 'seq' RETURNING value")
    (number,) = seq.fetchone()
    db.execute(
        "INSERT INTO briefings (id, version, token, title, source, url, published, day, "
        "added_at, sentence_count, seq, text_key, unread) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
            record.text_key,
            int(entry.unread),
        ),
    )
    articles.add_aliases(db, record.id, entry.aliases)
    counts = TermCounts(title_terms)
    entities.learn(db, entry.sentences)
    for sentence, chunks in zip(entry.sentences, entry.chunks, strict=True):
        found = title_terms + text_terms(sentence.text)
        counts.add(found)
        joined = " ".join(found)
        cursor = db.execute(
            "INSERT INTO sentences (briefing_id, idx, start, end, text, chunks, terms, day, "
            "speaker, event, furniture) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                day_number(sentence.event),
                sentence.furniture,
            ),
        )
        rowid = int(cursor.lastrowid or 0)
        index_sentence(db, rowid, joined)
        store_reading(db, rowid, sentence)
    add_counts(db, record.id, counts)
    stories.join(db, record.id, [s.text for s in entry.sentences if not s.furniture])


def _drop(db: sqlite3.Connection, briefing_id: str) -> None:
    rows = db.execute(
        "SELECT rowid, terms FROM sentences WHERE briefing_id = ?", (briefing_id,)
    ).fetchall()
    counts = TermCounts()
    for rowid, joined in rows:
        counts.add(joined.split())
        unindex_sentence(db, rowid, joined)
    drop_counts(db, briefing_id, counts)
    db.executemany("DELETE FROM mentions WHERE sentence = ?", [(rowid,) for rowid, _ in rows])
    db.execute("DELETE FROM sentences WHERE briefing_id = ?", (briefing_id,))
    db.execute("DELETE FROM briefings WHERE id = ?", (briefing_id,))
    stories.forget(db, briefing_id)
