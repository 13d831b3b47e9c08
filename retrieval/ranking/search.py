"""Hybrid search: dense sentence and chunk neighbours from Chroma plus the catalogue's lexical
matches, fused per sentence. Each question touches only its candidates; nothing is loaded whole.

A sentence's score = its own cosine to the question (for a sentence that leans on the one
    before, the lower of that and the two sentences' cosine together)
  + w_context x the best cosine of a chunk that encloses it (title-prefixed, so it carries the
    briefing's topic)
  + w_lexical x its BM25 score (title and sentence) divided by the best BM25 among candidates
  + w_coverage x the IDF-weighted share of the question's words found in its briefing
  + w_overlap x the share of the question's words found in the sentence or its briefing's title.
Words are stemmed, without stop words.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

import numpy as np

from retrieval.index.catalogue import StoredSentence, day_number
from retrieval.index.store import BriefingStore
from retrieval.language.antecedents import leans_on_previous
from retrieval.language.names import PARTIES
from retrieval.language.terms import bm25, terms, topic_terms
from retrieval.ranking.coverage import TermCoverage, english_rarity
from retrieval.ranking.vector_cache import VectorCache
from retrieval.types import BriefingRecord

log = logging.getLogger(__name__)

# Vectors kept between questions (ranking/vector_cache.py): about 1.6 kB each at 384
# dimensions, so 13 MB and 6.5 MB at most.
SENTENCE_VECTORS_KEPT = 8_192
CHUNK_VECTORS_KEPT = 4_096


@dataclass(frozen=True)
class SearchWeights:
    """How the signals are fused, and how many candidates each contributes."""

    # Chosen by grid search on squad-v1.1 (1,500 sampled questions, not those `make eval` asks),
    # in the middle of a plateau; checked on squad-offtopic's corpus. docs/quality.md.
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
    # The same statement in other briefings of its story, set when answers are chosen.
    also: tuple[Candidate, ...] = ()
    # The sentence before, when this one leans on it ("They seized the plant"): judged with
    # it and quoted with it as context (language/antecedents.py).
    leans_on: StoredSentence | None = None


SentenceKey = tuple[str, int]  # (briefing id, sentence index)


@dataclass(frozen=True)
class Gathered:
    """The gather step's result: candidate sentences by key, and the row ids of those found
    by their own vectors (the others' are looked up when scoring)."""

    sentences: dict[SentenceKey, StoredSentence]
    dense_rows: dict[SentenceKey, str]
    query_terms: list[str]


class HybridSearcher:
    """Finds the sentences most likely to answer a question; thread-safe. It keeps nothing
    but the stored vectors it has read (which never change: ranking/vector_cache.py)."""

    def __init__(
        self,
        store: BriefingStore,
        weights: SearchWeights | None = None,
        *,
        quote_furniture: bool = False,
        vectors_kept: tuple[int, int] = (SENTENCE_VECTORS_KEPT, CHUNK_VECTORS_KEPT),
    ) -> None:
        self.store = store
        self.weights = weights or SearchWeights()
        # Page furniture is context, never a candidate; True only to measure the difference.
        self.quote_furniture = quote_furniture
        self._sentence_vectors = VectorCache(store.sentence_vectors, vectors_kept[0])
        self._chunk_vectors = VectorCache(store.chunk_vectors, vectors_kept[1])

    def search(
        self,
        question: str,
        *,
        as_of: date | None = None,
        since: date | None = None,
        limit: int = 20,
    ) -> list[Candidate]:
        """Candidates for question, best first; briefings published after `as_of`, or before
        `since` (and undated ones then), are unknown."""
        query = self.store.embeddings.encode_query([question])[0]
        found = self.gather(query, terms(question), as_of=as_of, since=since)
        if not found.sentences:
            return []
        candidates = self.score(question, query, found, as_of=as_of, since=since)
        candidates.sort(key=lambda c: c.score, reverse=True)
        return candidates[:limit]

    def gather(
        self,
        query: np.ndarray,
        query_terms: list[str],
        *,
        as_of: date | None = None,
        since: date | None = None,
    ) -> Gathered:
        """The candidate sentences: dense sentence neighbours, the members of the nearest
        chunks and the lexical index's matches, each read once from the catalogue."""
        w, store, catalogue = self.weights, self.store, self.store.catalogue
        found: dict[SentenceKey, StoredSentence | None] = {}
        dense_rows: dict[SentenceKey, str] = {}
        # Both neighbour searches name their rows by id alone, and the chunks' members come in
        # one read: Chroma's metadata and a read per chunk cost more than the searches.
        sentences, chunks = store.nearest_rows(query, w.dense_k, w.chunk_k, as_of, since)
        for bid, index, rid in sentences:
            found[(bid, index)] = None
            dense_rows[(bid, index)] = rid
        members = catalogue.chunk_sentences([(bid, n) for bid, n, _ in chunks])
        for bid, n, _ in chunks:
            for stored in members[(bid, n)]:
                found[(bid, stored.sentence.index)] = stored
        max_day = day_number(as_of) if as_of is not None else None
        min_day = day_number(since) if since is not None else None
        for stored in catalogue.lexical_candidates(query_terms, w.lexical_k, max_day, min_day):
            found[(stored.sentence.briefing_id, stored.sentence.index)] = stored
        missing = [key for key, stored in found.items() if stored is None]
        known = {key: stored for key, stored in found.items() if stored is not None}
        known.update(catalogue.sentences(missing))
        return Gathered(known, dense_rows, query_terms)

    def score(
        self,
        question: str,
        query: np.ndarray,
        found: Gathered,
        *,
        as_of: date | None = None,
        since: date | None = None,
    ) -> list[Candidate]:
        """Each gathered sentence scored by the formula at the top of this module (unsorted);
        sentences removed or replaced since they were gathered, or outside the period, drop."""
        w, store, catalogue = self.weights, self.store, self.store.catalogue
        known, query_terms = found.sentences, found.query_terms
        records = catalogue.records_of(sorted({bid for bid, _ in known}))
        # A sentence that leans on the one before is judged with it (language/antecedents.py):
        # its score takes the lower of its own cosine and that of both together, so a sentence
        # about another plant than the question's drops, and none rises on its neighbour's
        # words. Relevance (abstention) keeps its own cosine.
        leaning = {
            key: (key[0], key[1] - 1)
            for key, stored in known.items()
            if key[1] > 0 and leans_on_previous(stored.sentence.text)
        }
        before = {k: known[k] for k in leaning.values() if k in known}
        before.update(catalogue.sentences([k for k in leaning.values() if k not in known]))
        before = {k: s for k, s in before.items() if not s.sentence.furniture}
        chunk_keys = sorted({(bid, n) for (bid, _), s in known.items() for n in s.chunks})
        # The rows of the candidates, the sentences before them and their chunks, from one
        # read of the live writes; the dense neighbours' rows came with them.
        sentence_rows, chunk_rows = store.row_ids(
            [k for k in (*known, *before) if k not in found.dense_rows], chunk_keys
        )
        rows = {**sentence_rows, **found.dense_rows}
        vectors = self._sentence_vectors.get([rows[k] for k in (*known, *before) if k in rows])
        chunk_cos = self._chunk_cosines(chunk_rows, query)

        asked = topic_terms(question)
        stats = catalogue.statistics(query_terms + list(asked))
        coverage = TermCoverage(stats.briefing_frequency, stats.briefings, rarity=english_rarity)
        term_weights = coverage.weights(asked)
        wanted = frozenset(term_weights)
        # A party the question names is held by a briefing that writes another of its names
        # ("the U.S." for "United States", "Russia" for "Moscow"): language/names.py.
        kin = {t: k for t, k in PARTIES.kin(question).items() if t in wanted}
        also = frozenset(k for names in kin.values() for k in names)
        holding = catalogue.briefings_holding(list(wanted | also), list(records))
        lexical = {
            key: bm25(
                query_terms,
                stored.terms,
                stats.sentence_frequency,
                stats.sentences,
                stats.average_length,
            )
            for key, stored in known.items()
        }
        best_lexical = max(lexical.values(), default=0.0)

        candidates = []
        for key, stored in known.items():
            record = records.get(key[0])
            vector = vectors.get(rows.get(key, ""))
            if record is None or vector is None:
                continue  # removed or replaced since it was found
            if stored.sentence.furniture and not self.quote_furniture:
                continue  # a heading, caption or promo line: context, never an answer
            if as_of is not None and record.published is not None and record.published > as_of:
                continue
            if since is not None and (record.published is None or record.published < since):
                continue
            antecedent = leaning.get(key)
            prior = before.get(antecedent) if antecedent is not None else None
            prior_vector = vectors.get(rows.get(antecedent, "")) if antecedent else None
            dense = float(vector @ query)
            judged = dense  # with the sentence it leans on, if any: what the score adds
            if prior is not None and prior_vector is not None:
                joint = vector + prior_vector
                together = float(joint @ query) / max(float(np.linalg.norm(joint)), 1e-9)
                judged = min(dense, together)
            else:
                prior = None
            context = max(
                (chunk_cos[(key[0], n)] for n in stored.chunks if (key[0], n) in chunk_cos),
                default=dense,
            )
            relative = lexical[key] / best_lexical if best_lexical > 0 else 0.0
            held = _with_kin(holding.get(key[0], set()), kin)
            covered = coverage.share(term_weights, held)
            written = _with_kin(set(stored.terms), kin) & wanted
            overlap = len(written) / len(wanted) if wanted else 0.0
            score = (
                judged
                + w.context * context
                + w.lexical * relative
                + w.coverage * covered
                + w.overlap * overlap
            )
            candidates.append(
                Candidate(
                    stored,
                    record,
                    score,
                    dense,
                    context,
                    relative,
                    vector,
                    covered,
                    overlap,
                    leans_on=prior,
                )
            )
        return candidates

    def _chunk_cosines(
        self, chunk_rows: dict[tuple[str, int], str], query: np.ndarray
    ) -> dict[tuple[str, int], float]:
        vectors = self._chunk_vectors.get(list(chunk_rows.values()))
        return {
            key: float(vectors[rid] @ query) for key, rid in chunk_rows.items() if rid in vectors
        }

    def dense_only(
        self, question: str, *, k: int = 3, as_of: date | None = None
    ) -> list[Candidate]:
        """The plain baseline: sentences embedded alone, top k by cosine, nothing else."""
        store = self.store
        query = store.embeddings.encode_query([question])[0]
        hits = store.nearest_sentences(query, 2 * k, as_of)  # a few may be replaced meanwhile
        known = store.catalogue.sentences([(bid, index) for bid, index, _ in hits])
        records = store.catalogue.records_of([bid for bid, _, _ in hits])
        vectors = store.sentence_vectors([rid for _, _, rid in hits])
        ranked = []
        for bid, index, rid in hits:
            stored, record, vector = known.get((bid, index)), records.get(bid), vectors.get(rid)
            if stored is None or record is None or vector is None:
                continue
            dense = float(vector @ query)
            ranked.append(Candidate(stored, record, dense, dense, dense, 0.0, vector))
        ranked.sort(key=lambda c: c.score, reverse=True)
        return ranked[:k]


def _with_kin(held: set[str], kin: dict[str, frozenset[str]]) -> set[str]:
    """Terms held, and the question's party terms whose party another held term names."""
    return held | {term for term, names in kin.items() if names & held} if kin else held
