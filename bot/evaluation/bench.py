"""`briefbot bench`: how long ingest and questions take, on a .jsonl corpus in a temporary store."""

from __future__ import annotations

import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.evaluation.metrics import percentile
from bot.services import Services, build_services
from bot.settings import Settings
from ingest.loaders import load_jsonl


@dataclass(frozen=True)
class BenchReport:
    """Timings of one bench run."""

    documents: int
    sentences: int
    model_seconds: float
    ingest_seconds: float
    questions: int
    p50: float
    p95: float

    def lines(self) -> list[str]:
        """The report as printable lines."""
        return [
            f"model load      {self.model_seconds:8.1f} s",
            f"ingest          {self.ingest_seconds:8.1f} s  ({self.documents} documents, "
            f"{self.sentences} sentences, {self.sentences / self.ingest_seconds:.0f} sentences/s)",
            f"question p50    {self.p50:8.3f} s  ({self.questions} questions)",
            f"question p95    {self.p95:8.3f} s",
        ]


def questions_beside(documents: Path, count: int, seed: int = 7) -> list[str]:
    """A seeded sample of questions from questions.jsonl next to documents, if there is one."""
    path = documents.with_name("questions.jsonl")
    if not path.exists():
        return ["What happened?", "Who said it?", "When did the talks end?"]
    with path.open() as f:
        asked = [json.loads(line)["question"] for line in f if line.strip()]
    return random.Random(seed).sample(asked, min(count, len(asked)))


def run_bench(
    documents: Path,
    settings: Settings,
    questions: int = 200,
    model: Any = None,
    build: Callable[..., Services] = build_services,
) -> BenchReport:
    """Ingest documents into a fresh temporary store, then time questions over it."""
    briefings = load_jsonl(documents)
    with tempfile.TemporaryDirectory(prefix="briefbot-bench-") as tmp:
        local = settings.model_copy(update={"data_dir": Path(tmp), "chroma_host": ""})
        services = build(local, model=model) if model is not None else build(local)
        try:
            started = time.perf_counter()
            services.store.embeddings.encode(["warm up"])
            model_seconds = time.perf_counter() - started
            started = time.perf_counter()
            sentences = sum(r.sentence_count for r in services.ingester.ingest_many(briefings))
            ingest_seconds = time.perf_counter() - started
            times = []
            for question in questions_beside(documents, questions):
                started = time.perf_counter()
                services.ask(question)
                times.append(time.perf_counter() - started)
        finally:
            services.close()
    return BenchReport(
        documents=len(briefings),
        sentences=sentences,
        model_seconds=model_seconds,
        ingest_seconds=ingest_seconds,
        questions=len(times),
        p50=statistics.median(times),
        p95=percentile(times, 95),
    )
