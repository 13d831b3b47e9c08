"""BM25 over the stored sentences (bm25s), rebuilt in memory whenever the corpus changes."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import bm25s
import numpy as np


@lru_cache(maxsize=1)
def _stemmer():  # type: ignore[no-untyped-def]
    import Stemmer

    return Stemmer.Stemmer("english")


def tokenize(texts: Sequence[str]) -> list[list[str]]:
    """Lower-cased, stemmed word tokens without English stop words or question words."""
    return bm25s.tokenize(
        list(texts),
        stopwords="en_plus",  # includes question words (what, did, who), unlike "en"
        stemmer=_stemmer().stemWords,
        return_ids=False,
        show_progress=False,
    )  # type: ignore[return-value]


_WORD = re.compile(r"(?u)\b\w\w+\b")  # bm25s's own token pattern
# Words that ask when, not what ("the latest on the talks"): the recency rule answers them, and
# a briefing need not contain them to be about the question.
TIME_WORDS = frozenset(
    [
        "latest",
        "newest",
        "recent",
        "recently",
        "now",
        "nowadays",
        "still",
        "currently",
        "current",
        "today",
        "update",
        "updates",
        "updated",
    ]
)


def topic_terms(text: str) -> dict[str, str]:
    """The text's terms (as tokenize makes them) but for time words, each mapped to a word it
    came from."""
    words = _WORD.findall(text.lower())
    surface = dict(zip(_stemmer().stemWords(words), words, strict=True))
    return {
        term: surface.get(term, term)
        for term in tokenize([text])[0]
        if surface.get(term, term) not in TIME_WORDS
    }


class LexicalIndex:
    """Scores every indexed text against a query with BM25."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.size = len(texts)
        self.tokens = tokenize(texts) if texts else []
        self._bm25: bm25s.BM25 | None = None
        if texts:
            self._bm25 = bm25s.BM25()
            self._bm25.index(self.tokens, show_progress=False)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of each text, in index order (all zeros when nothing matches)."""
        if self._bm25 is None:
            return np.zeros(0, dtype=np.float32)
        tokens = tokenize([query])[0]
        if not tokens:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)
