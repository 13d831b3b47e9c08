"""Texts embedded from the ONNX export agree with the torch model, without loading it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from retrieval.embedding.model import SentenceEmbeddings, bundled_model_path, load_model
from retrieval.embedding.onnx_encoder import (
    OnnxEncoder,
    export_onnx,
    length_batches,
    mean_pooled,
    onnx_path,
)

QUESTIONS = [
    "What did Russia propose?",
    "Who led the Ukrainian delegation at the talks in Istanbul on Monday?",
    "ceasefire",
]


@pytest.fixture(scope="module")
def exported(model: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled model exported once, where SentenceEmbeddings looks for it."""
    folder = tmp_path_factory.mktemp("models")
    target = onnx_path(bundled_model_path(), folder)
    export_onnx(model[0].auto_model, target)
    return folder


def test_the_bundled_model_is_of_the_shape_the_encoder_reproduces() -> None:
    assert mean_pooled(bundled_model_path())


def _model_dir(folder: Path, pooling: dict[str, Any], transformer_path: str = "") -> Path:
    modules = [
        {"idx": 0, "name": "0", "path": transformer_path, "type": "x.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "x.Pooling"},
    ]
    (folder / "1_Pooling").mkdir(parents=True)
    (folder / "modules.json").write_text(json.dumps(modules))
    (folder / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    return folder


@pytest.mark.parametrize(
    ("pooling", "expected"),
    [
        ({"pooling_mode": "mean", "include_prompt": True}, True),  # sentence-transformers 6
        ({"pooling_mode": "cls"}, False),
        ({"pooling_mode_mean_tokens": True, "pooling_mode_cls_token": False}, True),
        ({"pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": True}, False),
    ],
)
def test_pooling_configurations_old_and_new_are_read(
    tmp_path: Path, pooling: dict[str, Any], expected: bool
) -> None:
    assert mean_pooled(_model_dir(tmp_path, pooling)) is expected


def test_exported_vectors_agree_with_the_torch_model(
    exported: Path, embeddings: SentenceEmbeddings
) -> None:
    encoder = OnnxEncoder(onnx_path(bundled_model_path(), exported), bundled_model_path())
    onnx = encoder.encode(QUESTIONS)
    torch = embeddings.encode(QUESTIONS)  # bfloat16 where the CPU has it, as stored sentences
    assert onnx.shape == torch.shape
    assert np.allclose(np.linalg.norm(onnx, axis=1), 1.0, atol=1e-5)
    assert float((onnx * torch).sum(axis=1).min()) > 0.999


def test_questions_do_not_load_the_model_once_it_is_exported(exported: Path) -> None:
    loads: list[int] = []

    def loader() -> Any:
        loads.append(1)
        return load_model()

    embeddings = SentenceEmbeddings(loader, model_dir=bundled_model_path(), query_cache=exported)
    vectors = embeddings.encode_query(QUESTIONS)
    assert vectors.shape == (3, 384) and loads == []


def test_without_an_export_the_first_load_makes_one(tmp_path: Path, model: Any) -> None:
    embeddings = SentenceEmbeddings(
        lambda: model, model_dir=bundled_model_path(), query_cache=tmp_path
    )
    embeddings.encode(["A sentence being ingested."])  # loads the model: the export follows
    assert onnx_path(bundled_model_path(), tmp_path).exists()


def test_a_model_whose_export_drops_an_input_still_encodes(tmp_path: Path) -> None:
    """The bench's stand-in has no attention layers, so its export has no mask input."""
    from bot.evaluation.synthetic import standin_model

    folder = standin_model(tmp_path / "standin")
    embeddings = SentenceEmbeddings(
        lambda: load_model(str(folder)), model_dir=folder, query_cache=tmp_path / "models"
    )
    torch_vectors = embeddings.encode(QUESTIONS)  # loads the model, which exports it
    assert onnx_path(folder, tmp_path / "models").exists()
    onnx_vectors = OnnxEncoder(onnx_path(folder, tmp_path / "models"), folder).encode(QUESTIONS)
    assert float((onnx_vectors * torch_vectors).sum(axis=1).min()) > 0.999


LONG = " ".join(
    f"Delegates met for round {i} in Istanbul and agreed to exchange prisoners." for i in range(40)
)
DOCUMENTS = [*QUESTIONS, LONG, "Short.", LONG[:600], "The ceasefire held overnight in Kharkiv."]


@pytest.mark.parametrize(
    ("lengths", "budget", "most"),
    [([5, 300, 7, 7, 120, 9, 64], 256, 4), ([1] * 10, 100, 3), ([50, 40, 30], 10, 8), ([], 8, 2)],
)
def test_length_batches_cover_every_text_once_within_the_budget(
    lengths: list[int], budget: int, most: int
) -> None:
    batches = length_batches(lengths, budget, most)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    for batch in batches:
        assert len(batch) <= most
        assert len(batch) == 1 or len(batch) * max(lengths[i] for i in batch) <= budget


def test_briefings_are_embedded_from_the_export_without_loading_the_model(
    exported: Path, embeddings: SentenceEmbeddings
) -> None:
    loads: list[int] = []

    def loader() -> Any:
        loads.append(1)
        return load_model()

    onnx = SentenceEmbeddings(
        loader, model_dir=bundled_model_path(), query_cache=exported, backend="onnx"
    )
    vectors = onnx.encode(DOCUMENTS)  # sorted by length into batches, returned in order
    expected = embeddings.encode(DOCUMENTS)
    assert float((vectors * expected).sum(axis=1).min()) > 0.999
    assert onnx.token_counts(DOCUMENTS) == embeddings.token_counts(DOCUMENTS)
    assert onnx.max_tokens == embeddings.max_tokens and onnx.dimension == 384
    assert loads == []


def test_the_torch_backend_keeps_the_vectors_of_before(exported: Path, model: Any) -> None:
    before = SentenceEmbeddings(model, precision="float32").encode(DOCUMENTS)
    kept = SentenceEmbeddings(
        lambda: model,
        precision="float32",
        model_dir=bundled_model_path(),
        query_cache=exported,
        backend="torch",
    )
    assert np.array_equal(kept.encode(DOCUMENTS), before)
    assert kept.documents is None
