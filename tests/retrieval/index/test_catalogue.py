"""The catalogue: updated per briefing, it stays equal to one built from scratch."""

from __future__ import annotations

import hashlib
import sqlite3
import tempfile
import uuid
from datetime import date
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval.index.articles import text_key
from retrieval.index.catalogue import Catalogue, Entry
from retrieval.types import BriefingRecord, Sentence
from tests.at_once import at_once

WORDS = ["talks", "Russia", "Ukraine", "ceasefire", "proposed", "Geneva", "prisoners", "markets"]
texts = st.lists(
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=5).map(lambda w: " ".join(w) + "."),
    min_size=1,
    max_size=4,
)
ids = st.sampled_from(["a", "b", "c", "d"])
operations = st.lists(
    st.one_of(
        st.tuples(st.just("put"), ids, st.sampled_from(WORDS), texts),
        st.tuples(st.just("remove"), ids),
    ),
    max_size=20,
)


def entry(bid: str, title: str, sentences: list[str]) -> Entry:
    text = " ".join(sentences)
    found, at = [], 0
    for n, sentence in enumerate(sentences):
        start = text.index(sentence, at)
        found.append(Sentence(f"{bid}:s{n}", bid, n, sentence, start, start + len(sentence)))
        at = start + len(sentence)
    version = hashlib.sha256(f"{title}|{text}".encode()).hexdigest()[:12]
    record = BriefingRecord(
        bid, title, "test", version, len(found), published=date(2025, 6, 1 + len(title) % 9)
    )
    chunks = tuple((n // 2,) for n in range(len(found)))
    return Entry(record, uuid.uuid4().hex, tuple(found), chunks)


def store(catalogue: Catalogue, item: Entry) -> None:
    catalogue.begin([(item.record.id, item.token)])
    assert catalogue.commit([item]) == []


def contents(catalogue: Catalogue) -> dict[str, Any]:
    """Everything the catalogue holds, without what differs by history (row ids, order)."""

    def rows(sql: str) -> list[tuple[Any, ...]]:
        return sorted(catalogue._rows(sql))

    sentences = rows("SELECT briefing_id, idx, text, chunks, terms, day FROM sentences")
    indexed = {
        term: rows(
            "SELECT s.briefing_id, s.idx FROM sentence_fts f JOIN sentences s "
            f"ON s.rowid = f.rowid WHERE sentence_fts MATCH '\"{term}\"'"
        )
        for (term,) in rows("SELECT term FROM terms")
    }
    return {
        "briefings": rows("SELECT id, version, title, day, sentence_count FROM briefings"),
        "sentences": sentences,
        "terms": rows("SELECT term, briefings, sentences FROM terms"),
        "briefing_terms": rows("SELECT term, briefing_id FROM briefing_terms"),
        "counts": rows("SELECT key, value FROM meta WHERE key != 'seq'"),
        "index": indexed,
        "writing": rows("SELECT * FROM writes WHERE state = 'writing'"),
    }


@settings(max_examples=60, deadline=None)
@given(operations)
def test_updated_per_write_it_equals_a_catalogue_built_from_scratch(ops: list[tuple]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        incremental = Catalogue(Path(folder) / "incremental.db")
        live: dict[str, tuple[str, list[str]]] = {}
        for op in ops:
            if op[0] == "put":
                _, bid, title, sentences = op
                store(incremental, entry(bid, title, sentences))
                live[bid] = (title, sentences)
            else:
                removed = incremental.remove(op[1])
                assert (removed is not None) == (op[1] in live)
                live.pop(op[1], None)
        scratch = Catalogue(Path(folder) / "scratch.db")
        for bid, (title, sentences) in sorted(live.items()):
            store(scratch, entry(bid, title, sentences))
        assert contents(incremental) == contents(scratch)
        incremental.close()
        scratch.close()


def test_a_term_held_by_no_briefing_any_more_is_gone(tmp_path: Path) -> None:
    catalogue = Catalogue(tmp_path / "catalogue.db")
    store(catalogue, entry("a", "Talks", ["Russia proposed a ceasefire."]))
    store(catalogue, entry("a", "Talks", ["Markets were calm."]))
    assert catalogue.statistics(["ceasefir"]).briefing_frequency == {}
    assert catalogue.lexical_candidates(["ceasefir"], 10) == []
    assert [s.sentence.text for s in catalogue.lexical_candidates(["market"], 10)] == [
        "Markets were calm."
    ]
    catalogue.close()


def test_terms_in_more_than_a_fixed_number_of_sentences_do_not_select(
    tmp_path: Path, monkeypatch: Any
) -> None:
    """The lexical query's cost stays flat as the store grows: a term held by more sentences
    than COMMON_TERM_SENTENCES is left out of it, whatever its share."""
    import retrieval.index.lexical as catalogue_module

    catalogue = Catalogue(tmp_path / "catalogue.db")
    for n in range(12):
        store(catalogue, entry(f"b{n}", "Talks", [f"The talks went on in round {n}."]))
    store(catalogue, entry("x", "Harbour", ["The harbour talks ended."]))
    monkeypatch.setattr(catalogue_module, "COMMON_TERM_SHARE", 1.0)  # only the cap decides
    monkeypatch.setattr(catalogue_module, "COMMON_TERM_SENTENCES", 5)
    found = catalogue.lexical_candidates(["talk", "harbour"], 10)
    assert [s.sentence.text for s in found] == ["The harbour talks ended."]  # "talk": 13 > 5
    monkeypatch.setattr(catalogue_module, "COMMON_TERM_SENTENCES", 100)
    assert len(catalogue.lexical_candidates(["talk", "harbour"], 20)) == 13
    catalogue.close()


def test_the_latest_begun_write_of_a_briefing_wins(tmp_path: Path) -> None:
    catalogue = Catalogue(tmp_path / "catalogue.db")
    first, second = entry("a", "One", ["Russia proposed."]), entry("a", "Two", ["Geneva talks."])
    catalogue.begin([("a", first.token)])
    catalogue.begin([("a", second.token)])
    assert catalogue.commit([second]) == []
    assert catalogue.commit([first]) == ["a"]  # superseded: never made live
    record = catalogue.record("a")
    assert record is not None and record.title == "Two"
    assert ("a", first.token) in catalogue.retired()  # its rows are to be deleted
    catalogue.close()


def test_several_openers_of_a_new_catalogue_all_get_it(tmp_path: Path) -> None:
    # Switching a new file to WAL needs it to itself and SQLite does not wait for that: the
    # second of two processes opening a fresh catalogue at once got "database is locked".
    openers = 2
    for attempt in range(150):  # the window is narrow: ~3 in 100 failed before
        path = tmp_path / f"catalogue-{attempt}.db"
        opened, errors = at_once(lambda: Catalogue(path), openers)  # noqa: B023
        assert errors == []
        assert len(opened) == openers
        store(opened[0], entry("a", "Talks", ["Russia proposed talks."]))
        for catalogue in opened:  # one schema, one file: every opener sees the write
            assert [r.id for r in catalogue.records()] == ["a"]
            catalogue.close()


def undo_migrations_5_to_8(db: sqlite3.Connection) -> None:
    """Take a catalogue file back to before migrations 5 (articles), 6 (furniture), 7
    (stories) and 8 (unread), for tests of the migrations before them."""
    db.execute("DROP INDEX briefings_unread")
    db.execute("ALTER TABLE briefings DROP COLUMN unread")
    db.execute("DROP INDEX briefings_by_story")
    db.execute("ALTER TABLE briefings DROP COLUMN story")
    db.execute("ALTER TABLE briefings DROP COLUMN signature")
    db.execute("DROP TABLE story_bands")
    db.execute("ALTER TABLE sentences DROP COLUMN furniture")
    db.execute("DROP INDEX briefings_by_url")
    db.execute("DROP INDEX briefings_by_text_key")
    db.execute("ALTER TABLE briefings DROP COLUMN text_key")
    db.execute("DROP TABLE aliases")
    db.execute("DELETE FROM meta WHERE key = 'url_rules'")


def test_an_older_catalogue_gets_text_keys_and_furniture(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.db"
    catalogue = Catalogue(path)
    store(catalogue, entry("a", "Talks", ["Talks ended.", "Sign up for our newsletter."]))
    catalogue.close()
    with sqlite3.connect(path) as db:  # the file as the version before issue 23 left it
        undo_migrations_5_to_8(db)
        db.execute("PRAGMA user_version = 4")
    reopened = Catalogue(path)
    assert [s.sentence.furniture for s in reopened.sentences_of("a")] == ["", "media"]
    # Its words are its key: the same text under another id is found as this briefing.
    found = reopened.same_articles(
        [("b", None, text_key("Talks ended. Sign up for our newsletter."))]
    )
    assert found == {"b": ("a", "text")}
    reopened.close()
