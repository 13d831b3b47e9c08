"""How much of a question's vocabulary a briefing contains, weighted by rarity (IDF).

A question about something the briefings never covered usually names it ("train service in
Fresno"): its rare words are missing from every briefing. Cosine similarity alone misses that
when the rest of the question sounds familiar, so the abstention rule uses both.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping


class TermCoverage:
    """Document frequencies of terms over briefings, and IDF-weighted coverage of questions."""

    def __init__(self, briefing_terms: Mapping[str, frozenset[str]]) -> None:
        self.briefing_terms = briefing_terms
        self.size = max(1, len(briefing_terms))
        counts: Counter[str] = Counter()
        for terms in briefing_terms.values():
            counts.update(terms)
        self._idf = {t: math.log(1 + self.size / c) for t, c in counts.items()}
        # A term no briefing has weighs as if half a briefing had it: rarer than anything seen.
        self._unseen = math.log(1 + self.size / 0.5)

    def weights(self, terms: Iterable[str]) -> dict[str, float]:
        """IDF weight of each distinct question term."""
        return {t: self._idf.get(t, self._unseen) for t in set(terms)}

    def coverage(self, weights: Mapping[str, float], briefing_id: str) -> float:
        """Share (0-1) of the question's term weight found in the briefing; 1 with no terms."""
        total = sum(weights.values())
        if total == 0:
            return 1.0
        have = self.briefing_terms.get(briefing_id, frozenset())
        return sum(w for t, w in weights.items() if t in have) / total
