"""Words as the lexical index and the coverage rule see them, and BM25 over candidates.

A text's terms: lower-cased words of two or more letters (the pattern scikit-learn and bm25s
use), English stop words and question words dropped, Snowball-stemmed (PyStemmer). The same
terms go into the on-disk index (retrieval/index/catalogue.py) and come out of a question, so a term
matches exactly what was indexed.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Iterable, Mapping, Sequence

# NLTK's English stop word list (179 words, with contractions): it includes the question words
# (what, who, did) that carry no topic.
# fmt: off
STOP_WORDS = frozenset(
    (
        "a", "about", "above", "after", "again", "against", "ain", "all", "am", "an", "and",
        "any", "are", "aren", "aren't", "as", "at", "be", "because", "been", "before", "being",
        "below", "between", "both", "but", "by", "can", "couldn", "couldn't", "d", "did", "didn",
        "didn't", "do", "does", "doesn", "doesn't", "doing", "don", "don't", "down", "during",
        "each", "few", "for", "from", "further", "had", "hadn", "hadn't", "has", "hasn", "hasn't",
        "have", "haven", "haven't", "having", "he", "her", "here", "hers", "herself", "him",
        "himself", "his", "how", "i", "if", "in", "into", "is", "isn", "isn't", "it", "it's",
        "its", "itself", "just", "ll", "m", "ma", "me", "mightn", "mightn't", "more", "most",
        "mustn", "mustn't", "my", "myself", "needn", "needn't", "no", "nor", "not", "now", "o",
        "of", "off", "on", "once", "only", "or", "other", "our", "ours", "ourselves", "out",
        "over", "own", "re", "s", "same", "shan", "shan't", "she", "she's", "should", "should've",
        "shouldn", "shouldn't", "so", "some", "such", "t", "than", "that", "that'll", "the",
        "their", "theirs", "them", "themselves", "then", "there", "these", "they", "this",
        "those", "through", "to", "too", "under", "until", "up", "ve", "very", "was", "wasn",
        "wasn't", "we", "were", "weren", "weren't", "what", "when", "where", "which", "while",
        "who", "whom", "why", "will", "with", "won", "won't", "wouldn", "wouldn't", "y", "you",
        "you'd", "you'll", "you're", "you've", "your", "yours", "yourself", "yourselves",
    )
)
# fmt: on
_WORD = re.compile(r"(?u)\b\w\w+\b")
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
# BM25 as Lucene scores it (bm25s's defaults, which the ranking weights were fitted with).
BM25_K1 = 1.5
BM25_B = 0.75


_local = threading.local()


def _stemmer():  # type: ignore[no-untyped-def]
    """This thread's Snowball stemmer: PyStemmer's "has internal state, so must not be called
    concurrently" (its documentation), and questions and ingests run in several threads."""
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        import Stemmer

        stemmer = _local.stemmer = Stemmer.Stemmer("english")
    return stemmer


def words(text: str) -> list[str]:
    """The text's words (lower-cased, two letters or more) that are not stop words."""
    return [w for w in _WORD.findall(text.lower()) if w not in STOP_WORDS]


def terms(text: str) -> list[str]:
    """The text's terms, in order, repeats kept."""
    found = words(text)
    return list(_stemmer().stemWords(found)) if found else []


def tokenize(texts: Sequence[str]) -> list[list[str]]:
    """terms() of each text."""
    return [terms(t) for t in texts]


def topic_terms(text: str) -> dict[str, str]:
    """The text's terms but for time words, each mapped to a word it came from."""
    found = words(text)
    stems = _stemmer().stemWords(found) if found else []
    surface: dict[str, str] = {}
    for stem, word in zip(stems, found, strict=True):
        surface.setdefault(stem, word)
    return {stem: word for stem, word in surface.items() if word not in TIME_WORDS}


def bm25(
    query: Iterable[str],
    document: Sequence[str],
    frequencies: Mapping[str, int],
    documents: int,
    average_length: float,
) -> float:
    """BM25 of one document (its terms) for the query terms, given each term's document
    frequency over `documents` documents of `average_length` terms."""
    if not document or documents <= 0:
        return 0.0
    counts: dict[str, int] = {}
    for term in document:
        counts[term] = counts.get(term, 0) + 1
    norm = BM25_K1 * (1 - BM25_B + BM25_B * len(document) / max(average_length, 1e-9))
    score = 0.0
    for term in set(query):
        tf = counts.get(term, 0)
        if not tf:
            continue
        df = frequencies.get(term, 0)
        idf = math.log(1 + (documents - df + 0.5) / (df + 0.5))
        score += idf * tf * (BM25_K1 + 1) / (tf + norm)
    return score
