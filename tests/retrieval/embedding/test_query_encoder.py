"""Questions embedded from the ONNX export agree with the torch model, without loading it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from retrieval.embedding.model import SentenceEmbeddings, bundled_model_path, load_model
from retrieval.embedding.query_encoder import QueryEncoder, export_onnx, mean_pooled, onnx_path

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
    encoder = QueryEncoder(onnx_path(bundled_model_path(), exported), bundled_model_path())
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
    onnx_vectors = QueryEncoder(onnx_path(folder, tmp_path / "models"), folder).encode(QUESTIONS)
    assert float((onnx_vectors * torch_vectors).sum(axis=1).min()) > 0.999
