"""Texts embedded with onnxruntime and tokenizers instead of torch and sentence-transformers.

Importing sentence-transformers alone takes about 5 s (it pulls in transformers and torch) and
holds about 0.4 GB; a process that answers questions, or ingests once the export exists, needs
none of it. The model is exported to ONNX once, locally, by the first process that loads it
(`export_onnx`), and kept beside the data; later processes load that file in a fraction of a
second. The vectors agree with the torch model's to cosine 0.99999 (float32, the same mean
pooling), so texts embedded here meet texts embedded there.

Memory stays bounded however many texts are embedded: texts are sorted by length and batched
by word pieces (`TOKEN_BUDGET`: a batch of long chunk windows holds fewer texts than one of
short sentences, so attention's buffers never exceed one size), and onnxruntime's memory arena
is off, so a batch's buffers are returned once it is done instead of kept at the peak.
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


def quantised_path(onnx_file: Path) -> Path:
    """Where the int8 copy of an export is kept: beside it."""
    return onnx_file.with_name(f"{onnx_file.stem}-int8.onnx")


def quantise(onnx_file: Path, target: Path) -> None:
    """An int8 copy of an export (dynamic quantisation of its weights, after onnxruntime's
    transformer graph fusions where the model is a BERT): about 2x the speed on this CPU,
    vectors at cosine 0.96 to the float32 ones, so a store must not mix the two."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    fd, fused = tempfile.mkstemp(suffix=".onnx", dir=target.parent)
    os.close(fd)
    fd, tmp = tempfile.mkstemp(suffix=".onnx", dir=target.parent)
    os.close(fd)
    try:
        source = onnx_file
        try:
            from onnxruntime.transformers import optimizer

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                optimizer.optimize_model(
                    str(onnx_file), model_type="bert", opt_level=1
                ).save_model_to_file(fused)
            source = Path(fused)
        except Exception:  # not a BERT the optimiser knows: quantise the plain graph
            log.info("no transformer fusions for %s", onnx_file, exc_info=True)
        logging.disable(logging.WARNING)  # its advice to pre-process, on the root logger
        try:
            quantize_dynamic(
                str(source),
                tmp,
                weight_type=QuantType.QInt8,
                extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
            )
        finally:
            logging.disable(logging.NOTSET)
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)
        Path(fused).unlink(missing_ok=True)


def export_in_child(model_dir: Path, target: Path, timeout: float = 600.0) -> bool:
    """Export the model in model_dir to target from a process of its own, so that this one
    never imports torch (about 0.4 GB it would hold to the end); whether target now exists."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "retrieval.embedding.onnx_encoder", str(model_dir), str(target)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        log.warning("could not export the model: %s", done.stderr.strip()[-500:])
    return target.exists()


def cpu_session(onnx_file: Path, threads: int, *, arena: bool = True) -> Any:
    """An onnxruntime session on the CPU with `threads` threads that do not spin: threads
    that spin while waiting for work steal the core an ingest (or another process) is using,
    and a question is small enough not to need them. Without the arena, buffers go back to
    the system after each run (for inputs whose shapes vary run by run)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.enable_cpu_mem_arena = arena
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])


# Word pieces per batch (texts x the longest text's pieces, padding included): 16 sentences of
# 32 pieces, or 2 chunk windows of 256. Measured here on 482 squad texts: 512 embedded them in
# 7.4 s with a peak 0.09 GB above the model, 2,048 in 8.3 s with 0.31 GB (attention's buffers
# grow with texts x pieces squared, and small batches stay in the CPU's caches).
TOKEN_BUDGET = 512
MAX_BATCH = 64


def model_limit(model_dir: Path) -> int:
    """Word pieces the model reads (its sentence-transformers max_seq_length), 256 if unsaid."""
    try:
        return int(
            json.loads((model_dir / "sentence_bert_config.json").read_text())["max_seq_length"]
        )
    except (OSError, ValueError, KeyError, TypeError):
        return 256


def length_batches(lengths: Sequence[int], budget: int, most: int) -> list[list[int]]:
    """Positions of texts grouped into batches, shortest texts first: each batch at most `most`
    texts and, when it holds more than one, at most `budget` padded word pieces."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    batches: list[list[int]] = []
    for i in order:
        if batches:
            last = batches[-1]
            if len(last) < most and (len(last) + 1) * lengths[i] <= budget:
                last.append(i)
                continue
        batches.append([i])
    return batches


class OnnxEncoder:
    """Embeds texts with an exported model: unit vectors, thread-safe, bounded memory."""

    def __init__(
        self,
        onnx_file: Path,
        model_dir: Path,
        threads: int = 1,
        *,
        token_budget: int = TOKEN_BUDGET,
        arena: bool = True,
    ) -> None:
        from tokenizers import Tokenizer

        self._session = cpu_session(onnx_file, threads, arena=arena)
        self.max_tokens = model_limit(model_dir)
        tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        tokenizer.no_padding()
        self._counter = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._counter.no_padding()
        self._counter.no_truncation()
        tokenizer.enable_truncation(max_length=self.max_tokens)
        self._tokenizer = tokenizer
        self._pad = tokenizer.token_to_id("[PAD]") or 0
        self._budget = token_budget
        self._lock = threading.Lock()  # tokenizers' settings are shared state
        # The export drops inputs a model never reads (a model without attention layers has
        # no use for the mask), and onnxruntime refuses inputs the graph does not declare.
        self._inputs = {i.name for i in self._session.get_inputs()}

    def token_counts(self, texts: Sequence[str]) -> list[int]:
        """Word pieces of each text without special tokens, untruncated."""
        with self._lock:
            found = self._counter.encode_batch(list(texts), add_special_tokens=False)
        return [len(e.ids) for e in found]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors of the texts, (n, dim) float32, in the texts' order."""
        with self._lock:
            encodings = self._tokenizer.encode_batch(list(texts))
        ids = [e.ids for e in encodings]
        parts: dict[int, np.ndarray] = {}
        for batch in length_batches([len(i) for i in ids], self._budget, MAX_BATCH):
            vectors = self._run([ids[i] for i in batch])
            parts.update(zip(batch, vectors, strict=True))
        return np.stack([parts[i] for i in range(len(texts))]) if texts else np.zeros((0, 0))

    def _run(self, rows: list[list[int]]) -> np.ndarray:
        width = max(len(r) for r in rows)
        ids = np.full((len(rows), width), self._pad, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for i, row in enumerate(rows):
            ids[i, : len(row)] = row
            mask[i, : len(row)] = 1
        feed = {"ids": ids, "mask": mask, "types": np.zeros_like(ids)}
        (hidden,) = self._session.run(
            ["hidden"], {k: v for k, v in feed.items() if k in self._inputs}
        )
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        return (pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)).astype(
            np.float32
        )


def main(argv: Sequence[str]) -> int:
    """`python -m retrieval.embedding.onnx_encoder MODEL_DIR TARGET`: export_in_child's child."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(argv[0], device="cpu")
    export_onnx(model[0].auto_model, Path(argv[1]))
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
