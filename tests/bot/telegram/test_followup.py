"""Follow-up questions: when a message continues the chat's previous question, and how."""

from __future__ import annotations

import pytest

from bot.state.questions import AskedQuestion
from bot.telegram.followup import (
    FOLLOW_UP_WINDOW,
    contextualise,
    looks_like_follow_up,
    topic_words,
)

NOW = 1_750_000_000.0


def previous(root: str, *, age: float = 60.0) -> AskedQuestion:
    return AskedQuestion("q1", 42, root, root, root, NOW - age)


@pytest.mark.parametrize(
    "text",
    [
        "and what did Ukraine want?",
        "And Russia?",
        "what about the prisoners?",
        "Why?",
        "Who said that?",
        "How many will they exchange?",
        "but when?",
    ],
)
def test_follow_ups_are_recognised(text: str) -> None:
    assert looks_like_follow_up(text)


@pytest.mark.parametrize(
    "text",
    [
        "What did Russia propose?",
        "Where were the talks held?",
        "Who led the Ukrainian delegation in Istanbul?",
        "How many bodies will Russia and Ukraine exchange?",
        "",
    ],
)
def test_standalone_questions_are_not_follow_ups(text: str) -> None:
    assert not looks_like_follow_up(text)


def test_topic_words_drop_question_words_and_repeats() -> None:
    assert topic_words("What did Russia propose to Ukraine, and did Russia insist?") == [
        "Russia",
        "propose",
        "Ukraine",
        "insist",
    ]


def test_a_follow_up_gets_the_thread_topic_words_it_lacks() -> None:
    asked = contextualise(
        "and what did Ukraine want?", previous("What did Russia propose at the talks?"), now=NOW
    )
    assert asked.question == "and what did Ukraine want? (Russia propose talks)"
    assert asked.root == asked.follows == "What did Russia propose at the talks?"


def test_a_thread_keeps_its_first_question_as_the_topic() -> None:
    first = "What did Russia propose at the talks?"
    second = AskedQuestion("q2", 42, "and Ukraine?", "and Ukraine? (…)", first, NOW - 10)
    asked = contextualise("and the prisoners?", second, now=NOW)
    assert asked.root == first
    assert asked.question == "and the prisoners? (Russia propose talks)"


def test_no_context_without_a_recent_previous_question() -> None:
    text = "and what did Ukraine want?"
    assert contextualise(text, None, now=NOW).question == text
    stale = previous("What did Russia propose?", age=FOLLOW_UP_WINDOW + 1)
    assert contextualise(text, stale, now=NOW).follows is None


def test_a_new_topic_starts_a_new_thread() -> None:
    asked = contextualise(
        "Where were the talks held?", previous("What did Russia propose?"), now=NOW
    )
    assert asked.question == asked.root == "Where were the talks held?"
    assert asked.follows is None


def test_markup_in_the_previous_question_does_not_follow_into_the_next() -> None:
    asked = contextualise(
        "and Ukraine?", previous("What did Russia propose? <script>alert(1)</script>"), now=NOW
    )
    assert asked.question == "and Ukraine? (Russia propose)"
    plain = contextualise("What did Russia propose? &lt;b&gt;now&lt;/b&gt;", None, now=NOW)
    assert plain.question == "What did Russia propose? now"
