"""`make reader-report`: a trained reader measured beside today's ranking (docs/reader.md).

    python -m bot.evaluation.reader.report --reader runs/reader/model \
        [--eval-dir ../shared/eval] [--work runs/reader/report] [--k 20] [--threads 2]

1. Candidates. Each set's documents go into a fresh store. For every question of the tune and
   validation articles (the split in bot/evaluation/reader/pairs.py), the search's top k
   candidates, each with the sentence before it, and the plain baseline's top 3 go to
   WORK/candidates-SET.jsonl. The next run reads them back. The file is also a `--retrieved`
   input for the trainer.
2. Scores. The reader scores each question's candidates, timed. They are kept in
   WORK/scores-WEIGHTS.json, named by the weights' hash.
3. Choice, on the tune articles only: how much of today's score to add to the reader's
   probability, the abstention rule and its threshold (abstain-wrong at most 0.05 on every set),
   and the probability a second or third quote needs.
4. Validation. Today's ranking and abstention, the reader's, and the dense baseline, on the
   validation articles only, with the bar a reader must pass to ship.

Today's ranking here is the search's order with the answer's near-duplicate rule and relevance
threshold. The chain's time and party steps do not change these sets' questions.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import re
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.evaluation.metrics import Outcome, Scores, percentile, score
from bot.evaluation.qa_sets import fresh_services
from bot.evaluation.reader.pairs import QASet, Split, read_set
from bot.services import Services, build_services
from bot.settings import Settings, use_offline_models
from ingest.loaders import load_jsonl
from retrieval.answering.answer import AnswerPolicy, relevance
from retrieval.ranking.reader import Reader

log = logging.getLogger(__name__)

SETS = ("squad-v1.1", "squad-v2-half", "squad-offtopic")
PARTS = ("tune", "validation")
WEIGHTS = (0.0, 0.1, 0.2, 0.5, 1.0, 2.0)  # of today's score, added to the reader's probability
LAMBDAS = (0.0, 1.0, 2.0, 4.0)  # of today's relevance, added to logit(top probability)
FLOORS = (0.0, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5)  # a 2nd or 3rd quote's least probability
SURES = (0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 1.01)  # the first alone from this probability
MAX_WRONG = 0.05
# What the issue asks before a reader ships (docs/reader.md); the aims are reported beside.
BAR_HIT1_POINTS = 4.0
BAR_OFFTOPIC_ABSTAIN = 0.95
BAR_P95_SECONDS = 0.25
AIM_HIT1_POINTS = 8.0
AIM_V2_ABSTAIN = 0.25
# Choosing the quote bars may cost at most this much hit@3 on tune.
HIT3_GIVE = 0.01
_WORDS = re.compile(r"\w+")


@dataclass(frozen=True)
class Row:
    """One question and everything the systems compared need, read back from the candidates."""

    set: str
    id: str
    part: str
    question: str
    answers: tuple[str, ...]
    gold: tuple[str, ...]
    answerable: bool
    relevance: float  # today's, over the top 20 candidates
    cands: tuple[dict[str, Any], ...]  # doc, title, text, previous, score
    dups: frozenset[tuple[int, int]]  # candidate pairs the answer counts as one
    dense: tuple[tuple[str, str], ...]  # the plain baseline's top 3 (doc id, sentence)
    search_seconds: float


def question_parts(
    eval_dir: Path, split: Split
) -> tuple[dict[str, QASet], dict[tuple[str, str], str]]:
    """The sets and each (set, question id)'s part; an off-topic question goes by its source."""
    sets = {name: read_set(eval_dir / name) for name in SETS if (eval_dir / name).is_dir()}
    parts: dict[tuple[str, str], str] = {}
    source = sets.get("squad-v1.1")
    v1_title = {q.id: source.title_of(q.doc_id) for q in source.questions} if source else {}
    for name, qa in sets.items():
        for q in qa.questions:
            title = qa.title_of(q.doc_id)
            if title is None and q.id.startswith("offtopic-"):
                title = v1_title.get(q.id.removeprefix("offtopic-"))
            parts[(name, q.id)] = split.part(title or "")
    return sets, parts


def collect_candidates(
    eval_dir: Path,
    work: Path,
    settings: Settings,
    split: Split,
    *,
    k: int,
    wanted: Sequence[str] = PARTS,
    build: Callable[..., Services] = build_services,
    model: Any = None,
) -> list[Path]:
    """Write WORK/candidates-SET.jsonl for each set that lacks it; returns every set's file."""
    sets, parts = question_parts(eval_dir, split)
    policy = AnswerPolicy()
    files: list[Path] = []
    groups: dict[bytes, list[str]] = {}
    for name in sets:
        path = work / f"candidates-{name}.jsonl"
        files.append(path)
        if not path.exists():
            docs = (eval_dir / name / "documents.jsonl").read_bytes()
            groups.setdefault(docs, []).append(name)
    work.mkdir(parents=True, exist_ok=True)
    for members in groups.values():
        briefings = load_jsonl(eval_dir / members[0] / "documents.jsonl")
        with fresh_services(settings, build, model) as services:
            started = time.perf_counter()
            for _ in services.ingester.ingest_many(briefings):
                pass
            log.info("%s: ingested in %.0f s", members[0], time.perf_counter() - started)
            for name in members:
                rows = (
                    _candidates_row(services, name, q, parts[(name, q.id)], k, policy)
                    for q in sets[name].questions
                    if parts[(name, q.id)] in wanted
                )
                _write_jsonl(work / f"candidates-{name}.jsonl", rows)
    return files


def _candidates_row(
    services: Services, set_name: str, q: Any, part: str, k: int, policy: AnswerPolicy
) -> dict[str, Any]:
    started = time.perf_counter()
    found = services.searcher.search(q.question, limit=max(k, 20))
    seconds = time.perf_counter() - started
    keys = [(c.record.id, c.stored.sentence.index - 1) for c in found]
    before = services.store.catalogue.sentences([key for key in keys if key[1] >= 0])
    words = [" ".join(_WORDS.findall(c.stored.sentence.text.lower())) for c in found]
    dups = [
        [i, j]
        for i in range(len(found))
        for j in range(i)
        if words[i] == words[j]
        or float(found[i].vector @ found[j].vector) >= policy.duplicate_cosine
    ]
    dense = services.searcher.dense_only(q.question, k=3)
    return {
        "set": set_name,
        "id": q.id,
        "part": part,
        "question": q.question,
        "answers": list(q.answers),
        "gold": [q.doc_id] if q.doc_id and q.answerable else [],
        "answerable": q.answerable,
        "relevance": relevance(found[:20]),
        "search_seconds": seconds,
        "dups": dups,
        "dense": [[c.record.id, c.stored.sentence.text] for c in dense],
        "cands": [
            {
                "doc": c.record.id,
                "title": c.record.title,
                "text": c.stored.sentence.text,
                "previous": before[key].sentence.text if key in before else "",
                "score": c.score,
            }
            for c, key in zip(found[:k], keys, strict=False)
        ],
    }


def _write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    partial = path.with_suffix(".partial")
    with partial.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    partial.replace(path)  # a run cut short leaves no half file to be read back


def read_rows(files: Sequence[Path]) -> list[Row]:
    """The questions of the candidates files."""
    rows = []
    for path in files:
        for raw in load_rows(path):
            rows.append(
                Row(
                    set=raw["set"],
                    id=raw["id"],
                    part=raw["part"],
                    question=raw["question"],
                    answers=tuple(raw["answers"]),
                    gold=tuple(raw["gold"]),
                    answerable=raw["answerable"],
                    relevance=raw["relevance"],
                    cands=tuple(raw["cands"]),
                    dups=frozenset((i, j) for a, b in raw["dups"] for i, j in ((a, b), (b, a))),
                    dense=tuple((d, t) for d, t in raw["dense"]),
                    search_seconds=raw["search_seconds"],
                )
            )
    return rows


def load_rows(path: Path) -> Iterable[dict[str, Any]]:
    """The raw JSON objects of a candidates file."""
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def score_rows(
    reader: Reader, rows: Sequence[Row], cache: Path
) -> dict[str, tuple[list[float], float | None]]:
    """(probabilities, seconds) per question key, from cache where it has them.

    A passage met again (squad-offtopic repeats squad-v2-half's answerable questions over the
    same documents) is scored once; seconds are kept only for questions scored whole, as the
    bot would score them.
    """
    found: dict[str, tuple[list[float], float | None]] = {}
    if cache.exists():
        found = {k: (v[0], v[1]) for k, v in json.loads(cache.read_text()).items()}
    context = reader.context == "previous"
    seen: dict[tuple[str, ...], float] = {}
    last_save = time.monotonic()
    for n, row in enumerate(rows, start=1):
        key = f"{row.set}|{row.id}"
        if key in found:
            continue
        passages = [(c["title"], c["text"], c["previous"] if context else "") for c in row.cands]
        keys = [(row.question, *p) for p in passages]
        todo = [i for i, k in enumerate(keys) if k not in seen]
        started = time.perf_counter()
        probs = reader.score(row.question, [passages[i] for i in todo])
        seconds = time.perf_counter() - started if len(todo) == len(keys) else None
        seen.update({keys[i]: float(p) for i, p in zip(todo, probs, strict=True)})
        found[key] = ([seen[k] for k in keys], seconds)
        if time.monotonic() - last_save > 60:
            log.info("scored %d of %d questions", n, len(rows))
            _save_json(cache, {k: list(v) for k, v in found.items()})
            last_save = time.monotonic()
    _save_json(cache, {k: list(v) for k, v in found.items()})
    return found


def _save_json(path: Path, value: Any) -> None:
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(value), encoding="utf-8")
    partial.replace(path)


@dataclass(frozen=True)
class ReaderUse:
    """How the reader is used: chosen on the tune articles."""

    weight: float  # of today's score, added to the probability, to order candidates
    lam: float  # abstain when logit(top probability) + lam x today's relevance < threshold
    threshold: float
    floor: float  # a second or third quote only with at least this probability
    sure: float = 1.01  # from this probability of the first quote, it is the only one

    def card_entry(self, k: int) -> dict[str, float]:
        """The rule as a reader's card keeps it (retrieval/ranking/reading.py reads it)."""
        return {
            "weight": self.weight,
            "lam": self.lam,
            "threshold": round(self.threshold, 4),
            "floor": self.floor,
            "sure": self.sure,
            "top": k,
        }


def logit(p: float) -> float:
    """log(p / (1 - p)), clipped away from 0 and 1."""
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def _cite(order: Sequence[int], row: Row, limit: int = 3) -> list[int]:
    chosen: list[int] = []
    for i in order:
        if any((i, j) in row.dups for j in chosen):
            continue
        chosen.append(i)
        if len(chosen) == limit:
            break
    return chosen


def _outcome(row: Row, cited: Sequence[int], abstained: bool, seconds: float) -> Outcome:
    return Outcome(
        answerable=row.answerable,
        answers=row.answers,
        gold_doc_ids=row.gold,
        abstained=abstained,
        cited=tuple((row.cands[i]["doc"], row.cands[i]["text"]) for i in cited),
        seconds=seconds,
    )


def today(rows: Sequence[Row]) -> list[Outcome]:
    """Today's ranking and abstention rule."""
    bar = AnswerPolicy().min_relevance
    return [
        _outcome(r, _cite(range(len(r.cands)), r), r.relevance < bar, r.search_seconds)
        for r in rows
    ]


def dense_baseline(rows: Sequence[Row]) -> list[Outcome]:
    """The plain stack: top 3 by cosine, no threshold."""
    return [Outcome(r.answerable, r.answers, r.gold, not r.dense, r.dense, 0.0) for r in rows]


def _value(row: Row, probs: Sequence[float], lam: float) -> float:
    return logit(max(probs, default=0.0)) + lam * row.relevance


def with_reader(
    rows: Sequence[Row], scores: dict[str, tuple[list[float], float | None]], use: ReaderUse
) -> list[Outcome]:
    """The reader's ordering, abstention and number of quotes."""
    out = []
    for r in rows:
        probs, seconds = scores[f"{r.set}|{r.id}"]
        order = sorted(
            range(len(probs)),
            key=lambda i: probs[i] + use.weight * r.cands[i]["score"],
            reverse=True,
        )
        cited = _cite(order, r)
        if cited and probs[cited[0]] >= use.sure:
            cited = cited[:1]
        cited = cited[:1] + [i for i in cited[1:] if probs[i] >= use.floor]
        abstained = _value(r, probs, use.lam) < use.threshold
        out.append(_outcome(r, cited, abstained, r.search_seconds + (seconds or 0.0)))
    return out


def _answerable_hit1(rows: Sequence[Row], outcomes: Sequence[Outcome]) -> float:
    picked = [o for r, o in zip(rows, outcomes, strict=True) if r.set != "squad-offtopic"]
    return score(picked).hit1 or 0.0


def highest_threshold(rows: Sequence[Row], values: Sequence[float]) -> float:
    """The highest t for which abstaining below t declines at most MAX_WRONG of every set's
    answerable questions."""
    best = math.inf
    for name in {r.set for r in rows}:
        mine = sorted(
            v for r, v in zip(rows, values, strict=True) if r.set == name and r.answerable
        )
        if mine:
            best = min(best, mine[int(MAX_WRONG * len(mine))])
    return best if best != math.inf else -math.inf


def choose_use(
    rows: Sequence[Row], scores: dict[str, tuple[list[float], float | None]]
) -> ReaderUse:
    """The weight, abstention rule and quote bars that do best on these (tune) rows."""
    weight = max(
        WEIGHTS,
        key=lambda w: (
            _answerable_hit1(rows, with_reader(rows, scores, ReaderUse(w, 0, -math.inf, 0.0))),
            -w,
        ),
    )
    options = []
    for lam in LAMBDAS:
        values = [_value(r, scores[f"{r.set}|{r.id}"][0], lam) for r in rows]
        threshold = highest_threshold(rows, values)
        by_set = _by_set(rows, with_reader(rows, scores, ReaderUse(weight, lam, threshold, 0.0)))
        v2, off = by_set.get("squad-v2-half"), by_set.get("squad-offtopic")
        options.append(
            (
                (off.abstain_correct or 0) >= BAR_OFFTOPIC_ABSTAIN if off else True,
                (v2.abstain_correct or 0) if v2 else 0.0,
                -lam,
                threshold,
            )
        )
    best = max(options)
    lam, threshold = -best[2], best[3]

    picked = [r for r in rows if r.set != "squad-offtopic"]

    def hit3(floor: float, sure: float) -> float:
        use = ReaderUse(weight, lam, threshold, floor, sure)
        return score(with_reader(picked, scores, use)).hit3 or 0.0

    # The fewest quotes that keep hit@3 within HIT3_GIVE of always quoting three.
    full = hit3(0.0, 1.01)
    floor = max(f for f in FLOORS if hit3(f, 1.01) >= full - HIT3_GIVE)
    sure = min(s for s in SURES if hit3(floor, s) >= full - HIT3_GIVE)
    return ReaderUse(weight, lam, threshold, floor, sure)


def _by_set(rows: Sequence[Row], outcomes: Sequence[Outcome]) -> dict[str, Scores]:
    names = dict.fromkeys(r.set for r in rows)
    return {n: score([o for r, o in zip(rows, outcomes, strict=True) if r.set == n]) for n in names}


@dataclass(frozen=True)
class Report:
    """Validation scores per system and set, the choice made on tune, and the verdict."""

    use: ReaderUse
    systems: dict[str, dict[str, Scores]]
    reader_seconds: tuple[float, float]  # p50, p95 of the reader alone per question
    verdict: list[tuple[str, bool, str]]

    @property
    def ships(self) -> bool:
        """Whether every bar is met."""
        return all(ok for _, ok, _ in self.verdict)


def build_report(
    rows: Sequence[Row], scores: dict[str, tuple[list[float], float | None]]
) -> Report:
    """Choose on the tune rows, measure on the validation rows."""
    tune = [r for r in rows if r.part == "tune"]
    validation = [r for r in rows if r.part == "validation"]
    use = choose_use(tune, scores)
    systems = {
        "today": _by_set(validation, today(validation)),
        "reader": _by_set(validation, with_reader(validation, scores, use)),
        "dense baseline": _by_set(validation, dense_baseline(validation)),
    }
    timed = (scores[f"{r.set}|{r.id}"][1] for r in validation)
    seconds = [s for s in timed if s is not None]
    timing = (percentile(seconds, 50), percentile(seconds, 95))
    return Report(use, systems, timing, _verdict(systems, timing))


def _verdict(
    systems: dict[str, dict[str, Scores]], timing: tuple[float, float]
) -> list[tuple[str, bool, str]]:
    now, new = systems["today"], systems["reader"]
    checks = []
    if "squad-v1.1" in new:
        gain = 100 * ((new["squad-v1.1"].hit1 or 0) - (now["squad-v1.1"].hit1 or 0))
        checks.append(
            (
                f"squad-v1.1 hit@1 {gain:+.1f} points",
                gain >= BAR_HIT1_POINTS,
                f"+{BAR_HIT1_POINTS:g}",
            )
        )
        lower = (new["squad-v1.1"].hit3 or 0) < (now["squad-v1.1"].hit3 or 0)
        checks.append(("squad-v1.1 hit@3 not lower", not lower, "not lower"))
    wrong = max((s.abstain_wrong or 0) for s in new.values() if s.abstain_wrong is not None)
    checks.append((f"abstain-wrong, worst set {wrong:.3f}", wrong <= MAX_WRONG, f"<= {MAX_WRONG}"))
    if "squad-offtopic" in new:
        off = new["squad-offtopic"].abstain_correct or 0
        checks.append(
            (
                f"squad-offtopic abstain-correct {off:.3f}",
                off >= BAR_OFFTOPIC_ABSTAIN,
                f">= {BAR_OFFTOPIC_ABSTAIN}",
            )
        )
    checks.append(
        (f"reader p95 {timing[1]:.3f} s", timing[1] <= BAR_P95_SECONDS, f"<= {BAR_P95_SECONDS}")
    )
    return checks


ROWS = (
    ("hit@1", "hit1"),
    ("hit@3", "hit3"),
    ("abstain-correct", "abstain_correct"),
    ("abstain-wrong", "abstain_wrong"),
    ("cited chars (median)", "cited_chars"),
)


def _cell(value: float | None, field: str, blank: bool) -> str:
    if value is None or blank:
        return "n/a"
    return f"{value:.0f}" if field == "cited_chars" else f"{value:.3f}"


def render(report: Report, counts: dict[str, tuple[int, int]]) -> str:
    """The report as plain text tables."""
    use = report.use
    lines = [
        "Reader on the validation articles (never trained on; choices made on tune):",
        f"  order by probability + {use.weight:g} x today's score; abstain when logit(top "
        f"probability) + {use.lam:g} x relevance < {use.threshold:.3f}; a 2nd/3rd quote needs "
        f"probability >= {use.floor:g}, none when the first has >= {use.sure:g}",
        "",
    ]
    for name in SETS:
        if name not in report.systems["today"]:
            continue
        answerable, unanswerable = counts[name]
        lines.append(f"{name} ({answerable} answerable, {unanswerable} unanswerable questions)")
        lines.append(f"  {'':22}{'today':>10}{'reader':>10}{'dense':>10}")
        for label, field in ROWS:
            cells = []
            for system in ("today", "reader", "dense baseline"):
                value = getattr(report.systems[system][name], field)
                blank = system == "dense baseline" and field.startswith(("abstain", "cited"))
                cells.append(_cell(value, field, blank))
            lines.append(f"  {label:22}" + "".join(f"{c:>10}" for c in cells))
        lines.append("")
    p50, p95 = report.reader_seconds
    lines.append(f"reader time per question: p50 {p50:.3f} s, p95 {p95:.3f} s")
    lines.append("")
    lines.append("bar to ship:")
    for text, ok, bar in report.verdict:
        lines.append(f"  {'met    ' if ok else 'not met'}  {text} (bar {bar})")
    lines.append("ships: " + ("yes" if report.ships else "no"))
    lines.append("aims (beyond the bar):")
    for text, ok, aim in aims(report.systems):
        lines.append(f"  {'met    ' if ok else 'not met'}  {text} (aim {aim})")
    return "\n".join(lines)


def aims(systems: dict[str, dict[str, Scores]]) -> list[tuple[str, bool, str]]:
    """The issue's aims beyond the bar to ship."""
    now, new = systems["today"], systems["reader"]
    found = []
    if "squad-v1.1" in new:
        gain = 100 * ((new["squad-v1.1"].hit1 or 0) - (now["squad-v1.1"].hit1 or 0))
        text = f"squad-v1.1 hit@1 {gain:+.1f} points"
        found.append((text, gain >= AIM_HIT1_POINTS, f"+{AIM_HIT1_POINTS:g}"))
    if "squad-v2-half" in new:
        v2 = new["squad-v2-half"].abstain_correct or 0
        text = f"squad-v2-half abstain-correct {v2:.3f}"
        found.append((text, v2 >= AIM_V2_ABSTAIN, f">= {AIM_V2_ABSTAIN}"))
    return found


def parser() -> argparse.ArgumentParser:
    """The command line."""
    p = argparse.ArgumentParser(prog="python -m bot.evaluation.reader.report")
    p.add_argument("--reader", type=Path, required=True, help="a trained reader's directory")
    p.add_argument("--eval-dir", type=Path, default=Path("../shared/eval"))
    p.add_argument("--work", type=Path, default=Path("runs/reader/report"))
    p.add_argument("--k", type=int, default=20, help="candidates the reader reorders")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument(
        "--backend",
        choices=("torch", "onnx", "int8"),
        default="torch",
        help="how the reader runs (reader_onnx.py); the scores are kept per backend",
    )
    p.add_argument(
        "--save-use",
        action="store_true",
        help="write the rule chosen on tune into the reader's card.json ('use'), which the bot "
        "reads",
    )
    p.add_argument(
        "--candidates-only", action="store_true", help="collect the candidates, score nothing"
    )
    p.add_argument(
        "--parts",
        default=",".join(PARTS),
        help="whose questions: tune,validation (to measure) or train (negatives for training)",
    )
    return p


def run(args: argparse.Namespace, settings: Settings | None = None, **build: Any) -> str:
    """Collect (or read back) candidates, score them, and return the rendered report."""
    import torch

    torch.set_num_threads(args.threads)
    split = Split()
    wanted = tuple(p.strip() for p in args.parts.split(",") if p.strip())
    files = collect_candidates(
        args.eval_dir, args.work, settings or Settings(), split, k=args.k, wanted=wanted, **build
    )
    rows = read_rows(files)
    if args.candidates_only:
        return f"{len(rows)} questions' candidates in {args.work}"
    reader = Reader(args.reader, backend=args.backend, cache=args.work, threads=args.threads)
    digest = str(reader.card.get("weights_sha256", "unknown"))[:12]
    suffix = "" if args.backend == "torch" else f"-{args.backend}"
    scores = score_rows(reader, rows, args.work / f"scores-{digest}-k{args.k}{suffix}.json")
    report = build_report(rows, scores)
    if args.save_use:
        card = {**reader.card, "use": report.use.card_entry(args.k)}
        (args.reader / "card.json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    counts = {
        name: (
            sum(1 for r in rows if r.set == name and r.part == "validation" and r.answerable),
            sum(1 for r in rows if r.set == name and r.part == "validation" and not r.answerable),
        )
        for name in SETS
    }
    return render(report, counts)


def main(argv: list[str] | None = None) -> int:
    """Entry point: `python -m bot.evaluation.reader.report ...`."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    use_offline_models()
    args = parser().parse_args(argv)
    if not args.candidates_only and {p.strip() for p in args.parts.split(",")} != set(PARTS):
        print("Only --candidates-only takes --parts other than tune,validation.", file=sys.stderr)
        return 2
    if not args.candidates_only and not (args.reader / "card.json").exists():
        print(f"No trained reader in {args.reader} (make train-reader makes one).", file=sys.stderr)
        return 1
    print(run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
