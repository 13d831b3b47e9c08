"""Hybrid search: dense sentence and chunk neighbours from Chroma plus BM25, fused per sentence.

A sentence's score = its own cosine to the question
  + w_context x the best cosine of a chunk that encloses it (title-prefixed, so it carries the
    briefing's topic)
  + w_lexical x its BM25 score (title and sentence) divided by the best BM25 score for the question
  + w_coverage x the IDF-weighted share of the question's words found in its briefing
  + w_overlap x the share of the question's words found in the sentence or its briefing's title.
Words are stemmed, without stop words.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import date

import numpy as np

from retrieval.coverage import TermCoverage, english_rarity
from retrieval.lexical import LexicalIndex, tokenize, topic_terms
from retrieval.store import BriefingStore, Corpus, StoredSentence
from retrieval.types import BriefingRecord

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SearchWeights:
    """How the three signals are fused, and how many candidates each contributes."""

    # Chosen by grid search on squad-v1.1 (1,500 sampled questions, not those `make eval` asks),
    # in the middle of a plateau; checked on squad-offtopic's corpus. README "Answer quality".
    context: float = 2.0
    lexical: float = 0.2
    coverage: float = 1.0
    overlap: float = 0.75
    dense_k: int = 40
    chunk_k: int = 12
    lexical_k: int = 40


@dataclass(frozen=True)
class Candidate:
    """A scored sentence with the evidence behind its score."""

    stored: StoredSentence
    record: BriefingRecord
    score: float
    dense: float
    context: float
    lexical: float
    vector: np.ndarray
    coverage: float = 1.0  # IDF-weighted share of the question's terms in this briefing
    overlap: float = 0.0  # share of the question's terms in this sentence or its title


class _Snapshot:
    def __init__(self, corpus: Corpus, generation: int) -> None:
        self.corpus = corpus
        self.generation = generation
        self.checked = time.monotonic()
        # The title is indexed with each sentence: questions name the topic, sentences rarely.
        self.lexical = LexicalIndex(
            [
                f"{corpus.records[s.sentence.briefing_id].title} {s.sentence.text}"
                for s in corpus.sentences
            ]
        )
        self.term_sets = [frozenset(tokens) for tokens in self.lexical.tokens]
        self.chunk_members: dict[str, list[int]] = {}
        terms: dict[str, set[str]] = {
            r.id: set(tokenize([r.title])[0]) for r in corpus.records.values()
        }
        for i, stored in enumerate(corpus.sentences):
            for chunk_row in stored.chunk_row_ids:
                self.chunk_members.setdefault(chunk_row, []).append(i)
            terms[stored.sentence.briefing_id].update(self.lexical.tokens[i])
        self.coverage = TermCoverage(
            {b: frozenset(t) for b, t in terms.items()}, rarity=english_rarity
        )


class HybridSearcher:
    """Finds the sentences most likely to answer a question; thread-safe."""

    def __init__(
        self,
        store: BriefingStore,
        weights: SearchWeights | None = None,
        recheck_seconds: float = 1.0,
    ) -> None:
        self.store = store
        self.weights = weights or SearchWeights()
        # Writes through this process's store are seen at once; other processes' writes (a
        # shared Chroma server) within recheck_seconds. Reading the registry on every question
        # cost about 40% of a question's time on a 1,000-briefing corpus.
        self.recheck_seconds = recheck_seconds
        self._snapshot: _Snapshot | None = None
        self._lock = threading.Lock()

    def snapshot(self) -> _Snapshot:
        """The in-memory view of the corpus, reloaded when the store changed."""
        with self._lock:
            snap = self._snapshot
            generation = self.store.generation
            if (
                snap is not None
                and snap.generation == generation
                and time.monotonic() - snap.checked < self.recheck_seconds
            ):
                return snap
            key = self.store.corpus_key()
            if snap is None or snap.corpus.key != key:
                corpus = self.store.load_corpus()
                snap = self._snapshot = _Snapshot(corpus, generation)
                log.info("corpus loaded: %d sentences", len(corpus.sentences))
            else:
                snap.generation = generation
                snap.checked = time.monotonic()
            return snap

    def search(
        self, question: str, *, as_of: date | None = None, limit: int = 20
    ) -> list[Candidate]:
        """Candidates for question, best first; briefings published after as_of are unknown."""
        snap = self.snapshot()
        corpus = snap.corpus
        if not corpus.sentences:
            return []
        w = self.weights
        query = self.store.embeddings.encode([question])[0]

        picked: set[int] = set()
        for row in self.store.nearest_sentences(query, w.dense_k):
            if row in corpus.by_row:
                picked.add(corpus.by_row[row])
        for row in self.store.nearest_chunks(query, w.chunk_k):
            picked.update(snap.chunk_members.get(row, ()))
        bm25 = snap.lexical.scores(question)
        term_weights = snap.coverage.weights(topic_terms(question))
        terms = frozenset(term_weights)
        best_bm25 = float(bm25.max()) if bm25.size else 0.0
        if best_bm25 > 0:
            top = np.argsort(-bm25)[: w.lexical_k]
            picked.update(int(i) for i in top if bm25[i] > 0)

        allowed = [i for i in picked if _known(corpus.records[_bid(corpus, i)], as_of)]
        if not allowed:
            return []
        rows = [corpus.sentences[i] for i in allowed]
        vectors = self.store.sentence_vectors([s.row_id for s in rows])
        chunk_rows = sorted({c for s in rows for c in s.chunk_row_ids})
        chunk_cos = {r: float(v @ query) for r, v in self.store.chunk_vectors(chunk_rows).items()}

        found = []
        for i, stored in zip(allowed, rows, strict=True):
            vector = vectors.get(stored.row_id)
            if vector is None:
                continue
            dense = float(vector @ query)
            context = max((chunk_cos.get(c, -1.0) for c in stored.chunk_row_ids), default=dense)
            lexical = float(bm25[i] / best_bm25) if best_bm25 > 0 else 0.0
            record = corpus.records[stored.sentence.briefing_id]
            coverage = snap.coverage.coverage(term_weights, record.id)
            overlap = len(snap.term_sets[i] & terms) / len(terms) if terms else 0.0
            score = (
                dense
                + w.context * context
                + w.lexical * lexical
                + w.coverage * coverage
                + w.overlap * overlap
            )
            found.append(
                Candidate(stored, record, score, dense, context, lexical, vector, coverage, overlap)
            )
        found.sort(key=lambda c: c.score, reverse=True)
        return found[:limit]

    def dense_only(
        self, question: str, *, k: int = 3, as_of: date | None = None
    ) -> list[Candidate]:
        """The plain baseline: sentences embedded alone, top k by cosine, nothing else."""
        snap = self.snapshot()
        corpus = snap.corpus
        query = self.store.embeddings.encode([question])[0]
        found = []
        for row in self.store.nearest_sentences(query, k * 4):
            i = corpus.by_row.get(row)
            if i is None:
                continue
            stored = corpus.sentences[i]
            record = corpus.records[stored.sentence.briefing_id]
            if _known(record, as_of):
                found.append((i, stored, record))
        vectors = self.store.sentence_vectors([s.row_id for _, s, _ in found])
        ranked = []
        for _, stored, record in found:
            vector = vectors[stored.row_id]
            dense = float(vector @ query)
            ranked.append(Candidate(stored, record, dense, dense, dense, 0.0, vector))
        ranked.sort(key=lambda c: c.score, reverse=True)
        return ranked[:k]


def _bid(corpus: Corpus, i: int) -> str:
    return corpus.sentences[i].sentence.briefing_id


def _known(record: BriefingRecord, as_of: date | None) -> bool:
    return as_of is None or record.published is None or record.published <= as_of
