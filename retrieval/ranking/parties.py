"""The party a question asks about ("What did Russia propose?") and the sentences where that
party is the one acting ("Moscow proposed…"), not the one acted on ("Ukraine rejected the
Russian proposal").

Rules over the question and each candidate sentence, no model: the party is the capitalised
name between "what did/does/has…" and a verb of saying or proposing; a sentence speaks for it
when one of the party's names stands in the few words before that sentence's first such verb.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from retrieval.ranking.search import Candidate

# Verbs a question may ask about, by kind: a sentence counts when its party does the same kind.
_KINDS = (
    "propos|offer|suggest|ask|want|demand|insist|call|urge|plan|seek|sought",
    "say|said|tell|told|announc|claim",
    "reject|refus|turn",
    "agree|accept",
)
_VERBS = "|".join(_KINDS)
_ASKED = re.compile(
    r"(?i:\bwhat\s+(?:did|does|do|has|have|had|will|would|is|was|are|were)\s+)"
    r"(?:the\s+)?(?P<party>[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*)*?)(?:['’]s\s+\w+)?"
    r"(?:\s+(?i:still|now|first|also|really|then|actually))?"
    rf"\s+(?i:(?P<verb>{_VERBS})\w*)\b"
)
_BEFORE_VERB = 60  # characters before the verb in which the actor is looked for
# Other names of the parties the first users follow; any other party is known by its own name.
_ALSO_KNOWN_AS = {
    "russia": ("russian", "moscow", "kremlin"),
    "ukraine": ("ukrainian", "kyiv", "kiev", "zelensky"),
    "united states": ("american", "washington", "u.s."),
    "turkey": ("turkish", "ankara", "türkiye"),
}
# Measured on the news-over-time set (README, "News over time"): 0.3 and 0.6 left "What did
# Ukraine propose?" citing Russia's memorandum first; 1.0 fixed it and broke no other question.
PARTY_BONUS = 1.0


def party_asked(question: str) -> tuple[str, str] | None:
    """The party whose action the question asks about and the kind of verb (a regex of
    stems), or None."""
    match = _ASKED.search(question)
    if match is None:
        return None
    verb = match.group("verb").lower()
    kind = next(k for k in _KINDS if re.fullmatch(k, verb))
    return match.group("party"), kind


def names_of(party: str) -> tuple[str, ...]:
    """Lower-case names a sentence may use for the party."""
    key = party.lower().removeprefix("the ")
    names = {key, key + "n", key + "ian", key.split()[-1]}
    return tuple(sorted(names | set(_ALSO_KNOWN_AS.get(key, ()))))


def acts_for(sentence: str, names: Sequence[str], kind: str = _KINDS[0]) -> bool:
    """Whether one of the names stands just before a verb of this kind in the sentence."""
    for verb in re.finditer(rf"\b(?:{kind})\w*\b", sentence, re.I):
        before = sentence[max(0, verb.start() - _BEFORE_VERB) : verb.start()].lower()
        last_clause = re.split(r"[,;:“”\"]|\bbut\b|\bwhile\b", before)[-1]
        if any(re.search(rf"\b{re.escape(name)}\b", last_clause) for name in names):
            return True
    return False


def prefer_party(
    question: str, candidates: Sequence[Candidate], bonus: float = PARTY_BONUS
) -> list[Candidate]:
    """Candidates re-scored: those whose sentence has the asked party acting gain `bonus`."""
    asked = party_asked(question)
    if asked is None or bonus == 0:
        return list(candidates)
    names, kind = names_of(asked[0]), asked[1]
    scored = [
        replace(c, score=c.score + bonus) if acts_for(c.stored.sentence.text, names, kind) else c
        for c in candidates
    ]
    return sorted(scored, key=lambda c: c.score, reverse=True)
