"""The reader run by onnxruntime: exported once from the trained weights, optionally int8.

torch scores 20 candidates in about 0.3 s here; onnxruntime with dynamic int8 quantisation of
the weights (the linear layers' weights in int8, activations quantised on the fly) does the same
in a fraction of that (measured in docs/reader.md, with its cost in quality). The export is made
locally from the shipped float16 weights by the first process that needs it, kept in a cache
folder and named by the weights' hash, as the question encoder's export is.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.embedding.onnx_encoder import cpu_session

log = logging.getLogger(__name__)

ONNX_OPSET = 17


def export_reader(model: Any, target: Path, *, int8: bool) -> None:
    """Export a loaded reader (token ids -> one logit per pair) to target; with int8, its
    weights dynamically quantised. Written aside and renamed: another process may load it."""
    import torch

    class Logits(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, ids: Any, mask: Any, types: Any) -> Any:
            return self.inner(input_ids=ids, attention_mask=mask, token_type_ids=types).logits

    target.parent.mkdir(parents=True, exist_ok=True)
    sample = torch.ones((2, 8), dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    fd, plain = tempfile.mkstemp(suffix=".onnx", dir=target.parent)
    os.close(fd)
    quantised = plain.removesuffix(".onnx") + "-int8.onnx"
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the tracer's notes on shapes it fixes
            torch.onnx.export(
                Logits(model.eval().float()),
                (sample, sample, torch.zeros_like(sample)),
                plain,
                input_names=["ids", "mask", "types"],
                output_names=["logits"],
                dynamic_axes={"ids": axes, "mask": axes, "types": axes, "logits": {0: "batch"}},
                opset_version=ONNX_OPSET,
                dynamo=False,
            )
        if int8:
            from onnxruntime.quantization import QuantType, quantize_dynamic

            logging.disable(logging.WARNING)  # its advice to pre-process, printed on the root
            try:
                quantize_dynamic(plain, quantised, weight_type=QuantType.QInt8)
            finally:
                logging.disable(logging.NOTSET)
            os.replace(quantised, target)
        else:
            os.replace(plain, target)
    finally:
        Path(plain).unlink(missing_ok=True)
        Path(quantised).unlink(missing_ok=True)
    log.info("exported the reader (%s) to %s", "int8" if int8 else "float32", target)


class OnnxReaderSession:
    """Logits for (question, passage) pairs from an exported reader; thread-safe."""

    def __init__(self, onnx_file: Path, base_model: Path, max_length: int, threads: int) -> None:
        from tokenizers import Tokenizer

        self._session = cpu_session(onnx_file, threads)
        tokenizer = Tokenizer.from_file(str(base_model / "tokenizer.json"))
        tokenizer.enable_truncation(max_length=max_length, strategy="only_second")
        tokenizer.enable_padding()
        self._tokenizer = tokenizer
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._lock = threading.Lock()  # the tokenizer's padding settings are shared state

    def logits(self, question: str, passages: Sequence[str]) -> np.ndarray:
        """One logit per passage, in order (one batch: the caller sorts by length)."""
        with self._lock:
            encodings = self._tokenizer.encode_batch([(question, p) for p in passages])
        feed = {
            "ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "types": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }
        (out,) = self._session.run(["logits"], {k: v for k, v in feed.items() if k in self._inputs})
        return np.asarray(out, dtype=np.float32).reshape(-1)
