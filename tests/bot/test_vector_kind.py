"""A store holds one kind of vectors: an int8 store is never asked with float32 questions."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.services import build_services
from bot.settings import Settings
from retrieval.errors import BriefbotError


def _settings(data: Path, backend: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=data,
        chroma_host="",
        embedding_backend=backend,  # type: ignore[arg-type]
    )


def test_a_float32_store_refuses_the_int8_backend_with_the_fix(
    tmp_path: Path, sample_data_dir: Path
) -> None:
    data = tmp_path / "data"
    shutil.copytree(sample_data_dir, data)  # a store with a briefing, made before the record
    with pytest.raises(BriefbotError) as refused:
        build_services(_settings(data, "int8"))
    message = str(refused.value)
    assert "float32" in message and "EMBEDDING_BACKEND=onnx" in message
    for backend in ("onnx", "torch"):  # the float32 kinds share a store
        build_services(_settings(data, backend)).close()


def test_a_new_store_takes_the_kind_of_its_first_backend(tmp_path: Path) -> None:
    build_services(_settings(tmp_path / "data", "int8")).close()  # the model is not loaded
    with pytest.raises(BriefbotError, match="EMBEDDING_BACKEND=int8"):
        build_services(_settings(tmp_path / "data", "onnx"))
