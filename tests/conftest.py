"""Real components for every test: the bundled model (once), Chroma (embedded and a server), pages.

The page server (tests/ingest/pageserver.py) serves URL ingest in tests/ingest and tests/bot.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.settings import use_offline_models
from ingest.pipeline import Ingester
from retrieval.answering.answer import build_answer_chain
from retrieval.embedding.model import SentenceEmbeddings, load_model
from retrieval.index.catalogue import Catalogue
from retrieval.index.chroma_client import ChromaHandle, open_embedded
from retrieval.index.store import BriefingStore
from retrieval.ranking.search import HybridSearcher
from tests.ingest.pageserver import PageServer

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "2025-06-02-istanbul-talks.txt"
CHROMA_BIN = Path(sys.executable).parent / "chroma"
use_offline_models()  # the test session is an entry point: models load from disk only


@pytest.fixture(scope="session")
def model():  # type: ignore[no-untyped-def]
    """The bundled all-MiniLM-L6-v2, loaded once per test session."""
    return load_model()


@pytest.fixture(scope="session")
def model_exports(model, tmp_path_factory: pytest.TempPathFactory) -> Path:  # type: ignore[no-untyped-def]
    """A DATA_DIR/models folder holding the bundled model's ONNX export, made once from the
    loaded model: copy it into a data directory to spare a process the export in a child."""
    from retrieval.embedding.model import bundled_model_path
    from retrieval.embedding.onnx_encoder import export_onnx, onnx_path

    folder = tmp_path_factory.mktemp("models")
    export_onnx(model[0].auto_model, onnx_path(bundled_model_path(), folder))
    return folder


@pytest.fixture(scope="session")
def embeddings(model) -> SentenceEmbeddings:  # type: ignore[no-untyped-def]
    return SentenceEmbeddings(model)


@pytest.fixture
def chroma(tmp_path: Path) -> Iterator[ChromaHandle]:
    """An embedded Chroma store in a fresh temporary directory."""
    handle = open_embedded(tmp_path / "chroma")
    yield handle
    handle.close()


@pytest.fixture
def catalogue(tmp_path: Path) -> Iterator[Catalogue]:
    """The catalogue (registry and lexical index) in a fresh temporary directory."""
    opened = Catalogue(tmp_path / "catalogue.db")
    yield opened
    opened.close()


@pytest.fixture
def store(
    chroma: ChromaHandle, embeddings: SentenceEmbeddings, catalogue: Catalogue
) -> BriefingStore:
    return BriefingStore(chroma.client, embeddings, catalogue)


@pytest.fixture
def ingester(store: BriefingStore) -> Ingester:
    return Ingester(store)


@pytest.fixture
def searcher(store: BriefingStore) -> HybridSearcher:
    return HybridSearcher(store)


@pytest.fixture
def chain(searcher: HybridSearcher):  # type: ignore[no-untyped-def]
    return build_answer_chain(searcher)


@pytest.fixture
def page_server() -> Iterator[PageServer]:
    """A fresh page server on 127.0.0.1 with no routes; stopped (and handlers released) after."""
    with PageServer() as server:
        yield server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def started_chroma(command: list[str], **options: Any) -> subprocess.Popen[str]:
    """Start a process that runs a Chroma server; return it once the server says it listens
    (fails the test with the server's last lines if it does not within a minute)."""
    env = {**os.environ, "NO_COLOR": "1", "ANONYMIZED_TELEMETRY": "False", **options.pop("env", {})}
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, **options
    )
    ready = threading.Event()
    lines: list[str] = []

    def watch() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if re.search(r"listening on address", re.sub(r"\x1b\[[0-9;]*m", "", line)):
                ready.set()
        ready.set()  # the process ended: stop waiting, the check below reports it

    threading.Thread(target=watch, daemon=True).start()
    if not ready.wait(timeout=60) or proc.poll() is not None:
        proc.kill()
        pytest.fail("the Chroma server did not start:\n" + "".join(lines[-20:]))
    return proc


def stop(proc: subprocess.Popen[str]) -> None:
    """Terminate a process, killing it if it does not end within 20 seconds."""
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """A real `chroma run` server on 127.0.0.1; ready once it says it is listening."""
    path = tmp_path_factory.mktemp("chroma-server")
    port = free_port()
    proc = started_chroma(
        [str(CHROMA_BIN), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)]
    )
    try:
        yield ("127.0.0.1", port)
    finally:
        stop(proc)
