"""Follow-up questions: "and what did Ukraine want?" asked with the previous question's topic.

Deliberately simple: a question looks like a follow-up when it starts like one ("and", "what
about"…) or has at most one word of its own topic ("Why?", "Who said that?"), or leans on a pronoun
with little topic ("How many will they exchange?"). Then the topic words of the question that
started the thread are appended to it. Context is per chat and expires after FOLLOW_UP_WINDOW.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.state.questions import AskedQuestion
from retrieval.language.markup import without_markup
from retrieval.language.terms import STOP_WORDS

FOLLOW_UP_WINDOW = 30 * 60.0  # seconds; an older question is no longer context
MAX_TOPIC_WORDS = 8

_WORDS = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
_LEADING_WORDS = frozenset({"and", "but", "also", "so", "then", "or", "plus"})
_LEADING_PHRASES = frozenset(
    {"what about", "how about", "what else", "anything else", "any more", "same for", "more on"}
)


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


_PRONOUNS = _word_set(
    "they them their theirs it its he him his she her hers that those these this there"
)
# English stop words (the lexical index's list) and the words of talking to a bot.
_STOPWORDS = STOP_WORDS | _word_set(
    """
    done would shall could may might must whose whether also many much us one ones said say
    says tell told please know yes ok okay else
    """
)


@dataclass(frozen=True)
class Contextualised:
    """What to ask for a message: the question itself, or it plus the thread's topic."""

    question: str  # what the answer chain is asked
    root: str  # the question the thread started with (the message itself when standalone)
    follows: str | None = None  # the root this follows up on, or None


def words(text: str) -> list[str]:
    """The words of text, lower-cased."""
    return [w.lower() for w in _WORDS.findall(text)]


def topic_words(text: str) -> list[str]:
    """The words that carry a question's topic, as written, without repeats."""
    seen: set[str] = set()
    found: list[str] = []
    for word in _WORDS.findall(text):
        key = word.lower()
        if key in _STOPWORDS or key in _PRONOUNS or len(key) < 2 or key in seen:
            continue
        seen.add(key)
        found.append(word)
    return found[:MAX_TOPIC_WORDS]


def looks_like_follow_up(text: str) -> bool:
    """Whether a message reads as a continuation of the previous question."""
    found = words(text)
    if not found:
        return False
    if found[0] in _LEADING_WORDS or " ".join(found[:2]) in _LEADING_PHRASES:
        return True
    own_topic = len(topic_words(text))
    return own_topic <= 1 or (own_topic <= 2 and any(w in _PRONOUNS for w in found))


def contextualise(
    text: str, previous: AskedQuestion | None, *, now: float, window: float = FOLLOW_UP_WINDOW
) -> Contextualised:
    """The question to ask for `text`, given the chat's previous question (if any). Markup in
    either is not their words (a tag in the first question must not follow into the next)."""
    text = without_markup(text)
    if previous is None or now - previous.asked_at > window or not looks_like_follow_up(text):
        return Contextualised(question=text, root=text)
    own = set(words(text))
    extra = [w for w in topic_words(without_markup(previous.root)) if w.lower() not in own]
    if not extra:
        return Contextualised(question=text, root=previous.root, follows=previous.root)
    question = f"{text} ({' '.join(extra)})"
    return Contextualised(question=question, root=previous.root, follows=previous.root)
