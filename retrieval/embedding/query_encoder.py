"""Questions embedded with onnxruntime and tokenizers instead of torch and sentence-transformers.

Importing sentence-transformers alone takes about 5 s (it pulls in transformers and torch); a
process that only answers questions needs none of it. The model is exported to ONNX once,
locally, by a process that has loaded it anyway to ingest (`export_onnx`), and kept beside the
data; later processes load that file in a fraction of a second. The vectors agree with the
torch model's to cosine 0.99999 (float32, the same mean pooling), so questions embedded here
meet sentences embedded there.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

ONNX_OPSET = 17


def onnx_path(model_dir: Path, folder: Path) -> Path:
    """Where the ONNX export of the model in model_dir is kept in folder: named by the model's
    weights, so another model (or new weights) gets a file of its own."""
    weights = sorted(model_dir.glob("*.safetensors")) or sorted(model_dir.glob("*.bin"))
    stamp = "|".join(f"{w.name}:{w.stat().st_size}:{w.stat().st_mtime_ns}" for w in weights)
    digest = hashlib.sha256(f"{model_dir.resolve()}|{stamp}".encode()).hexdigest()[:16]
    return folder / f"{model_dir.name or 'model'}-{digest}.onnx"


def mean_pooled(model_dir: Path) -> bool:
    """Whether a sentence-transformers model is a transformer plus mean pooling (and perhaps
    normalisation): the shape this encoder reproduces."""
    try:
        modules = json.loads((model_dir / "modules.json").read_text())
        types = [m["type"].rsplit(".", 1)[-1] for m in modules]
        pooling = next(m for m in modules if m["type"].endswith("Pooling"))
        config = json.loads((model_dir / pooling["path"] / "config.json").read_text())
    except (OSError, ValueError, KeyError, StopIteration):
        return False
    return (
        types[:2] == ["Transformer", "Pooling"]
        and set(types[2:]) <= {"Normalize"}
        and modules[0].get("path", "") == ""
        and _pools_mean(config)
    )


def _pools_mean(config: dict[str, Any]) -> bool:
    """A pooling configuration that takes the mean of the tokens only: sentence-transformers 6
    writes `"pooling_mode": "mean"`, older releases one flag per mode."""
    if "pooling_mode" in config:
        return config["pooling_mode"] == "mean"
    return bool(config.get("pooling_mode_mean_tokens")) and not any(
        config.get(k)
        for k in (
            "pooling_mode_cls_token",
            "pooling_mode_max_tokens",
            "pooling_mode_mean_sqrt_len_tokens",
        )
    )


def export_onnx(transformer: Any, target: Path) -> None:
    """Export a loaded Hugging Face encoder (token ids -> last hidden state) to target."""
    import torch

    class Encoder(torch.nn.Module):
        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, ids: Any, mask: Any, types: Any) -> Any:
            return self.model(input_ids=ids, attention_mask=mask, token_type_ids=types)[0]

    target.parent.mkdir(parents=True, exist_ok=True)
    sample = torch.ones((1, 8), dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    fd, tmp = tempfile.mkstemp(suffix=".onnx", dir=target.parent)
    os.close(fd)
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the tracer's notes on shapes it fixes
            torch.onnx.export(
                Encoder(transformer.eval()),
                (sample, sample, torch.zeros_like(sample)),
                tmp,
                input_names=["ids", "mask", "types"],
                output_names=["hidden"],
                dynamic_axes={"ids": axes, "mask": axes, "types": axes, "hidden": axes},
                opset_version=ONNX_OPSET,
                dynamo=False,
            )
        os.replace(tmp, target)  # whole or not at all: another process may be loading it
    finally:
        Path(tmp).unlink(missing_ok=True)
    log.info("exported the embedding model for questions to %s", target)


def cpu_session(onnx_file: Path, threads: int) -> Any:
    """An onnxruntime session on the CPU with `threads` threads that do not spin: threads
    that spin while waiting for work steal the core an ingest (or another process) is using,
    and a question is small enough not to need them."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])


class QueryEncoder:
    """Embeds short texts (questions, topics) with an exported model; thread-safe."""

    def __init__(self, onnx_file: Path, model_dir: Path, threads: int = 1) -> None:
        from tokenizers import Tokenizer

        self._session = cpu_session(onnx_file, threads)
        try:
            limit = int(
                json.loads((model_dir / "sentence_bert_config.json").read_text())["max_seq_length"]
            )
        except (OSError, ValueError, KeyError):
            limit = 256
        tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        tokenizer.enable_truncation(max_length=limit)
        tokenizer.enable_padding()
        self._tokenizer = tokenizer
        self._lock = threading.Lock()  # the tokenizer's padding settings are shared state
        # The export drops inputs a model never reads (a model without attention layers has
        # no use for the mask), and onnxruntime refuses inputs the graph does not declare.
        self._inputs = {i.name for i in self._session.get_inputs()}

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors of the texts, (n, dim) float32."""
        with self._lock:
            encodings = self._tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        types = np.array([e.type_ids for e in encodings], dtype=np.int64)
        feed = {"ids": ids, "mask": mask, "types": types}
        (hidden,) = self._session.run(
            ["hidden"], {k: v for k, v in feed.items() if k in self._inputs}
        )
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        return (pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)).astype(
            np.float32
        )
