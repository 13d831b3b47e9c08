"""The party a question asks about ("What did Russia propose?") and the sentences where that
party is the one acting ("Moscow proposed…"), not the one acted on ("Ukraine rejected the
Russian proposal").

The question is read by a rule: the party is the capitalised name between "what did/does/has…"
and a verb. The sentences were read at ingest by the parser (language/parser.py): who is the
subject or agent of which verb, resolved to entities and parties (index/entities.py). A sentence
speaks for the party when the party, or one of its people, places or institutions (the table
language/parties.json and the members the briefings name), acts with a verb of the question's
kind. A noun ("the Russian proposal") or an object ("demands of Russia") acts for no one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from retrieval.language.names import PARTIES, fold, surname, words
from retrieval.ranking.search import Candidate
from retrieval.types import Act

# Verbs a question may ask about, by kind (stems, as a question writes them): a sentence counts
# when its party does the same kind, by the verb's lemma.
_KINDS = (
    "propos|offer|suggest|ask|want|demand|insist|call|urge|plan|seek|sought|put",
    "say|said|tell|told|announc|claim|warn",
    "reject|refus|turn|dismiss",
    "agree|accept",
)
_LEMMAS = (
    frozenset(
        words("propose offer suggest ask want demand insist urge plan seek request")
        + words("call_for call_on put_forward")
    ),
    frozenset(words("say tell announce claim warn state add declare insist")),
    frozenset(words("reject refuse dismiss turn_down")),
    frozenset(words("agree accept")),
)
_VERBS = "|".join(_KINDS)
_ASKED = re.compile(
    r"(?i:\bwhat\s+(?:did|does|do|has|have|had|will|would|is|was|are|were)\s+)"
    r"(?:the\s+)?(?P<party>[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*)*?)(?:['’]s\s+\w+)?"
    r"(?:\s+(?i:still|now|first|also|really|then|actually))?"
    rf"\s+(?i:(?P<verb>{_VERBS})\w*)\b"
)
# Measured on the news-over-time set (README, "News over time"): 0.3 and 0.6 left "What did
# Ukraine propose?" citing Russia's memorandum first; 1.0 fixed it and broke no other question.
PARTY_BONUS = 1.0


def party_asked(question: str) -> tuple[str, int] | None:
    """The party whose action the question asks about and the kind of verb (an index into
    the kinds), or None."""
    match = _ASKED.search(question)
    if match is None:
        return None
    verb = match.group("verb").lower()
    kind = next(n for n, k in enumerate(_KINDS) if re.fullmatch(k, verb))
    return match.group("party"), kind


def acts_for(acts: Sequence[Act], party: str, kind: int = 0) -> bool:
    """Whether someone of the party acts with a verb of this kind in a sentence's acts."""
    key = fold(party)
    belongs = PARTIES.party_of(key) or party
    lemmas = _LEMMAS[kind]
    for act in acts:
        if act.lemma.replace(" ", "_") not in lemmas:
            continue
        if (
            act.party == belongs
            or act.actor == key
            or (" " not in key and surname(act.actor) == key)
        ):
            return True
    return False


def prefer_party(
    question: str, candidates: Sequence[Candidate], bonus: float = PARTY_BONUS
) -> list[Candidate]:
    """Candidates re-scored: those whose sentence has the asked party acting gain `bonus`."""
    asked = party_asked(question)
    if asked is None or bonus == 0:
        return list(candidates)
    party, kind = asked
    scored = [
        replace(c, score=c.score + bonus) if acts_for(c.stored.acts, party, kind) else c
        for c in candidates
    ]
    return sorted(scored, key=lambda c: c.score, reverse=True)
