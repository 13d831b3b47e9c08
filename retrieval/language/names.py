"""Names as keys: one spelling for "Zelensky", "Zelenskyy" and "Zelenskiy", titles that are not
names, and the small table of who belongs to which party (parties.json).

    fold("Erdoğan") == fold("Erdogan") == "erdogan"
    fold("Volodymyr Zelenskyy") == "volodymyr zelensky"; fold("U.S.") == "us"
    without_titles("President Volodymyr Zelensky") == "Volodymyr Zelensky"
    PARTIES.party_of("moscow") == PARTIES.party_of("lavrov") == "Russia"
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from retrieval.language.terms import terms


def words(text: str) -> list[str]:
    """The words of a word list written as text (the lists in these modules)."""
    return text.split()


_TABLE = Path(__file__).resolve().parent / "parties.json"
# Transliterations of one Slavic ending: Zelenskyy, Zelenskiy, Zelenskii -> zelensky.
_ENDING = re.compile(r"(?:yy|iy|ii|yi)$")
_NOT_WORD = re.compile(r"[^\w\s]")
# Words that open a name without being part of it ("Secretary of State Antony Blinken").
TITLES = frozenset(
    words(
        """
        president vice prime minister foreign defence defense deputy secretary state spokesman
        spokeswoman spokesperson chancellor general gen sen senator rep representative mr mrs ms
        dr ambassador envoy negotiator adviser advisor aide chief head leader mayor governor
        king queen pope lt col colonel commander admiral sir lord lady special presidential top
        senior former acting interior economy finance affairs national security council ministry
        supervisor superintendent director manager chairman chairwoman chair executive
        congressman congresswoman mp professor prof
        """
    )
)


def fold(name: str) -> str:
    """A name as a key: accents, case and punctuation gone, one Slavic ending, no "the"."""
    decomposed = unicodedata.normalize("NFKD", name.replace("’", "'"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    plain = re.sub(r"'s\b", "", plain)
    words = _NOT_WORD.sub("", plain).split()
    if words and words[0] == "the":
        words = words[1:]
    return " ".join(_ENDING.sub("y", w) if len(w) > 4 else w for w in words)


def surname(key: str) -> str:
    """The last word of a folded person's name."""
    return key.rsplit(" ", 1)[-1]


def without_titles(name: str) -> str:
    """A person's name without the titles and roles written before it."""
    words = name.split()
    while len(words) > 1 and (fold(words[0]) in TITLES or words[0].lower() in ("of", "the")):
        words = words[1:]
    return " ".join(words)


@dataclass(frozen=True)
class Parties:
    """Which party a folded name belongs to: the party's own names, its members, and a
    member's surname alone."""

    by_name: dict[str, str]
    members: frozenset[str]  # folded names and surnames of the people listed
    one_word: dict[str, frozenset[str]]  # a party's one-word names, as index terms

    @classmethod
    def load(cls, path: Path = _TABLE) -> Parties:
        table = json.loads(path.read_text(encoding="utf-8"))["parties"]
        by_name: dict[str, str] = {}
        members: set[str] = set()
        one_word: dict[str, frozenset[str]] = {}
        for party, entry in table.items():
            by_name[fold(party)] = party
            single = [n for n in [party, *entry["names"]] if len(terms(n)) == 1]
            one_word[party] = frozenset(t for n in single for t in terms(n))
            for name in entry["names"]:
                by_name[fold(name)] = party
            for member in entry["members"]:
                key = fold(member)
                by_name[key] = party
                by_name.setdefault(surname(key), party)
                members |= {key, surname(key)}
        return cls(by_name, frozenset(members), one_word)

    def party_of(self, key: str) -> str:
        """The party a folded name belongs to, or ""."""
        return self.by_name.get(key, "")

    def is_member(self, key: str) -> bool:
        """Whether a folded name is a person the table lists (by full name or surname)."""
        return key in self.members

    def kin(self, question: str) -> dict[str, frozenset[str]]:
        """The question's terms that name a party ("United States", "Moscow"), each with the
        index terms of the party's one-word names ("us", "america", "washington"; "russia",
        "kremlin"): a briefing that writes any of them holds what the question names."""
        tokens = _NAME_WORDS.findall(question)
        found: dict[str, frozenset[str]] = {}
        for size in (3, 2, 1):
            for at in range(len(tokens) - size + 1):
                phrase = " ".join(tokens[at : at + size])
                key = fold(phrase)
                party = self.party_of(key)
                if party and not self.is_member(key):
                    for term in terms(phrase):
                        found.setdefault(term, self.one_word[party])
        return found


_NAME_WORDS = re.compile(r"[A-Z][\w.'’-]*")
PARTIES = Parties.load()
