"""Terms: stemmed words without stop words, the same in the index and in a question."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from retrieval.language.terms import terms


def test_terms_are_stems_without_stop_words() -> None:
    assert terms("What did the Russians propose at the talks?") == ["russian", "propos", "talk"]


def test_terms_from_many_threads_at_once_are_those_of_one_thread() -> None:
    """PyStemmer's Stemmer is not safe to share between threads (its C object keeps the word
    being stemmed): each thread needs its own."""
    texts = [
        " ".join(f"negotiating proposals {n} ceasefires withdrawals" for n in range(300)),
        " ".join(f"agreements exchanged {n} prisoners returning" for n in range(300)),
    ]
    alone = [terms(t) for t in texts]
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda n: (n % 2, terms(texts[n % 2])), range(120)))
    wrong = [n for n, found in results if found != alone[n]]
    assert not wrong, f"{len(wrong)} of {len(results)} differ from the same call alone"
