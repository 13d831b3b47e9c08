"""BM25 over the stored sentences (bm25s), rebuilt in memory whenever the corpus changes."""

from __future__ import annotations

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
