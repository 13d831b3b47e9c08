"""Batch ingest: many briefings per model and database call, with per-briefing outcomes."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from ingest.pipeline import Ingester
from retrieval.errors import StoreError
from retrieval.index.store import BriefingStore
from retrieval.ranking.search import HybridSearcher
from retrieval.types import Briefing


def briefing(n: int, text: str | None = None) -> Briefing:
    return Briefing(
        id=f"t-{n}",
        title=f"Round {n} of the talks",
        text=text or f"Round {n} of the talks opened in Istanbul. Delegations met for {n} hours.",
        source=f"round-{n}.txt",
        published=date(2025, 6, n),
    )


def test_results_come_in_order_with_each_outcome(ingester: Ingester, store: BriefingStore) -> None:
    ingester.ingest(briefing(1))
    batch = [
        briefing(1),  # unchanged
        briefing(2),
        briefing(3, text="   "),  # nothing to index
        briefing(4),
        replace(briefing(1), text="Round 1 was postponed by a week."),  # updated
    ]
    results = list(ingester.ingest_many(batch, batch_size=3))
    assert [r.briefing.id for r in results if r.briefing] == ["t-1", "t-2", "t-3", "t-4", "t-1"]
    assert [r.status for r in results] == ["unchanged", "added", "failed", "added", "updated"]
    assert "no sentences" in results[2].error
    assert sorted(r.id for r in store.records()) == ["t-1", "t-2", "t-4"]
    assert store.record("t-1").sentence_count == 1  # type: ignore[union-attr]
    texts = {
        s.sentence.text
        for s in (s for r in store.records() for s in store.catalogue.sentences_of(r.id))
    }
    assert "Round 1 was postponed by a week." in texts
    assert "Round 1 of the talks opened in Istanbul." not in texts
    # Older rows are deleted from Chroma, not only hidden: 2 + 2 + 1 sentences remain.
    assert store._sentences.count() == 5


def test_the_same_id_twice_in_one_batch_keeps_the_later_copy(
    ingester: Ingester, store: BriefingStore
) -> None:
    later = replace(briefing(5), text="Round 5 was cancelled.")
    results = list(ingester.ingest_many([briefing(5), later]))
    assert [r.status for r in results] == ["added", "updated"]
    assert [
        s.sentence.text
        for s in (s for r in store.records() for s in store.catalogue.sentences_of(r.id))
    ] == ["Round 5 was cancelled."]


def test_batch_written_rows_are_searchable_with_their_context(
    ingester: Ingester, store: BriefingStore
) -> None:
    talks = briefing(
        7,
        text="Russia proposed a ceasefire of two days. Ukraine asked for the children back.",
    )
    list(ingester.ingest_many([briefing(6), talks, briefing(8)]))
    (top, *_) = HybridSearcher(store).search("What did Russia propose?")
    assert top.stored.sentence.text == "Russia proposed a ceasefire of two days."
    assert top.record.title == "Round 7 of the talks"


def test_listeners_hear_each_stored_briefing(ingester: Ingester) -> None:
    heard = []
    ingester.on_ingested(heard.append)
    list(ingester.ingest_many([briefing(1), briefing(2), briefing(1)]))
    assert [r.briefing.id for r in heard if r.briefing] == ["t-1", "t-2"]


def test_a_batch_that_cannot_be_written_is_retried_one_by_one(
    ingester: Ingester, store: BriefingStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_many = store.write_many

    def refuse_batches(batch):  # type: ignore[no-untyped-def]
        if len(batch) > 1:
            raise StoreError("the store dropped the connection")
        if batch[0].record.id == "t-2":
            raise StoreError("Chroma refused t-2")
        write_many(batch)

    monkeypatch.setattr(store, "write_many", refuse_batches)
    results = list(ingester.ingest_many([briefing(1), briefing(2), briefing(3)]))
    assert [r.status for r in results] == ["added", "failed", "added"]
    assert results[1].error == "Chroma refused t-2"
    monkeypatch.undo()
    assert sorted(r.id for r in store.records()) == ["t-1", "t-3"]


def test_a_batch_holds_each_briefing_once(ingester: Ingester, store: BriefingStore) -> None:
    rows = ingester._prepare(briefing(1), None)
    assert rows is not None
    with pytest.raises(ValueError):
        store.write_many([rows, rows])
    assert store.records() == []


def test_a_directory_of_small_files_shares_batches(
    ingester: Ingester, store: BriefingStore, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ingest.fetch import UrlFetcher

    for n in range(1, 71):
        (tmp_path / f"note-{n:03}.txt").write_text(
            f"Note {n}\n\nThe harbour board met {n} times this spring.", encoding="utf-8"
        )
    (tmp_path / "note-035b.txt").write_bytes(b"\x00binary")  # one bad file in the middle
    writes: list[int] = []
    real = store.write_many

    def counted(batch):  # type: ignore[no-untyped-def]
        writes.append(len(batch))
        return real(batch)

    monkeypatch.setattr(store, "write_many", counted)
    with UrlFetcher() as fetcher:
        results = ingester.ingest_sources([str(tmp_path)], fetcher)
    assert [r.status for r in results].count("added") == 70
    [failed] = [r for r in results if r.status == "failed"]
    assert failed.source.endswith("note-035b.txt") and "binary" in failed.error
    assert writes == [32, 32, 6]
