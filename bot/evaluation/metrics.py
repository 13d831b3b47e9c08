"""Eval metrics as ../shared/eval/README.md defines them; pure functions over predictions."""

from __future__ import annotations

import re
import statistics
import string
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_POSSESSIVE = re.compile(r"(\w)['\u2019]s\b")


def _is_punctuation(ch: str) -> bool:
    return ch in string.punctuation or unicodedata.category(ch).startswith("P")


def normalise(text: str) -> str:
    """The eval README's rule: SQuAD's (lower case, punctuation dropped, no a/an/the, single
    spaces), and Unicode punctuation (curly quotes, dashes) and a possessive 's dropped too, which
    SQuAD's ASCII-only rule misses in news ("Google’s" never matched "Google")."""
    text = _POSSESSIVE.sub(r"\1", text.lower())
    text = "".join(ch for ch in text if not _is_punctuation(ch))
    return " ".join(_ARTICLES.sub(" ", text).split())


def contains_answer(sentence: str, answers: Sequence[str]) -> bool:
    """Whether a normalised gold answer occurs in the normalised sentence as whole words."""
    padded = f" {normalise(sentence)} "
    return any((norm := normalise(answer)) and f" {norm} " in padded for answer in answers)


@dataclass(frozen=True)
class Outcome:
    """One question's prediction, reduced to what the metrics need."""

    answerable: bool
    answers: tuple[str, ...]
    gold_doc_ids: tuple[str, ...]
    abstained: bool
    cited: tuple[tuple[str, str], ...]  # (doc_id, sentence), in citation order
    seconds: float
    relevance: float = 0.0  # the score the abstention threshold is compared with


def hit_at(outcome: Outcome, k: int) -> bool:
    """One of the first k cited sentences contains a gold answer."""
    return any(contains_answer(text, outcome.answers) for _, text in outcome.cited[:k])


def gold_doc_at(outcome: Outcome, k: int) -> bool:
    """One of the first k cited sentences comes from a gold document."""
    return any(doc in outcome.gold_doc_ids for doc, _ in outcome.cited[:k])


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), nearest rank; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, -(-len(ordered) * q // 100) - 1))
    return ordered[int(rank)]


def abstention_curve(
    outcomes: Sequence[Outcome], thresholds: Sequence[float]
) -> list[tuple[float, float | None, float | None]]:
    """(threshold, abstain-correct, abstain-wrong) if the system abstained below each threshold."""
    answerable = [o.relevance for o in outcomes if o.answerable]
    unanswerable = [o.relevance for o in outcomes if not o.answerable]
    return [
        (t, _share([r < t for r in unanswerable]), _share([r < t for r in answerable]))
        for t in thresholds
    ]


def _share(flags: Sequence[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


@dataclass(frozen=True)
class Scores:
    """Every metric of one run over one set; None where a metric has no questions."""

    questions: int
    hit1: float | None
    hit3: float | None
    gold_doc3: float | None
    abstain_correct: float | None
    abstain_wrong: float | None
    cited_chars: float
    p50: float
    p95: float


def score(outcomes: Sequence[Outcome]) -> Scores:
    """Aggregate outcomes into the eval README's metrics."""
    answerable = [o for o in outcomes if o.answerable]
    unanswerable = [o for o in outcomes if not o.answerable]
    cited = [sum(len(t) for _, t in o.cited) for o in outcomes if o.cited]
    seconds = [o.seconds for o in outcomes]
    return Scores(
        questions=len(outcomes),
        hit1=_share([hit_at(o, 1) for o in answerable]),
        hit3=_share([hit_at(o, 3) for o in answerable]),
        gold_doc3=_share([gold_doc_at(o, 3) for o in answerable]),
        abstain_correct=_share([o.abstained for o in unanswerable]),
        abstain_wrong=_share([o.abstained for o in answerable]),
        cited_chars=statistics.median(cited) if cited else 0.0,
        p50=percentile(seconds, 50),
        p95=percentile(seconds, 95),
    )
