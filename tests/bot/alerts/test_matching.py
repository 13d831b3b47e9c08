"""Topic matching and same-story detection: the thresholds hold on the labelled examples."""

from __future__ import annotations

import numpy as np
import pytest

from bot.alerts.matching import (
    MATCH_THRESHOLD,
    SAME_STORY_THRESHOLD,
    has_keywords,
    most_relevant,
    same_story,
    story_vector,
    topic_score,
)
from bot.alerts.topics import parse_topic
from ingest.sentences import split_sentences
from retrieval.embedding.model import SentenceEmbeddings
from tests.bot.alerts.alert_examples import examples


@pytest.fixture(scope="module")
def vectors(embeddings: SentenceEmbeddings) -> dict[str, np.ndarray]:
    """Sentence vectors of every example briefing, as the store would hold them."""
    found = {}
    for key, b in examples()["briefings"].items():
        sentences = [b["text"][s:e] for s, e in split_sentences(b["text"])]
        found[key] = np.asarray(embeddings.encode(sentences))
    return found


def test_parse_topic_takes_plus_words_as_required_keywords() -> None:
    topic = parse_topic("  peace   talks +Istanbul +ceasefire, ")
    assert topic.text == "peace talks +Istanbul +ceasefire,"
    assert topic.keywords == ("istanbul", "ceasefire")
    assert topic.query == "peace talks Istanbul ceasefire,"
    assert parse_topic("C++ compilers").keywords == ()  # a plus inside a word is no keyword


def test_keywords_are_case_insensitive_word_prefixes() -> None:
    topic = parse_topic("talks +Istanbul +negotiat")
    assert has_keywords(topic, "Negotiators met in ISTANBUL.")
    assert not has_keywords(topic, "Negotiators met in Ankara.")
    assert not has_keywords(parse_topic("+bul"), "Istanbul")  # the start of a word only
    assert has_keywords(parse_topic("anything"), "")


def test_every_labelled_pair_falls_on_the_right_side_of_the_threshold(
    embeddings: SentenceEmbeddings, vectors: dict[str, np.ndarray]
) -> None:
    data = examples()
    positives, negatives = [], []
    for text, matching in data["topics"].items():
        topic = parse_topic(text)
        topic_vector = embeddings.encode([topic.query])[0]
        for key, sentence_vectors in vectors.items():
            b = data["briefings"][key]
            if not has_keywords(topic, f"{b['title']} {b['text']}"):
                assert key not in matching, f"{key} lacks a keyword of {text!r}"
                continue
            score = topic_score(topic_vector, sentence_vectors)
            (positives if key in matching else negatives).append((score, text, key))
    assert len(positives) == 11 and len(negatives) > 50
    assert min(positives)[0] >= MATCH_THRESHOLD, min(positives)
    assert max(negatives)[0] < MATCH_THRESHOLD, max(negatives)
    # the threshold is in the gap with room on both sides, not at its edge
    assert min(positives)[0] - MATCH_THRESHOLD > 0.03
    assert MATCH_THRESHOLD - max(negatives)[0] > 0.03


def test_the_same_story_from_two_outlets_is_recognised_and_others_are_not(
    vectors: dict[str, np.ndarray],
) -> None:
    same = {frozenset(pair) for pair in examples()["same_story"]}
    stories = {key: story_vector(v) for key, v in vectors.items()}
    for a in stories:
        for b in stories:
            if a < b:
                expected = frozenset((a, b)) in same
                cosine = float(stories[a] @ stories[b])
                assert same_story(stories[a], stories[b]) == expected, (a, b, cosine)
    assert SAME_STORY_THRESHOLD < 1


def test_most_relevant_sentences_come_in_the_briefings_order() -> None:
    topic = np.array([1.0, 0.0])
    sentences = np.array([[0.0, 1.0], [0.9, 0.1], [0.2, 0.9], [1.0, 0.0]])
    assert most_relevant(topic, sentences, 2) == [1, 3]
    assert topic_score(topic, sentences) == pytest.approx(0.95)
    assert topic_score(topic, np.zeros((0, 2))) == 0.0
