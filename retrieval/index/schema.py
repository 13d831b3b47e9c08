"""The catalogue's schema: its tables as numbered migrations, and its rows as domain objects.

    briefings        the registry: one live version per briefing (title, date, url, ...) and
                     the token of the write that stored its vector rows; the row is the commit
                     point of a write (retrieval/index/writes.py)
    writes           writes in progress (their rows may be half there) and retired writes
                     (their rows are to be deleted); readers only trust the live token
    sentences        each live sentence: text, offsets, chunk numbers, speaker (its canonical
                     name and entity key), who acts in it, and its terms (title and sentence,
                     stemmed), which sentence_fts (FTS5, external content) indexes
                     (retrieval/index/lexical.py)
    entities, entity_names, mentions, affiliations
                     the people and groups the sentences name (retrieval/index/entities.py)
    terms            per term: how many briefings and how many sentences hold it (IDF)
    briefing_terms   which briefing holds which term (the coverage rule, per candidate)
    meta             counters: briefings, sentences, total terms, the commit sequence
    aliases          other ids a briefing was given (a .jsonl's own id, a merged copy's id)
                     (retrieval/index/articles.py)

Append new migrations; never edit one that shipped.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from retrieval.index import entities, stories
from retrieval.index.articles import text_key
from retrieval.index.sqlite import Migration
from retrieval.language.furniture import kind_of
from retrieval.language.periods import event_day
from retrieval.language.speakers import readings
from retrieval.types import Act, BriefingRecord, Reading, Sentence, parse_day


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
    """Who said each sentence. Its rules first filled the column here; the parser's reading
    (migration 3) now fills it for every store, so this only adds it."""
    db.execute("ALTER TABLE sentences ADD COLUMN speaker TEXT NOT NULL DEFAULT ''")
    db.execute("CREATE INDEX sentences_by_speaker ON sentences (speaker) WHERE speaker != ''")


def _m003_entities(db: sqlite3.Connection) -> None:
    """Speakers, actors and entities by the parse (retrieval/index/entities.py), read afresh
    for the sentences already there."""
    _statements(
        db,
        """
        ALTER TABLE sentences ADD COLUMN speaker_key TEXT NOT NULL DEFAULT '';
        ALTER TABLE sentences ADD COLUMN acts TEXT NOT NULL DEFAULT '';
        CREATE INDEX sentences_by_speaker_key ON sentences (speaker_key) WHERE speaker_key != '';
        CREATE TABLE entities (
            key     TEXT PRIMARY KEY,
            name    TEXT NOT NULL,
            kind    TEXT NOT NULL CHECK (kind IN ('person', 'group')),
            surname TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX entities_by_surname ON entities (surname) WHERE kind = 'person';
        CREATE TABLE entity_names (
            folded TEXT NOT NULL,
            name   TEXT NOT NULL,
            entity TEXT NOT NULL,
            PRIMARY KEY (folded, name)
        ) WITHOUT ROWID;
        CREATE INDEX entity_names_by_entity ON entity_names (entity);
        CREATE TABLE mentions (
            sentence INTEGER NOT NULL,
            entity   TEXT NOT NULL,
            PRIMARY KEY (entity, sentence)
        ) WITHOUT ROWID;
        CREATE INDEX mentions_by_sentence ON mentions (sentence);
        CREATE TABLE affiliations (
            entity TEXT NOT NULL,
            party  TEXT NOT NULL,
            PRIMARY KEY (entity, party)
        ) WITHOUT ROWID
        """,
    )
    briefing_ids = [bid for (bid,) in db.execute("SELECT id FROM briefings ORDER BY seq")]
    for bid in briefing_ids:
        rows = stored_text(db, bid)
        store_readings(db, bid, rows, readings([text for *_, text in rows]))


SentenceText = tuple[int, int, int, int, str]  # rowid, index, start, end, text


def stored_text(db: sqlite3.Connection, briefing_id: str) -> list[SentenceText]:
    """A live briefing's sentences as stored, in order."""
    return db.execute(
        "SELECT rowid, idx, start, end, text FROM sentences WHERE briefing_id = ? ORDER BY idx",
        (briefing_id,),
    ).fetchall()


def store_readings(
    db: sqlite3.Connection,
    briefing_id: str,
    rows: Sequence[SentenceText],
    read: Sequence[tuple[str, Reading]],
) -> None:
    """The parser's readings (language/speakers.py) of a briefing's stored sentences, its
    entities learnt and each sentence's speaker, acts and mentions stored."""
    sentences = [
        (rowid, Sentence(f"{briefing_id}:s{idx}", briefing_id, idx, text, start, end, who, reading))
        for (rowid, idx, start, end, text), (who, reading) in zip(rows, read, strict=True)
    ]
    entities.learn(db, [s for _, s in sentences])
    for rowid, sentence in sentences:
        store_reading(db, rowid, sentence)


def store_reading(db: sqlite3.Connection, rowid: int, sentence: Sentence) -> None:
    """A sentence's speaker, acts and mentions, resolved to entities, on its stored row."""
    found = entities.canonical(db, sentence)
    db.execute(
        "UPDATE sentences SET speaker = ?, speaker_key = ?, acts = ? WHERE rowid = ?",
        (found.speaker, found.speaker_key, found.acts, rowid),
    )
    db.executemany(
        "INSERT OR IGNORE INTO mentions VALUES (?, ?)", [(rowid, key) for key in found.mentions]
    )


def _m004_event_days(db: sqlite3.Connection) -> None:
    """The day each sentence dates its own event (language/periods.event_day), for the
    sentences already there."""
    db.execute("ALTER TABLE sentences ADD COLUMN event INTEGER NOT NULL DEFAULT 0")
    rows = db.execute(
        "SELECT s.rowid, s.text, b.published FROM sentences s JOIN briefings b "
        "ON b.id = s.briefing_id WHERE b.published IS NOT NULL"
    ).fetchall()
    found = []
    for rowid, text, published in rows:
        day = parse_day(published)
        event = event_day(text, day) if day else None
        if event is not None:
            found.append((day_number(event), rowid))
    db.executemany("UPDATE sentences SET event = ? WHERE rowid = ?", found)


def _m005_articles(db: sqlite3.Connection) -> None:
    """One article once (retrieval/index/articles.py): each briefing's words as a key, its URL
    looked up, and the ids it was also given. Stored briefings get their key from their
    sentences; merging those that are one article waits for the URL rules (Catalogue.merge)."""
    _statements(
        db,
        """
        ALTER TABLE briefings ADD COLUMN text_key TEXT NOT NULL DEFAULT '';
        CREATE INDEX briefings_by_url ON briefings (url) WHERE url IS NOT NULL;
        CREATE INDEX briefings_by_text_key ON briefings (text_key) WHERE text_key != '';
        CREATE TABLE aliases (
            alias       TEXT PRIMARY KEY,
            briefing_id TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX aliases_by_briefing ON aliases (briefing_id);
        INSERT INTO meta VALUES ('url_rules', 0)
        """,
    )
    keys = []
    for (bid,) in db.execute("SELECT id FROM briefings").fetchall():
        texts = db.execute(
            "SELECT text FROM sentences WHERE briefing_id = ? ORDER BY idx", (bid,)
        ).fetchall()
        keys.append((text_key(" ".join(t for (t,) in texts)), bid))
    db.executemany("UPDATE briefings SET text_key = ? WHERE id = ?", keys)


def _m006_furniture(db: sqlite3.Connection) -> None:
    """Which sentences are page furniture (language/furniture.py). A stored sentence's line
    and parts of speech are not kept, so older sentences are judged by their words only; a
    briefing ingested again is judged in full."""
    db.execute("ALTER TABLE sentences ADD COLUMN furniture TEXT NOT NULL DEFAULT ''")
    found = []
    for rowid, text in db.execute("SELECT rowid, text FROM sentences").fetchall():
        kind = kind_of(text, line="")  # no line: the words alone decide
        if kind:
            found.append((kind, rowid))
    db.executemany("UPDATE sentences SET furniture = ? WHERE rowid = ?", found)


def _m007_stories(db: sqlite3.Connection) -> None:
    """One story, several outlets (retrieval/index/stories.py): each briefing's MinHash and
    story, filled for the briefings already there in the order they were stored."""
    _statements(
        db,
        """
        ALTER TABLE briefings ADD COLUMN story TEXT NOT NULL DEFAULT '';
        ALTER TABLE briefings ADD COLUMN signature BLOB;
        CREATE INDEX briefings_by_story ON briefings (story) WHERE story != '';
        CREATE TABLE story_bands (
            band        INTEGER NOT NULL,
            hash        INTEGER NOT NULL,
            briefing_id TEXT NOT NULL,
            PRIMARY KEY (band, hash, briefing_id)
        ) WITHOUT ROWID;
        CREATE INDEX story_bands_by_briefing ON story_bands (briefing_id)
        """,
    )
    for (bid,) in db.execute("SELECT id FROM briefings ORDER BY seq").fetchall():
        texts = db.execute(
            "SELECT text FROM sentences WHERE briefing_id = ? AND furniture = '' ORDER BY idx",
            (bid,),
        ).fetchall()
        stories.join(db, bid, [t for (t,) in texts])


def _m008_unread(db: sqlite3.Connection) -> None:
    """Briefings stored by a bulk import before the parser read them (`unread`): their
    speakers, acts and entities are filled later, by the reading backlog
    (retrieval/index/backlog.py)."""
    _statements(
        db,
        """
        ALTER TABLE briefings ADD COLUMN unread INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX briefings_unread ON briefings (seq) WHERE unread = 1
        """,
    )


MIGRATIONS: tuple[Migration, ...] = (
    _m001_catalogue,
    _m002_speakers,
    _m003_entities,
    _m004_event_days,
    _m005_articles,
    _m006_furniture,
    _m007_stories,
    _m008_unread,
)


@dataclass(frozen=True)
class StoredSentence:
    """A live sentence as the search sees it, with its chunk numbers and terms."""

    rowid: int
    sentence: Sentence
    chunks: tuple[int, ...]
    terms: tuple[str, ...]  # the briefing title's terms, then the sentence's
    acts: tuple[Act, ...] = ()  # who does what in it (retrieval/index/entities.py)


@dataclass(frozen=True)
class Entry:
    """One briefing version to make live: its record, the token of the write that stored its
    vector rows, its sentences and their chunk numbers."""

    record: BriefingRecord
    token: str
    sentences: tuple[Sentence, ...]
    chunks: tuple[tuple[int, ...], ...]  # per sentence, the chunks that hold it
    aliases: tuple[str, ...] = ()  # other ids the briefing was given
    unread: bool = False  # stored before the parser read it (a bulk import)


RECORD_COLUMNS = "id, version, title, source, url, published, added_at, sentence_count, story"
SENTENCE_COLUMNS = (
    "rowid, briefing_id, idx, start, end, text, chunks, terms, speaker, acts, event, furniture"
)


def record_from_row(row: tuple[Any, ...]) -> BriefingRecord:
    rid, version, title, source, url, published, added_at, count, story = row
    return BriefingRecord(
        id=rid,
        title=title,
        source=source,
        version=version,
        sentence_count=count,
        url=url or None,
        published=parse_day(published),
        added_at=added_at,
        story=story or rid,
    )


def stored_from_row(row: tuple[Any, ...]) -> StoredSentence:
    rowid, bid, idx, start, end, text, chunks, terms, speaker, acts, event, furniture = row
    day = date.fromordinal(event) if event else None
    sentence = Sentence(
        f"{bid}:s{idx}", bid, idx, text, start, end, speaker, event=day, furniture=furniture
    )
    numbers = tuple(int(n) for n in chunks.split(",") if n)
    return StoredSentence(rowid, sentence, numbers, tuple(terms.split()), entities.acts_from(acts))


def prefixed(columns: str, alias: str) -> str:
    """A column list with each column qualified by a table alias ("s.rowid, s.text, ...")."""
    return ", ".join(f"{alias}.{c.strip()}" for c in columns.split(","))
