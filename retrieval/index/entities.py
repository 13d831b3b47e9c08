"""The people and groups the briefings name, one entity each whatever the spelling.

    entities       key (the folded name: language/names.py), the name shown, person or group,
                   and a person's surname
    entity_names   every spelling seen, folded, and the entity it names ("Zelenskyy",
                   "Zelensky" and "Volodymyr Zelensky" name one entity)
    mentions       which sentence names which entity
    affiliations   which party a person belongs to, as the briefings write it ("Russian
                   negotiator Vladimir Medinsky"); the seed table is language/parties.json

A surname alone names the one person with that surname the store knows by a full name; a full
name that arrives after its surname took an entity of its own takes that entity over, and the
sentences it spoke are shown under the full name. Every function takes a connection inside a
write transaction (retrieval/index/sqlite.py), except `keys_for`, which only reads.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from retrieval.language.names import PARTIES, fold, surname
from retrieval.language.parser import PEOPLE
from retrieval.types import Act, Sentence

PERSON, GROUP = "person", "group"


@dataclass(frozen=True)
class Canonical:
    """A sentence's speaker and acts as stored: canonical names, entity keys and parties."""

    speaker: str
    speaker_key: str
    acts: str  # JSON [[actor key, party, lemma], ...] (see `acts_from`)
    mentions: tuple[str, ...]  # entity keys


def learn(db: sqlite3.Connection, sentences: Sequence[Sentence]) -> None:
    """Record the parties a briefing's people belong to, before its acts are resolved."""
    for sentence in sentences:
        for person, group in sentence.reading.members:
            party = PARTIES.party_of(fold(group))
            if party and fold(person):
                key, _ = person_entity(db, person)
                db.execute("INSERT OR IGNORE INTO affiliations VALUES (?, ?)", (key, party))


def canonical(db: sqlite3.Connection, sentence: Sentence) -> Canonical:
    """The sentence's speaker, acts and mentions resolved to entities (new ones recorded)."""
    reading = sentence.reading
    speaker, speaker_key = sentence.speaker, ""
    if speaker and reading.speaker_kind == PERSON:
        speaker_key, speaker = person_entity(db, speaker)
    elif speaker and reading.speaker_kind == GROUP:
        speaker_key, speaker = group_entity(db, speaker)
    mentions = [
        (person_entity if label == PEOPLE else group_entity)(db, name)[0]
        for name, label in reading.mentions
    ]
    acts = []
    for actor, lemma in reading.acts:
        key = _known(db, fold(actor)) or fold(actor)
        if key:
            acts.append([key, _party(db, key), lemma])
    return Canonical(
        speaker,
        speaker_key,
        json.dumps(acts, ensure_ascii=False) if acts else "",
        tuple(dict.fromkeys(k for k in mentions if k)),
    )


def acts_from(stored: str) -> tuple[Act, ...]:
    """The acts of a stored sentence."""
    return tuple(Act(*act) for act in json.loads(stored)) if stored else ()


def person_entity(db: sqlite3.Connection, name: str) -> tuple[str, str]:
    """The key and shown name of the person a name stands for, recorded if new."""
    key = fold(name)
    if not key:
        return "", name
    known = _known(db, key)
    if not known and " " not in key:  # a surname alone: the one person with it in full
        full = db.execute(
            "SELECT key FROM entities WHERE kind = 'person' AND surname = ? AND key != ?",
            (key, key),
        ).fetchall()
        known = full[0][0] if len(full) == 1 else ""
    if known:
        return _named(db, name, key, known)
    db.execute("INSERT INTO entities VALUES (?, ?, 'person', ?)", (key, name, surname(key)))
    _spelling(db, name, key, key)
    if " " in key:
        _take_over_surname(db, key, name)
    return key, name


def group_entity(db: sqlite3.Connection, name: str) -> tuple[str, str]:
    """The key and shown name of an institution, place or people, recorded if new."""
    key = fold(name)
    if not key:
        return "", name
    known = _known(db, key)
    if known:
        return _named(db, name, key, known)
    db.execute("INSERT INTO entities VALUES (?, ?, 'group', '')", (key, name))
    _spelling(db, name, key, key)
    return key, name


def keys_for(db: sqlite3.Connection, name: str) -> list[str]:
    """The entities a name asked about may mean: the one any spelling of it names, and for a
    surname alone every person with that surname."""
    key = fold(name)
    if not key:
        return []
    found = [k for (k,) in db.execute("SELECT entity FROM entity_names WHERE folded = ?", (key,))]
    if " " not in key:
        found += [
            k
            for (k,) in db.execute(
                "SELECT key FROM entities WHERE kind = 'person' AND surname = ?", (key,)
            )
        ]
    return list(dict.fromkeys(found))


def _known(db: sqlite3.Connection, key: str) -> str:
    row = db.execute("SELECT entity FROM entity_names WHERE folded = ? LIMIT 1", (key,)).fetchone()
    return str(row[0]) if row else ""


def _named(db: sqlite3.Connection, name: str, folded: str, entity: str) -> tuple[str, str]:
    """A spelling of a known entity: kept, and the entity's key and shown name returned."""
    _spelling(db, name, folded, entity)
    return entity, _shown(db, entity)


def _shown(db: sqlite3.Connection, key: str) -> str:
    row = db.execute("SELECT name FROM entities WHERE key = ?", (key,)).fetchone()
    return str(row[0]) if row else key


def _spelling(db: sqlite3.Connection, name: str, folded: str, entity: str) -> None:
    db.execute("INSERT OR IGNORE INTO entity_names VALUES (?, ?, ?)", (folded, name, entity))


def _party(db: sqlite3.Connection, key: str) -> str:
    party = PARTIES.party_of(key)
    if party:
        return party
    row = db.execute("SELECT party FROM affiliations WHERE entity = ? LIMIT 1", (key,)).fetchone()
    return str(row[0]) if row else ""


def _take_over_surname(db: sqlite3.Connection, key: str, name: str) -> None:
    """A new full name takes over the entity its surname alone had, when no other full name
    shares the surname."""
    last = surname(key)
    alone = db.execute(
        "SELECT 1 FROM entities WHERE key = ? AND kind = 'person'", (last,)
    ).fetchone()
    others = db.execute(
        "SELECT count(*) FROM entities WHERE kind = 'person' AND surname = ? AND key NOT IN (?, ?)",
        (last, key, last),
    ).fetchone()[0]
    if alone is None or others:
        return
    db.execute("UPDATE entity_names SET entity = ? WHERE entity = ?", (key, last))
    db.execute(
        "UPDATE sentences SET speaker = ?, speaker_key = ? WHERE speaker_key = ?", (name, key, last)
    )
    db.execute(
        "INSERT OR IGNORE INTO mentions SELECT sentence, ? FROM mentions WHERE entity = ?",
        (key, last),
    )
    db.execute("DELETE FROM mentions WHERE entity = ?", (last,))
    db.execute(
        "INSERT OR IGNORE INTO affiliations SELECT ?, party FROM affiliations WHERE entity = ?",
        (key, last),
    )
    db.execute("DELETE FROM affiliations WHERE entity = ?", (last,))
    db.execute("DELETE FROM entities WHERE key = ?", (last,))
