"""Hybrid search: the fused score is the documented sum of its signals."""

from __future__ import annotations

import pytest

from ingest.pipeline import Ingester
from retrieval.search import HybridSearcher
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
