"""Training the reader: the model built from the bundled encoder, the loop, and saving it.

Pure functions over explicit paths and arguments; nothing here reads the environment. The
pairs come from bot/evaluation/reader/pairs.py; the reader as questions use it is
retrieval/ranking/reader.py, which loads what save_reader writes.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bot.evaluation.reader.pairs import Pair, file_sha256
from retrieval.ranking.reader import CARD_FILE, WEIGHTS_FILE, WORD_EMBEDDINGS, embedding_checksum
from retrieval.ranking.reader import reader_input as reader_input

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters of a run; all of them go into the card."""

    seed: int = 20261201
    epochs: float = 1.0
    batch_size: int = 32
    learning_rate: float = 4e-5
    warmup_share: float = 0.05
    max_length: int = 128
    num_layers: int = 6  # keep the base model's first n layers (fewer: faster, maybe worse)
    freeze_word_embeddings: bool = True  # then the saved file omits them (reader.py)
    # With list_weight > 0, a batch holds whole questions (questions_per_batch of them, instead
    # of batch_size pairs) and the loss adds list_weight x the softmax cross-entropy of each
    # question's positives against its negatives: that trains the ordering directly, while the
    # pairwise BCE keeps probabilities comparable across questions (for abstention).
    list_weight: float = 0.0
    questions_per_batch: int = 3
    # "previous": the passage also holds the sentence before the candidate (reader_input).
    context: str = "none"
    # A checkpoint.pt of an earlier run whose weights this run starts from (same layers);
    # the optimiser and schedule start afresh. Recorded in the card with its file hash.
    init_from: str = ""
    # Mixed precision on CPUs with bfloat16 instructions (AVX-512 BF16 here): about 1.4x faster.
    bfloat16: bool = False
    checkpoint_seconds: float = 300.0
    log_every: int = 50


def build_model(base_model: Path, config: TrainConfig) -> tuple[Any, Any]:
    """(tokenizer, model): the base encoder with a new one-logit head, cut to num_layers."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(base_model))
    model = AutoModelForSequenceClassification.from_pretrained(str(base_model), num_labels=1)
    if config.num_layers < model.config.num_hidden_layers:
        model.bert.encoder.layer = model.bert.encoder.layer[: config.num_layers]
        model.config.num_hidden_layers = config.num_layers
    if config.freeze_word_embeddings:
        model.bert.embeddings.word_embeddings.weight.requires_grad_(False)
    return tokenizer, model


def encode(tokenizer: Any, pairs: Sequence[Pair], max_length: int, context: bool = False) -> Any:
    """Tokenised (question, "title: sentence[ [SEP] previous]") pairs, padded to the longest."""
    return tokenizer(
        [p.question for p in pairs],
        [reader_input(p.title, p.sentence, p.context if context else "") for p in pairs],
        truncation="only_second",
        max_length=max_length,
        padding=True,
        return_tensors="pt",
    )


def train(
    pairs: Sequence[Pair],
    base_model: Path,
    work_dir: Path,
    config: TrainConfig,
    *,
    stop_after_steps: int | None = None,
) -> tuple[Any, Any, dict[str, Any]]:
    """Fine-tune on pairs in fixed order; resumes from work_dir/checkpoint.pt if there is one.

    Returns (tokenizer, model, stats). A checkpoint is written every checkpoint_seconds, so a
    stopped run loses little; stop_after_steps ends early (for tests and trial runs).
    """
    import torch

    torch.manual_seed(config.seed)
    tokenizer, model = build_model(base_model, config)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=config.learning_rate)
    batches = len(epoch_batches(pairs, config, config.seed))
    total = max(1, int(batches * config.epochs))
    warmup = max(1, int(total * config.warmup_share))

    def rate(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (total - step) / max(1, total - warmup))

    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, rate)
    work_dir.mkdir(parents=True, exist_ok=True)
    checkpoint = work_dir / "checkpoint.pt"
    step, losses, seconds = 0, [], 0.0
    if config.init_from and not checkpoint.exists():
        model.load_state_dict(torch.load(config.init_from, weights_only=False)["model"])
        log.info("starting from the weights in %s", config.init_from)
    if checkpoint.exists():
        saved = torch.load(checkpoint, weights_only=False)
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        schedule.load_state_dict(saved["schedule"])
        step, losses, seconds = saved["step"], saved["losses"], saved["seconds"]
        log.info("resumed at step %d of %d", step, total)

    model.train()
    last_save = started = time.monotonic()
    ran, done, order_epoch = 0, 0, -1
    order: list[list[int]] = [[]]
    while step < total and (stop_after_steps is None or ran < stop_after_steps):
        epoch, first = divmod(step, batches)
        if epoch != order_epoch:  # each epoch its own seeded order: a resumed run sees the same
            order = epoch_batches(pairs, config, config.seed + epoch)
            order_epoch = epoch
        batch = [pairs[i] for i in order[first]]
        inputs = encode(tokenizer, batch, config.max_length, config.context == "previous")
        labels = torch.tensor([p.label for p in batch], dtype=torch.float32)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=config.bfloat16):
            logits = model(**inputs).logits.squeeze(-1).float()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels)
        if config.list_weight:
            loss = loss + config.list_weight * _list_loss(logits, batch)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        losses.append(float(loss.detach()))
        step, ran, done = step + 1, ran + 1, done + len(batch)
        if step % config.log_every == 0:
            recent = float(np.mean(losses[-config.log_every :]))
            speed = done / max(time.monotonic() - started, 1e-9)
            log.info("step %d/%d loss %.4f %.1f pairs/s", step, total, recent, speed)
        if time.monotonic() - last_save >= config.checkpoint_seconds and step < total:
            _save_checkpoint(checkpoint, model, optimizer, schedule, step, losses,
                             seconds + time.monotonic() - started)  # fmt: skip
            last_save = time.monotonic()
    seconds += time.monotonic() - started
    model.eval()
    stats = {"steps": step, "total_steps": total, "seconds": round(seconds, 1), "losses": losses}
    return tokenizer, model, stats


def epoch_batches(pairs: Sequence[Pair], config: TrainConfig, seed: int) -> list[list[int]]:
    """One epoch's batches (indices into pairs): shuffled, and of similar lengths.

    Units (pairs, or whole questions when list_weight > 0) are shuffled, then sorted by length
    within pools of 50 batches, and the batches shuffled again: a batch pads to its longest
    pair, and random batches padded the average pair (~49 word pieces) to ~99.
    """
    units: list[list[int]]
    if config.list_weight:
        by_group: dict[str, list[int]] = {}
        for i, p in enumerate(pairs):
            by_group.setdefault(p.group, []).append(i)
        units, size = list(by_group.values()), config.questions_per_batch
    else:
        units, size = [[i] for i in range(len(pairs))], config.batch_size
    context = config.context == "previous"
    rng = random.Random(seed)
    rng.shuffle(units)
    pool = size * 50
    batches = []
    for start in range(0, len(units), pool):
        chunk = sorted(
            units[start : start + pool], key=lambda u: max(_chars(pairs[i], context) for i in u)
        )
        batches += [sum(chunk[j : j + size], []) for j in range(0, len(chunk), size)]
    rng.shuffle(batches)
    return batches


def _chars(pair: Pair, context: bool) -> int:
    read = len(pair.context) if context else 0
    return len(pair.question) + len(pair.title) + len(pair.sentence) + read


def _list_loss(logits: Any, batch: Sequence[Pair]) -> Any:
    """Mean over the batch's answerable questions of -log(softmax share of their positives)."""
    import torch

    terms = []
    for group in dict.fromkeys(p.group for p in batch):
        rows = [i for i, p in enumerate(batch) if p.group == group]
        positive = [i for i in rows if batch[i].label > 0.5]
        if positive and len(positive) < len(rows):
            terms.append(torch.logsumexp(logits[rows], 0) - torch.logsumexp(logits[positive], 0))
    return torch.stack(terms).mean() if terms else logits.sum() * 0.0


def _save_checkpoint(path: Path, model: Any, optimizer: Any, schedule: Any, step: int,
                     losses: list[float], seconds: float) -> None:  # fmt: skip
    import torch

    state = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "schedule": schedule.state_dict(),
        "step": step,
        "losses": losses,
        "seconds": seconds,
    }
    # Written aside and renamed, so a stop during the write keeps the previous checkpoint.
    partial = path.with_suffix(".partial")
    torch.save(state, partial)
    partial.replace(path)
    log.info("checkpoint at step %d", step)


def save_reader(model: Any, directory: Path, card: dict[str, Any], base_model: Path) -> Path:
    """Write the weights (float16, without a frozen word-embedding matrix), config and card."""
    import torch
    from safetensors.torch import load_file, save_file

    directory.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().to(torch.float16).contiguous() for k, v in model.state_dict().items()}
    state = {k: v for k, v in state.items() if not k.endswith("position_ids")}
    base_matrix = load_file(str(Path(base_model) / "model.safetensors"))[
        "embeddings.word_embeddings.weight"
    ]
    frozen = torch.equal(model.bert.embeddings.word_embeddings.weight.detach(), base_matrix)
    if frozen:  # the base package has it: shipping it again would double the size
        del state[WORD_EMBEDDINGS]
    save_file(state, str(directory / WEIGHTS_FILE))
    model.config.to_json_file(str(directory / "config.json"))
    card = {
        **card,
        "base_model": {
            **card.get("base_model", {}),
            "word_embeddings_from_base": frozen,
            "embedding_checksum": embedding_checksum(base_matrix),
        },
        "weights_sha256": file_sha256(directory / WEIGHTS_FILE),
    }
    (directory / CARD_FILE).write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    return directory
