"""Sentence embeddings from a local sentence-transformers model, offline only."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal, cast

import numpy as np
from langchain_core.embeddings import Embeddings

from retrieval.embedding.bundled import bundled_model_path
from retrieval.embedding.onnx_encoder import (
    OnnxEncoder,
    export_in_child,
    export_onnx,
    mean_pooled,
    onnx_path,
    quantise,
    quantised_path,
)

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

BATCH_SIZE = 64
SPECIAL_TOKENS = 2  # [CLS] and [SEP] around every text the model reads
# Texts embedded per hold of the model (see SentenceEmbeddings.encode): four model batches.
SLICE = 4 * BATCH_SIZE

Precision = Literal["auto", "float32", "bfloat16"]
# Who embeds briefings: "onnx", the ONNX export the questions use (bounded memory, no torch in
# the process once the export exists); "int8", an int8 copy of it that questions use too (faster,
# other vectors); or "torch", sentence-transformers as before, whose vectors "onnx" matches to
# cosine 0.99999.
Backend = Literal["onnx", "int8", "torch"]


def cpu_count() -> int:
    """Cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def cpu_has_bfloat16() -> bool:
    """Whether this CPU multiplies bfloat16 natively (AVX-512 BF16 or AMX), so it is faster."""
    import torch

    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):  # an older or unusual torch build: stay on float32
        return False


def load_model(name_or_path: str | Path | None = None, device: str = "cpu") -> SentenceTransformer:
    """Load a sentence-transformers model from disk; never reaches the network."""
    # A path, never a hub name to fetch: the entry points also switch the hub off
    # (bot.settings.use_offline_models), since huggingface_hub reads that when first imported.
    from sentence_transformers import SentenceTransformer

    path = str(name_or_path or bundled_model_path())
    log.info("loading embedding model from %s", path)
    return SentenceTransformer(path, device=device)


class SentenceEmbeddings(Embeddings):
    """LangChain `Embeddings` over a model: unit-length vectors, so cosine = dot.

    Takes a loaded model, or a function that loads it on first use (so commands that never
    embed, such as `briefbot list`, do not pay for loading it).

    `precision="auto"` computes in bfloat16 where the CPU does that natively: about 1.8x the
    speed of float32 here, with vectors at cosine 0.99998 to the float32 ones (README).

    With `backend="onnx"` and a model directory and cache to keep the export in, briefings are
    embedded from the ONNX export as questions are (onnx_encoder.py): torch is loaded only to
    make the export once, and memory stays bounded however much is ingested.
    """

    def __init__(
        self,
        model: SentenceTransformer | Callable[[], SentenceTransformer],
        batch_size: int = BATCH_SIZE,
        precision: Precision = "auto",
        *,
        model_dir: Path | None = None,
        query_cache: Path | None = None,
        backend: Backend = "onnx",
    ) -> None:
        self._model = None if callable(model) and not hasattr(model, "encode") else model
        self._loader = model if self._model is None else None
        self._lock = threading.Lock()
        # One caller at a time: the tokenizer keeps per-call padding and truncation settings in
        # shared state, so two threads (two uploads ingested at once, a question during an
        # ingest) made it fail with "Unable to create tensor". Two threads would not share
        # the two cores any faster than one anyway.
        self._busy = threading.Lock()
        self._exporting = threading.Lock()  # one export at a time
        self.batch_size = batch_size
        self.precision = precision
        self._bfloat16: bool | None = None
        # Questions go through an ONNX export of the model kept in query_cache (see
        # embedding/query_encoder.py), when the model's directory is known and of that shape.
        self._model_dir = model_dir
        self._onnx = (
            onnx_path(model_dir, query_cache)
            if model_dir is not None and query_cache is not None and mean_pooled(model_dir)
            else None
        )
        self._query_encoder: OnnxEncoder | None = None
        self.backend = backend
        self._document_encoder: OnnxEncoder | None = None
        self._dimension: int | None = None

    @property
    def uses_bfloat16(self) -> bool:
        """Whether encode computes in bfloat16 (decided once, on first use)."""
        if self._bfloat16 is None:
            self._bfloat16 = self.precision == "bfloat16" or (
                self.precision == "auto" and cpu_has_bfloat16()
            )
        return self._bfloat16

    @property
    def model(self) -> SentenceTransformer:
        """The model, loaded now if it was given as a loader."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    assert self._loader is not None
                    self._model = self._loader()
                    self._export_for_questions()
        return cast("SentenceTransformer", self._model)

    def _export_for_questions(self) -> None:
        """Export the model just loaded for the question path, if that has not been done."""
        if self._onnx is None or self._onnx.exists():
            return
        try:
            with self._busy:
                export_onnx(self._model[0].auto_model, self._onnx)  # type: ignore[index]
        except Exception:  # questions then use this model, only slower to start
            log.warning("could not export the model for questions", exc_info=True)

    def _exported(self) -> Path | None:
        """The ONNX export, made now if it is not there yet: by a child process where this
        one has not loaded the model (so that it never holds torch), else from the model."""
        if self._onnx is None:
            return None
        if not self._onnx.exists() and self._model is None:
            assert self._model_dir is not None
            with self._exporting:
                if not self._onnx.exists() and not export_in_child(self._model_dir, self._onnx):
                    _ = self.model  # loads the model, which exports it or says why not
        if not self._onnx.exists():
            self._onnx = None  # no export to be had: torch from now on, not a try per call
            return None
        if self.backend != "int8":
            return self._onnx
        target = quantised_path(self._onnx)
        with self._exporting:
            if not target.exists():
                quantise(self._onnx, target)
        return target

    def encode_query(self, texts: Sequence[str]) -> np.ndarray:
        """Embed questions (or topics): with the ONNX export when there is one, which spares a
        process that only answers questions from loading torch; else as encode() does."""
        if self._query_encoder is None and (exported := self._exported()) is not None:
            with self._lock:
                if self._query_encoder is None:
                    assert self._model_dir is not None
                    self._query_encoder = OnnxEncoder(exported, self._model_dir)
        if self._query_encoder is not None:
            return self._query_encoder.encode(texts)
        return self.encode(texts)

    @property
    def vector_kind(self) -> str:
        """What the vectors are: "int8" from the int8 export; "float32" from torch or the
        float32 export, which agree to cosine 0.99999 and so may share a store."""
        return "int8" if self.backend == "int8" else "float32"

    @property
    def documents(self) -> OnnxEncoder | None:
        """The ONNX encoder for briefings (all cores, no memory arena), or None where they go
        through torch: backend "torch", or no export possible."""
        if self.backend == "torch" or self._document_encoder is not None:
            return self._document_encoder
        exported = self._exported()
        if exported is not None:
            with self._lock:
                if self._document_encoder is None:
                    assert self._model_dir is not None
                    self._document_encoder = OnnxEncoder(
                        exported, self._model_dir, threads=cpu_count(), arena=False
                    )
        return self._document_encoder

    @property
    def max_tokens(self) -> int:
        """Word pieces the model reads; anything longer is never embedded."""
        if (documents := self.documents) is not None:
            return documents.max_tokens
        return int(self.model.max_seq_length or 256)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts as a (n, dim) float32 array of unit vectors."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if (documents := self.documents) is not None:
            # Questions have a session of their own (encode_query), so they never wait for
            # this; all texts at once are sorted by length into the fewest padded batches.
            return documents.encode(texts)
        import torch

        model, parts = self.model, []
        # The model is held for one slice at a time, so a question asked during a large ingest
        # waits for a slice (a few seconds at most), not for the whole ingest batch.
        for start in range(0, len(texts), SLICE):
            # Autocast keeps the weights in float32 and runs the matrix products in bfloat16.
            with (
                self._busy,
                torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.uses_bfloat16),
            ):
                parts.append(
                    model.encode(
                        list(texts[start : start + SLICE]),
                        batch_size=self.batch_size,
                        normalize_embeddings=True,
                        convert_to_numpy=True,
                        show_progress_bar=False,
                    )
                )
        vectors = np.concatenate(parts).astype(np.float32, copy=False)
        # Normalised again in float32, so that cosine = dot holds to float32 precision.
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)

    @property
    def dimension(self) -> int:
        """Length of one embedding vector."""
        if self._dimension is None:
            if (documents := self.documents) is not None:
                self._dimension = int(documents.encode(["dimension"]).shape[1])
            else:
                self._dimension = self._model_dimension()
        return self._dimension

    def _model_dimension(self) -> int:
        model = self.model
        # sentence-transformers 6 renamed the method; older releases only have the first name.
        dimension = getattr(model, "get_embedding_dimension", None) or (
            model.get_sentence_embedding_dimension
        )
        return int(dimension() or 384)

    def count_tokens(self, text: str) -> int:
        """Number of word pieces the model reads for text, special tokens included."""
        return self.token_counts([text])[0] + SPECIAL_TOKENS

    def token_counts(self, texts: Sequence[str]) -> list[int]:
        """Word pieces of each text, without special tokens, in one tokenizer call. WordPiece
        splits at white space first, so texts joined by white space have the sum of these."""
        if not texts:
            return []
        if (documents := self.documents) is not None:
            return documents.token_counts(texts)
        model = self.model
        with self._busy:
            found = model.tokenizer(list(texts), add_special_tokens=False, truncation=False)
        return [len(ids) for ids in found["input_ids"]]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed documents for the vector store."""
        return self.encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        """Embed one question."""
        return self.encode_query([text])[0].tolist()
