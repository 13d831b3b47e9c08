"""The lexical index: FTS5 over each sentence's terms, and the term counts that IDF needs.

A sentence's terms (retrieval/language/terms.py: its briefing title's and its own, stemmed)
are indexed by `sentence_fts` (FTS5, external content over `sentences`, no positions). Per
term, `terms` counts the briefings and sentences holding it, `briefing_terms` says which
briefings hold it, and `meta` keeps the corpus totals. All of it changes by increments in the
transaction that makes a briefing live or drops it (retrieval/index/writes.py); nothing is ever
rebuilt from the whole corpus.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from retrieval.index.schema import SENTENCE_COLUMNS, StoredSentence, prefixed, stored_from_row

Rows = Callable[[str, Sequence[Any]], list[tuple[Any, ...]]]

# Terms held by more than this share of all sentences, or by more than COMMON_TERM_SENTENCES,
# select nothing: they are left out of the lexical candidate query (they still count in the BM25
# of every candidate). The absolute cap keeps the query's cost flat as the store grows: FTS5
# ranks every sentence a query term matches, and at 100k sentences a 20% share made the query
# 38 ms of a 100 ms question (1,000: 10 ms). Below 5k sentences the share decides, as before.
COMMON_TERM_SHARE = 0.2
COMMON_TERM_SENTENCES = 1_000
MAX_QUERY_TERMS = 8


@dataclass(frozen=True)
class TermStatistics:
    """What IDF needs for some terms: how many briefings and sentences hold each, of how many."""

    briefings: int
    sentences: int
    average_length: float
    briefing_frequency: dict[str, int]
    sentence_frequency: dict[str, int]


class TermCounts:
    """The term counts of one briefing being added or dropped, written in one go."""

    def __init__(self, title_terms: Sequence[str] = ()) -> None:
        self.per_sentence: Counter[str] = Counter()
        self.held: set[str] = set(title_terms)
        self.length = 0
        self.sentences = 0

    def add(self, found: Sequence[str]) -> None:
        """Count one sentence's terms."""
        self.per_sentence.update(set(found))
        self.held.update(found)
        self.length += len(found)
        self.sentences += 1


def index_sentence(db: sqlite3.Connection, rowid: int, joined_terms: str) -> None:
    """Put a stored sentence's terms into the full-text index."""
    db.execute("INSERT INTO sentence_fts (rowid, terms) VALUES (?, ?)", (rowid, joined_terms))


def unindex_sentence(db: sqlite3.Connection, rowid: int, joined_terms: str) -> None:
    """Take a sentence out of the full-text index (external content: its terms are needed)."""
    db.execute(
        "INSERT INTO sentence_fts (sentence_fts, rowid, terms) VALUES ('delete', ?, ?)",
        (rowid, joined_terms),
    )


def add_counts(db: sqlite3.Connection, briefing_id: str, counts: TermCounts) -> None:
    """A briefing's terms join the counts."""
    db.executemany(
        "INSERT INTO terms VALUES (?, 1, ?) ON CONFLICT (term) DO UPDATE SET "
        "briefings = briefings + 1, sentences = sentences + excluded.sentences",
        [(term, counts.per_sentence.get(term, 0)) for term in counts.held],
    )
    db.executemany(
        "INSERT OR IGNORE INTO briefing_terms VALUES (?, ?)",
        [(t, briefing_id) for t in counts.held],
    )
    _totals(db, 1, counts.sentences, counts.length)


def drop_counts(db: sqlite3.Connection, briefing_id: str, counts: TermCounts) -> None:
    """A briefing's terms leave the counts (counts.held is read from briefing_terms)."""
    held = [
        r[0]
        for r in db.execute("SELECT term FROM briefing_terms WHERE briefing_id = ?", (briefing_id,))
    ]
    db.executemany(
        "UPDATE terms SET briefings = briefings - 1, sentences = sentences - ? WHERE term = ?",
        [(counts.per_sentence.get(term, 0), term) for term in held],
    )
    db.execute(
        "DELETE FROM terms WHERE briefings <= 0 AND term IN "
        "(SELECT term FROM briefing_terms WHERE briefing_id = ?)",
        (briefing_id,),
    )
    db.execute("DELETE FROM briefing_terms WHERE briefing_id = ?", (briefing_id,))
    _totals(db, -1, -counts.sentences, -counts.length)


def _totals(db: sqlite3.Connection, briefings: int, sentences: int, length: int) -> None:
    db.executemany(
        "UPDATE meta SET value = value + ? WHERE key = ?",
        [(briefings, "briefings"), (sentences, "sentences"), (length, "length")],
    )


def statistics(rows: Rows, query: Sequence[str]) -> TermStatistics:
    """Corpus counts and the frequencies of these terms."""
    values: dict[str, int] = dict(rows("SELECT key, value FROM meta", ()))
    unique = sorted(set(query))
    briefing_frequency: dict[str, int] = {}
    sentence_frequency: dict[str, int] = {}
    if unique:
        marks = ",".join("?" * len(unique))
        found = rows(
            f"SELECT term, briefings, sentences FROM terms WHERE term IN ({marks})", unique
        )
        for term, briefings, sentences in found:
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


def candidates(
    rows: Rows,
    query: Sequence[str],
    k: int,
    max_day: int | None = None,
    min_day: int | None = None,
) -> list[StoredSentence]:
    """The FTS5 query: the k live sentences that best match the query terms (FTS5's BM25),
    published from `min_day` up to `max_day` (day numbers) where given. Terms held by most
    sentences are left out of the search: they would make it read a large part of the index for
    no selectivity."""
    stats = statistics(rows, query)
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
            f"SELECT {SENTENCE_COLUMNS} FROM sentences WHERE rowid IN (SELECT rowid FROM "
            "sentence_fts WHERE sentence_fts MATCH ? ORDER BY rank LIMIT ?)"
        )
        return [stored_from_row(r) for r in rows(sql, (match, k))]
    bounds = [("s.day <= ?", max_day), ("s.day >= ?", min_day)]
    where = "".join(f" AND {test}" for test, day in bounds if day is not None)
    sql = (
        f"SELECT {prefixed(SENTENCE_COLUMNS, 's')} "
        "FROM sentence_fts f JOIN sentences s ON s.rowid = f.rowid "
        f"WHERE sentence_fts MATCH ?{where} ORDER BY f.rank LIMIT ?"
    )
    days = [day for _, day in bounds if day is not None]
    return [stored_from_row(r) for r in rows(sql, (match, *days, k))]


def briefings_holding(
    rows: Rows, query: Sequence[str], briefing_ids: Sequence[str]
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
        for term, bid in rows(sql, [*terms_, *part]):
            held[bid].add(term)
    return held
