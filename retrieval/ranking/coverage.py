"""How much of a question's vocabulary a briefing contains, weighted by rarity (IDF).

A question about something the briefings never covered usually names it ("train service in
Fresno"): its rare words are missing from every briefing. Cosine similarity alone misses that
when the rest of the question sounds familiar, so the abstention rule uses both.

A word no briefing has weighs by how rare it is in general English: missing "Fresno" or
"Medinsky" means the briefings do not cover the question, missing "happened", "say" or "next"
means nothing (they are how people ask, or another form of a word the briefings have: "said").
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Set

# Zipf frequencies (log10 of uses per billion words, wordfreq's scale): at or above EVERYDAY a
# word is everyday English ("say" 5.9, "next" 5.7); at or below RARE it is as specific as
# "Istanbul" (3.7) or "Fresno" (3.4). A missing word's weight grows linearly in between.
EVERYDAY_ZIPF = 5.5
RARE_ZIPF = 3.5


def english_rarity(word: str) -> float:
    """How rare word is in general English: 0 for everyday words, 1 for rare or unknown ones.

    From wordfreq's frequency lists, which ship inside the package (nothing is downloaded).
    """
    from wordfreq import zipf_frequency

    zipf = zipf_frequency(word, "en")
    return min(1.0, max(0.0, (EVERYDAY_ZIPF - zipf) / (EVERYDAY_ZIPF - RARE_ZIPF)))


class TermCoverage:
    """IDF weights of a question's terms from document frequencies over briefings, and the
    weighted share of them a briefing holds."""

    def __init__(
        self,
        frequencies: Mapping[str, int],
        briefings: int,
        rarity: Callable[[str], float] | None = None,
    ) -> None:
        self._rarity = rarity
        self.size = max(1, briefings)
        self._idf = {t: math.log(1 + self.size / c) for t, c in frequencies.items() if c > 0}
        # A term no briefing has weighs as if half a briefing had it: rarer than anything seen.
        self._unseen = math.log(1 + self.size / 0.5)

    def weights(self, terms: Mapping[str, str]) -> dict[str, float]:
        """Weight of each question term (mapped to the word it came from): its IDF, or for a
        term no briefing has, the unseen weight scaled by the word's rarity in English."""
        return {
            term: self._idf[term] if term in self._idf else self._unseen_weight(word)
            for term, word in terms.items()
        }

    def _unseen_weight(self, word: str) -> float:
        return self._unseen * (self._rarity(word) if self._rarity is not None else 1.0)

    @staticmethod
    def share(weights: Mapping[str, float], held: Set[str]) -> float:
        """Share (0-1) of the question's term weight among the terms a briefing holds; 1 with
        no terms."""
        total = sum(weights.values())
        if total == 0:
            return 1.0
        return sum(w for t, w in weights.items() if t in held) / total
