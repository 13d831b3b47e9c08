"""Who said each sentence of a briefing and who acts in it, from the parse (language/parser.py)
and what the briefing said before:

    Volodymyr Zelensky said the talks were useful.      -> Volodymyr Zelensky
    “We will meet again,” he added.                     -> Volodymyr Zelensky (the sentence
                                                           before named him)
    Later, Zelensky proposed a summit.                  -> acts: Volodymyr Zelensky propose
                                                           (a surname after the full name)

Names stay as the briefing writes them otherwise; the catalogue gives each its one canonical
entity across briefings (retrieval/index/entities.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from retrieval.language.names import fold, surname
from retrieval.language.parser import PEOPLE, Parser, SentenceParse, parser
from retrieval.types import Reading

_PRONOUNS = {"he": ("person",), "they": ("group", "role", "person")}


def readings(sentences: Sequence[str], using: Parser | None = None) -> list[tuple[str, Reading]]:
    """Each sentence's speaker ("" for none) and what else the parser read in it."""
    parses = (using or parser()).parse(sentences)
    full = _full_names(parses)
    found: list[tuple[str, Reading]] = []
    previous, previous_kind = "", ""
    for parse in parses:
        speaker, kind = parse.speaker, parse.speaker_kind
        if kind in _PRONOUNS:
            ok = previous and previous_kind in _PRONOUNS[kind]
            speaker, kind = (previous, previous_kind) if ok else ("", "")
        elif kind == "person" or (kind == "group" and fold(speaker) in full):
            # a surname the entity recogniser took for a group ("Della") is the person too
            speaker, kind = full.get(fold(speaker), speaker), "person"
        acts = []
        for actor, lemma in parse.acts:
            if actor in _PRONOUNS:
                if not speaker and not previous:
                    continue
                actor = speaker or previous
            acts.append((full.get(fold(actor), actor), lemma))
        reading = Reading(
            speaker_kind=kind,
            acts=tuple(dict.fromkeys(acts)),
            mentions=tuple(
                (full.get(fold(name), name) if label == PEOPLE else name, label)
                for name, label in parse.mentions
            ),
            members=tuple((full.get(fold(p), p), group) for p, group in parse.members),
        )
        found.append((speaker, reading))
        previous, previous_kind = speaker, kind
    return found


def speakers(sentences: Sequence[str]) -> list[str]:
    """The speaker of each sentence in order."""
    return [speaker for speaker, _ in readings(sentences)]


def _full_names(parses: Sequence[SentenceParse]) -> dict[str, str]:
    """A surname written alone -> the one full name with that surname the briefing writes
    ("Zelensky" -> "Volodymyr Zelensky"); a surname two full names share stays as it is."""
    people: dict[str, str] = {}  # folded full name -> its first spelling
    for parse in parses:
        for name, label in parse.mentions:
            if label == PEOPLE and len(fold(name).split()) > 1:
                people.setdefault(fold(name), name)
    by_surname: dict[str, set[str]] = {}
    for key in people:
        by_surname.setdefault(surname(key), set()).add(key)
    return {last: people[min(keys)] for last, keys in by_surname.items() if len(keys) == 1}
