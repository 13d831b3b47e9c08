"""Word coverage: IDF over the briefings, and general-English rarity for words none of them has."""

from __future__ import annotations

import pytest

from retrieval.language.terms import topic_terms
from retrieval.ranking.coverage import TermCoverage, english_rarity


@pytest.mark.parametrize("word", ["say", "next", "the", "happened"])
def test_everyday_words_are_not_rare(word: str) -> None:
    assert english_rarity(word) < 0.25


@pytest.mark.parametrize("word", ["fresno", "medinsky", "ceasefire", "qwzxv"])
def test_names_and_unknown_words_are_rare(word: str) -> None:
    assert english_rarity(word) >= 0.9


def test_topic_terms_map_stems_to_words_and_leave_out_time_words() -> None:
    terms = topic_terms("What is the latest on the peace talks Medinsky proposed now?")

    assert terms == {"peac": "peace", "talk": "talks", "medinski": "medinsky", "propos": "proposed"}


def test_a_missing_everyday_word_costs_little_coverage_and_a_missing_name_costs_much() -> None:
    talks, markets = {"talk", "istanbul", "russia"}, {"market", "asia"}
    frequencies = {term: 1 for term in talks | markets}  # each term in one of two briefings
    coverage = TermCoverage(frequencies, 2, rarity=english_rarity)

    everyday = coverage.weights({"talk": "talks", "happen": "happened"})
    named = coverage.weights({"talk": "talks", "fresno": "fresno"})

    assert coverage.share(everyday, talks) > 0.75
    assert coverage.share(named, talks) < 0.5
    assert coverage.share(named, markets) == 0.0


def test_without_a_rarity_every_missing_word_weighs_as_the_rarest() -> None:
    coverage = TermCoverage({"talk": 1, "market": 1}, 2)

    weights = coverage.weights({"talk": "talks", "happen": "happened"})

    assert weights["happen"] > weights["talk"]
