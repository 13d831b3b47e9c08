"""Sentences that lean on the one before: their subject is a pronoun ("They seized it") or a
bare definite noun ("The plant lost power", "The talks ended"), or they name a story's object
by its kind alone ("control of the plant"), so what they are about is named in the sentence
before. Such a sentence is judged with that one (retrieval/ranking/
search.py) and quoted with it as context: "Russian forces seized control of the plant" is
about Chernobyl when the sentence before names Chernobyl.

    They agreed to meet again.                        leans
    Russian forces seized control of the plant.       leans (which plant?)
    The plant was disconnected from the grid.         leans
    The two delegations met for an hour.              leans
    The Zaporizhzhia plant was disconnected.          does not: it names what it is about
    The talks in Istanbul lasted two hours.           does not
    It is the largest nuclear plant in Europe.        leans
"""

from __future__ import annotations

import re

# A pronoun subject opening the sentence (after an opening phrase such as "On Monday,").
_PRONOUN = re.compile(
    r"^(?:[A-Z][^,]{0,40},\s+)?(?:[Hh]e|[Ss]he|[Ii]t|[Tt]hey|[Ii]ts|[Tt]heir|[Hh]is|[Hh]er)\b"
    r"(?!['’]s\b)"
)
# "The plant", "The two sides", "This agreement": a determiner and lower-case words only (no
# name), then a verb or a comma; "The talks in Istanbul" names its place and is left alone.
_BARE_NOUN = re.compile(
    r"^(?:[A-Z][^,]{0,40},\s+)?(?:[Tt]he|[Tt]his|[Tt]hat|[Tt]hese|[Tt]hose)\s+"
    r"(?!(?:week|month|year|day|morning|afternoon|evening|night|time)\b)(?:[a-z][\w-]*\s+){0,2}"
    r"[a-z][\w-]*(?:\s*,|\s+(?:has|have|had|is|are|was|were|will|would|could|can|may|said|"
    r"says|did|does|met|took|left|went|came|made|gave|held|began|lost|won|fell|rose|saw|got|"
    r"put|set|ran|sent|spent|kept|found|told|became|remains|[a-z]+ed)\b)"
)
# "… seized control of the plant": a place the story is about, named by its kind alone (as
# the subject, "the talks" and "the deal" lean by the rule above).
_STORY_PLACE = re.compile(
    r"\b(?:of|at|in|inside|near|around|to|from|into|over)\s+the\s+(?:[a-z][\w-]*\s+)?"
    r"(?:plant|reactor|site|facility|station|complex|base)\b"
)


def leans_on_previous(sentence: str) -> bool:
    """Whether a sentence's subject is a pronoun or a bare definite noun phrase, so that the
    sentence before names what it is about."""
    text = sentence.lstrip(" \"'“‘(—–-")
    if _PRONOUN.match(text):
        return True
    return _BARE_NOUN.match(text) is not None or _STORY_PLACE.search(text) is not None
