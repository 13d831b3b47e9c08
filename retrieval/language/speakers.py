"""Who said a sentence of reported speech, by rules over the sentence and the one before.

    “The meeting is over,” Keceli said.              -> Keceli
    Medinsky said Moscow had offered a ceasefire.     -> Medinsky
    …, said Ukraine's negotiator Rustem Umerov.       -> Rustem Umerov
    According to Yermak, the list was handed over.    -> Yermak
    “We will meet again,” he added.                   -> the previous sentence's speaker

What stands inside quotation marks is left out before the rules look, so a quote within a
quote never names the speaker: the attribution outside it does. No model, nothing to download.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_VERBS = (
    r"said|says|told|tells|added|adds|stated|states|noted|notes|announced|announces|warned|"
    r"warns|insisted|insists|claimed|claims|explained|explains|stressed|stresses|wrote|writes|"
    r"argued|argues|replied|replies|declared|declares|confirmed|confirms|"
    r"emphasi[sz]ed|continued|remarked|recalled|acknowledged|admitted"
)
# A capitalised word, not a possessive ("Ukraine's negotiator" names no one yet).
_NAME_WORD = r"[A-Z][\w.-]*+(?:['’](?!s\b)[\w.-]+)?(?!['’]s\b)"
_ROLE = (
    r"negotiator|negotiators|official|officials|spokesperson|spokesman|spokeswoman|delegation|"
    r"side|state media|media|minister|ministry|president|envoy|sources?"
)
# A name, or a place or party used as one ("Kyiv negotiator", "Russian state media").
_NAME = rf"{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,3}}(?:\s+(?:{_ROLE})\b)?"
_PRONOUN = r"he|she|they|He|She|They"
# "Medinsky said", "Turkish Foreign Ministry spokesperson, Oncu Keceli, said"
_NAME_VERB = re.compile(rf"(?P<name>{_NAME})\s*,?\s+(?:also\s+|later\s+)?(?:{_VERBS})\b")
# "…,” said Yermak", ", said Ukraine's negotiator Rustem Umerov": the verb after a comma or
# a quote, the speaker after it
_VERB_NAME = re.compile(rf"(?:^|[,…]\s*)(?:{_VERBS})\s+(?:[\w'’-]+\s+){{0,4}}?(?P<name>{_NAME})")
_ACCORDING = re.compile(rf"\b[Aa]ccording\s+to\s+(?:[\w'’-]+\s+){{0,3}}?(?P<name>{_NAME})")
_PRONOUN_VERB = re.compile(rf"(?:^|[\s,])(?:{_PRONOUN})\s+(?:also\s+)?(?:{_VERBS})\b")
_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"|‘[^’]*’")
# Capitalised words that do not name a speaker.
_NOT_NAME_WORDS = (
    "The A An It This That These Those There He She They We I You Officials Reporters "
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday"
)
_NOT_NAMES = frozenset(_NOT_NAME_WORDS.split())


def _outside_quotes(sentence: str) -> str:
    return _QUOTED.sub(" … ", sentence)


def _clean(name: str) -> str:
    words = name.replace("’", "'").split()
    while words and words[0] in _NOT_NAMES:
        words = words[1:]
    if words and words[-1].endswith("'s"):
        return ""  # "Russia's negotiator": the name follows
    return " ".join(words).strip(" ,.")


def speaker_of(sentence: str, previous_speaker: str = "") -> str:
    """The speaker of a sentence, or "" when it reports no one's words."""
    text = _outside_quotes(sentence)
    for pattern in (_ACCORDING, _NAME_VERB, _VERB_NAME):
        for match in pattern.finditer(text):
            name = _clean(match.group("name"))
            if name:
                return name
    if previous_speaker and _PRONOUN_VERB.search(text):
        return previous_speaker
    return ""


def speakers(sentences: Sequence[str]) -> list[str]:
    """The speaker of each sentence in order; a pronoun ("he added") takes the speaker of
    the sentence before."""
    found: list[str] = []
    previous = ""
    for sentence in sentences:
        speaker = speaker_of(sentence, previous)
        found.append(speaker)
        previous = speaker
    return found
