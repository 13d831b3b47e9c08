"""Hybrid search: the fused score is the documented sum of its signals."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest

from ingest.pipeline import Ingester
from retrieval.ranking.search import HybridSearcher
from retrieval.types import Briefing

FRESNO = Briefing(
    id="fresno",
    title="Fresno, California",
    source="t",
    text=(
        "Fresno is a city in California. It lies in the San Joaquin Valley. "
        "Its airport serves the region."
    ),
)
RAIL = Briefing(
    id="rail",
    title="High-speed rail",
    source="t",
    text="The line will link cities in the valley with the coast.",
)


@pytest.fixture
def searcher(ingester: Ingester, store) -> HybridSearcher:  # type: ignore[no-untyped-def]
    ingester.ingest(FRESNO)
    ingester.ingest(RAIL)
    return HybridSearcher(store)


def test_the_score_is_the_weighted_sum_of_the_signals(searcher: HybridSearcher) -> None:
    w = searcher.weights
    found = searcher.search("Which valley is Fresno in?")
    assert found
    for c in found:
        expected = (
            c.dense
            + w.context * c.context
            + w.lexical * c.lexical
            + w.coverage * c.coverage
            + w.overlap * c.overlap
        )
        assert c.score == pytest.approx(expected)
    assert [c.score for c in found] == sorted((c.score for c in found), reverse=True)


def test_overlap_counts_question_words_in_the_sentence_or_its_title(
    searcher: HybridSearcher,
) -> None:
    found = {c.stored.sentence.text: c for c in searcher.search("Which valley is Fresno in?")}
    # "valley" in the sentence, "Fresno" in the title: both question words are there.
    assert found["It lies in the San Joaquin Valley."].overlap == 1.0
    assert found["Its airport serves the region."].overlap == 0.5  # the title's "Fresno"
    assert found["The line will link cities in the valley with the coast."].overlap == 0.5
    # Coverage is per briefing: the Fresno briefing has both words, the rail one only "valley".
    assert found["Its airport serves the region."].coverage == 1.0
    assert found["The line will link cities in the valley with the coast."].coverage < 1.0
    top = searcher.search("Which valley is Fresno in?")[0]
    assert top.stored.sentence.text == "It lies in the San Joaquin Valley."


def test_a_question_of_stop_words_only_scores_no_overlap(searcher: HybridSearcher) -> None:
    for c in searcher.search("What is it?"):
        assert c.overlap == 0.0


def test_as_of_finds_an_old_briefing_under_many_newer_ones(ingester: Ingester, store) -> None:
    """The date filter runs inside the vector and lexical queries: filtering their top results
    afterwards would leave nothing when the newer briefings fill them."""
    newer = [
        Briefing(
            id=f"round-{n}",
            title=f"Peace talks, round {n}",
            source="t",
            text=f"Round {n} of the peace talks between Russia and Ukraine took place in Geneva.",
            published=date(2025, 7, 1) + timedelta(days=n),
        )
        for n in range(60)
    ]
    first = Briefing(
        id="first",
        title="Delegations meet",
        source="t",
        text="Delegations from Moscow and Kyiv met in Istanbul for their first talks in years.",
        published=date(2025, 5, 16),
    )
    list(ingester.ingest_many([*newer, first]))
    question = "Where did the peace talks between Russia and Ukraine take place?"
    found = HybridSearcher(store).search(question, as_of=date(2025, 6, 1))
    assert found and {c.record.id for c in found} == {"first"}
    latest = HybridSearcher(store).search(question)
    assert "first" not in {c.record.id for c in latest[:10]}  # without the date: buried


class Spy:
    """Wraps a real object and records the calls of its methods (name, keyword names)."""

    def __init__(self, real: Any, calls: list[tuple[str, dict[str, Any]]]) -> None:
        self._real, self._calls = real, calls

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._real, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            self._calls.append((name, kwargs))
            return attribute(*args, **kwargs)

        return call


def test_a_question_reads_only_its_candidates(ingester: Ingester, store) -> None:
    ingester.ingest(FRESNO)
    ingester.ingest(RAIL)
    chroma: list[tuple[str, dict[str, Any]]] = []
    catalogue: list[tuple[str, dict[str, Any]]] = []
    store._sentences = Spy(store._sentences, chroma)
    store._chunks = Spy(store._chunks, chroma)
    store.catalogue = Spy(store.catalogue, catalogue)
    searcher = HybridSearcher(store)  # as a process starts: nothing is read yet
    assert chroma == [] and catalogue == []
    assert searcher.search("Which valley is Fresno in?")
    gets = [kwargs for name, kwargs in chroma if name == "get"]
    assert gets and all(kwargs.get("ids") for kwargs in gets)  # rows by id, never a scan
    assert {name for name, _ in chroma} <= {"count", "query", "get"}
    assert {name for name, _ in catalogue} <= {
        "sentences",
        "chunk_sentences",
        "lexical_candidates",
        "records_of",
        "live_tokens",
        "statistics",
        "briefings_holding",
    }


def test_the_row_ids_name_what_chromas_metadata_names(ingester: Ingester, store) -> None:
    ingester.ingest(FRESNO)
    ingester.ingest(RAIL)
    vector = store.embeddings.encode_query(["Which valley is Fresno in?"])[0]
    sentences, chunks = store.nearest_rows(vector, 40, 12)
    assert sentences == store.nearest_sentences(vector, 40)
    hits = store.nearest_chunks(vector, 12)
    assert [(bid, rid) for bid, _, rid in chunks] == [(h.briefing_id, h.row_id) for h in hits]
    members = store.catalogue.chunk_sentences([(bid, n) for bid, n, _ in chunks])
    for (bid, n, _), hit in zip(chunks, hits, strict=True):
        assert members[(bid, n)] == store.catalogue.sentences_between(bid, hit.first, hit.last)


def test_a_vector_is_read_once_and_a_rewritten_briefing_afresh(ingester: Ingester, store) -> None:
    ingester.ingest(FRESNO)
    ingester.ingest(RAIL)
    searcher = HybridSearcher(store)
    question = "Which valley is Fresno in?"
    first = searcher.search(question)
    chroma: list[tuple[str, dict[str, Any]]] = []
    store._sentences = Spy(store._sentences, chroma)
    store._chunks = Spy(store._chunks, chroma)
    again = searcher.search(question)
    assert [(c.stored.rowid, c.score) for c in again] == [(c.stored.rowid, c.score) for c in first]
    assert [name for name, _ in chroma] == ["query", "query"]  # no vector read again
    ingester.ingest(replace(FRESNO, text="Fresno lies in the Central Valley."))
    texts = {c.stored.sentence.text for c in searcher.search(question)}
    assert "Fresno lies in the Central Valley." in texts
    assert "It lies in the San Joaquin Valley." not in texts
