"""The reader's training data: (question, title, sentence, label) pairs from QA sets.

Pairs come from SQuAD-style sets (documents.jsonl + questions.jsonl, see ../shared/eval): a
sentence of the gold paragraph holding a gold answer is a positive; the paragraph's other
sentences, look-alike sentences elsewhere in the article and in other articles are negatives;
every sentence of the paragraph an unanswerable question was written against is a negative
(those questions were written to look answerable: they teach the reader to decline). Articles
are split by title, never by question, so the validation part is never seen in training.
Whether a sentence holds an answer is decided by the eval's own rule (bot/evaluation/metrics.py).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from bot.evaluation.metrics import contains_answer
from retrieval.language.terms import bm25, terms, tokenize

_WORDS = re.compile(r"\w+")

Splitter = Callable[[str], list[tuple[int, int]]]

# Never trained on, and every reported figure is measured on them only: Warsaw and Harvard
# University by the eval README's rule, two more of squad-v2-half's articles (so its look-alike
# unanswerable questions are tested on three articles), and six v1.1-only articles (so
# squad-offtopic's questions about articles outside its corpus have validation ones).
VALIDATION_TITLES = (
    "Warsaw",
    "Harvard University",
    "Huguenot",
    "1973 oil crisis",
    "Teacher",
    "Fresno, California",
    "Black Death",
    "Geology",
    "Sky (United Kingdom)",
)
# Not trained on either: the reader's combination with today's score and its abstention
# threshold are chosen on these (a model scored on its own training questions is overconfident).
TUNE_TITLES = ("Normans", "Victoria (Australia)", "Amazon rainforest")


@dataclass(frozen=True)
class Split:
    """Which articles (document titles) train, tune and validate; the rest train."""

    validation: tuple[str, ...] = VALIDATION_TITLES
    tune: tuple[str, ...] = TUNE_TITLES

    def part(self, title: str) -> str:
        """'validation', 'tune' or 'train' for an article title."""
        if title in self.validation:
            return "validation"
        return "tune" if title in self.tune else "train"


@dataclass(frozen=True)
class Document:
    """A paragraph of an article."""

    id: str
    title: str
    text: str


@dataclass(frozen=True)
class QAItem:
    """A question with its gold paragraph (guessed for unanswerable ones; see read_set)."""

    id: str
    question: str
    answers: tuple[str, ...]
    doc_id: str | None
    answerable: bool


@dataclass(frozen=True)
class QASet:
    """The documents and questions of one set, in file order."""

    name: str
    documents: list[Document]
    questions: list[QAItem]
    sha256: dict[str, str] = field(default_factory=dict)

    def title_of(self, doc_id: str | None) -> str | None:
        """The article title of a paragraph id."""
        return self._titles.get(doc_id) if doc_id else None

    @cached_property
    def _titles(self) -> dict[str, str]:
        return {d.id: d.title for d in self.documents}


@dataclass(frozen=True)
class Pair:
    """One training example: does "title: sentence" answer the question (label 1.0) or not."""

    question: str
    title: str
    sentence: str
    label: float
    kind: str  # positive, or a negative's source: paragraph/article/other/unanswerable/retrieved
    group: str = ""  # the question's id: a question's pairs are ranked against each other
    context: str = ""  # the sentence before, in its paragraph ("" for the first)


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes, recorded so that a training run can be repeated."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def read_set(directory: Path) -> QASet:
    """A QA set; each unanswerable question without a gold paragraph gets a guessed one.

    squad-v2-half lists no paragraph for its unanswerable questions, but keeps SQuAD's order
    (a paragraph's questions follow each other), so the paragraph is the one, between the
    previous and the next answerable question's, that shares the most words with it.
    """
    directory = Path(directory)
    docs_path, questions_path = directory / "documents.jsonl", directory / "questions.jsonl"
    documents = [
        Document(str(r["id"]), str(r.get("title") or ""), str(r["text"])) for r in _jsonl(docs_path)
    ]
    raw = list(_jsonl(questions_path))
    position = {d.id: i for i, d in enumerate(documents)}
    gold = [
        position.get((r.get("gold_doc_ids") or [None])[0], -1)  # type: ignore[arg-type]
        for r in raw
    ]
    words = [set(_WORDS.findall(d.text.lower())) for d in documents]
    questions = []
    for n, r in enumerate(raw):
        doc = gold[n]
        if doc < 0 and not r.get("answerable", True) and not str(r["id"]).startswith("offtopic"):
            before = next((gold[j] for j in range(n - 1, -1, -1) if gold[j] >= 0), 0)
            after = next((gold[j] for j in range(n + 1, len(raw)) if gold[j] >= 0), before)
            asked = set(_WORDS.findall(r["question"].lower()))
            span = range(before, max(before, after) + 1)
            doc = max(span, key=lambda i: (len(asked & words[i]), -i)) if documents else -1
        questions.append(
            QAItem(
                id=str(r["id"]),
                question=str(r["question"]),
                answers=tuple(r.get("answers") or ()),
                doc_id=documents[doc].id if doc >= 0 else None,
                answerable=bool(r.get("answerable", True)),
            )
        )
    hashes = {p.name: file_sha256(p) for p in (docs_path, questions_path)}
    return QASet(directory.name, documents, questions, hashes)


def sample_groups(qa_set: QASet, questions: int, articles_per_group: int, seed: int) -> list[QASet]:
    """A large set cut into sets of a few articles each, with questions sampled by seed.

    questions < 0 keeps them all. Sampling spreads the questions over every article (breadth
    beats epochs); the groups keep each look-alike index small, since BM25 over one index of the
    whole set costs tens of milliseconds a question.
    """
    rng = random.Random(seed)
    kept = list(qa_set.questions)
    if 0 <= questions < len(kept):
        kept = rng.sample(kept, questions)
    titles = sorted({d.title for d in qa_set.documents})
    rng.shuffle(titles)
    groups = []
    for start in range(0, len(titles), max(1, articles_per_group)):
        chosen = set(titles[start : start + max(1, articles_per_group)])
        docs = [d for d in qa_set.documents if d.title in chosen]
        asked = [q for q in kept if qa_set.title_of(q.doc_id) in chosen]
        if asked:
            name = f"{qa_set.name}[{start // max(1, articles_per_group)}]"
            groups.append(QASet(name, docs, asked, qa_set.sha256))
    return groups


def _jsonl(path: Path) -> Iterable[dict[str, Any]]:
    with Path(path).open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


@dataclass(frozen=True)
class PairLimits:
    """How many negatives of each kind one question contributes."""

    paragraph: int = 6  # other sentences of the gold paragraph: the hardest, most useful
    article: int = 3  # look-alike (BM25) sentences from the article's other paragraphs
    other: int = 2  # look-alike sentences from other articles
    unanswerable_extra: int = 2  # look-alikes outside the paragraph, for unanswerable questions
    retrieved: int = 0  # the search's own top candidates (see build_pairs), beyond the above


def build_pairs(
    sets: Sequence[QASet],
    titles: Iterable[str],
    split_sentences: Splitter,
    *,
    seed: int,
    limits: PairLimits | None = None,
    retrieved: Mapping[str, Sequence[tuple[str, str]]] | None = None,
) -> list[Pair]:
    """Training pairs from the questions of the given articles, shuffled with seed.

    split_sentences gives a text's sentence spans the way ingest stores them. A question asked
    in two sets (squad-v2-half repeats most of v1.1's) counts once. retrieved maps a question
    id to the (title, sentence) candidates the search ranked first for it: those without the
    answer become negatives too ("retrieved"), the look-alikes the reader meets in use.
    """
    limits = limits or PairLimits()
    wanted = set(titles)
    rng = random.Random(seed)
    pairs: list[Pair] = []
    seen: set[tuple[str, str]] = set()
    previous: dict[tuple[str, str], str] = {}  # (title, sentence) -> the sentence before it
    for qa_set in sets:
        docs = [d for d in qa_set.documents if d.title in wanted]
        sentences = []
        for d in docs:
            texts = [d.text[a:b] for a, b in split_sentences(d.text)]
            sentences += [(d, t) for t in texts]
            previous.update({(d.title, t): p for p, t in zip([""] + texts, texts, strict=False)})
        if not sentences:
            continue
        index = LexicalIndex([f"{d.title} {s}" for d, s in sentences])
        by_doc: dict[str, list[int]] = {}
        for i, (d, _) in enumerate(sentences):
            by_doc.setdefault(d.id, []).append(i)
        for q in qa_set.questions:
            title = qa_set.title_of(q.doc_id)
            if title not in wanted or q.doc_id not in by_doc:
                continue
            key = (q.question.strip().lower(), title)
            if key in seen:
                continue
            seen.add(key)
            found = _question_pairs(q, sentences, by_doc[q.doc_id], index, limits, rng)
            if found and retrieved and limits.retrieved:
                # Only sentences of the articles asked for: validation articles stay unseen.
                near = [c for c in retrieved.get(q.id, ()) if c[0] in wanted]
                found += _retrieved_pairs(q, found, near, limits.retrieved)
            pairs.extend(found)
    rng.shuffle(pairs)
    return [replace(p, context=previous.get((p.title, p.sentence), "")) for p in pairs]


def _question_pairs(
    q: QAItem,
    sentences: list[tuple[Document, str]],
    paragraph: list[int],
    index: LexicalIndex,
    limits: PairLimits,
    rng: random.Random,
) -> list[Pair]:
    own = sentences[paragraph[0]][0]
    out: list[Pair] = []
    if q.answerable:
        positives = [i for i in paragraph if contains_answer(sentences[i][1], q.answers)]
        if not positives:  # the answer spans two sentences: no sentence alone says it
            return []
        rest = [i for i in paragraph if i not in positives]
        out += [_pair(q, sentences[i], 1.0, "positive") for i in positives]
        picked = rng.sample(rest, min(limits.paragraph, len(rest)))
        out += [_pair(q, sentences[i], 0.0, "paragraph") for i in picked]
        outside = (limits.article, limits.other)
    else:
        out += [_pair(q, sentences[i], 0.0, "unanswerable") for i in paragraph]
        outside = (limits.unanswerable_extra // 2, limits.unanswerable_extra // 2)
    # Look-alikes from elsewhere; a sentence that happens to hold the answer is left out
    # rather than called wrong.
    scores = index.scores(q.question)
    want = {"article": outside[0], "other": outside[1]}
    for i in np.argsort(-scores)[:200]:
        i = int(i)
        doc, text = sentences[i]
        if scores[i] <= 0 or doc.id == own.id or contains_answer(text, q.answers):
            continue
        kind = "article" if doc.title == own.title else "other"
        if want[kind] > 0:
            want[kind] -= 1
            out.append(_pair(q, sentences[i], 0.0, kind))
        if not any(want.values()):
            break
    return out


def _retrieved_pairs(
    q: QAItem, taken: list[Pair], candidates: Sequence[tuple[str, str]], limit: int
) -> list[Pair]:
    seen = {p.sentence for p in taken}
    out: list[Pair] = []
    for title, sentence in candidates:
        if len(out) == limit:
            break
        if sentence in seen or contains_answer(sentence, q.answers):
            continue
        seen.add(sentence)
        out.append(Pair(q.question, title, sentence, 0.0, "retrieved", q.id))
    return out


def _pair(q: QAItem, sentence: tuple[Document, str], label: float, kind: str) -> Pair:
    return Pair(q.question, sentence[0].title, sentence[1], label, kind, q.id)


class LexicalIndex:
    """BM25 over a small, fixed list of texts held in memory (for offline tools such as the
    reader's training data; the bot's own index is the catalogue's, on disk)."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.size = len(texts)
        self.tokens = tokenize(texts)
        self._postings: dict[str, list[int]] = {}
        for i, found in enumerate(self.tokens):
            for term in set(found):
                self._postings.setdefault(term, []).append(i)
        self._average = sum(map(len, self.tokens)) / self.size if self.size else 0.0

    def scores(self, query: str) -> np.ndarray:
        """BM25 of each text for the query, in index order."""
        asked = terms(query)
        frequencies = {t: len(self._postings.get(t, ())) for t in set(asked)}
        result = np.zeros(self.size, dtype=np.float32)
        for i in {i for t in asked for i in self._postings.get(t, ())}:
            result[i] = bm25(asked, self.tokens[i], frequencies, self.size, self._average)
        return result
