"""`briefbot bench`: speed and memory, every figure beside a baseline measured in the same run.

The baseline is the design card's stack used plainly (bench_worker.py). Measured:

- ingest with the real model (the bundled all-MiniLM-L6-v2) on a documents.jsonl: sentences/s
  and word pieces/s of the input text, what spaCy's parse (who said and did what) adds to
  briefbot's ingest time, and the ingesting process's peak memory, there and on a larger input
  (`large`): memory that stays level as the input grows is bounded;
- at each corpus size (sentences, built from the documents' sentences with the tiny stand-in
  model of synthetic.py, as the table says; briefbot's as a bulk import, `Ingester.bulk`): the
  time to build the store, question p50 and p95, a new process's start to its
  first answer, a question right after one more briefing, peak memory of that process, and the
  store's size on disk.

Every step runs in a process of its own, so start-up and memory are its own.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.evaluation.metrics import percentile
from bot.evaluation.synthetic import corpus, sentence_pool, standin_model
from bot.settings import child_environment
from retrieval.embedding.model import bundled_model_path
from retrieval.embedding.onnx_encoder import onnx_path

SYSTEMS = ("briefbot", "baseline")


@dataclass(frozen=True)
class Figure:
    """One row of the bench table: a measure for briefbot and for the baseline."""

    label: str
    briefbot: float | None
    baseline: float | None
    unit: str

    def cells(self) -> tuple[str, str, str]:
        """The two figures as printed, and briefbot's as a multiple of the baseline's."""

        def show(value: float | None) -> str:
            if value is None:
                return "n/a"
            if self.unit == "ms":
                return f"{value * 1000:.0f} ms"
            if self.unit == "s":
                return f"{value:.1f} s"
            if self.unit == "MB":
                return f"{value / 1e6:.0f} MB"
            return f"{value:.0f} {self.unit}"

        ratio = (
            f"{self.briefbot / self.baseline:.2f}x"
            if self.briefbot is not None and self.baseline
            else ""
        )
        return show(self.briefbot), show(self.baseline), ratio


def _worker(step: str, system: str, args: dict[str, Any]) -> tuple[dict[str, Any], float]:
    """Run one step in a new process; its result and the time the process was started."""
    env = child_environment()
    started = time.time()
    done = subprocess.run(
        [sys.executable, "-m", "bot.evaluation.bench_worker", step, system, json.dumps(args)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench step {step} {system} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1]), started


def _size_on_disk(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _vector_index_size(folder: Path) -> int:
    """Bytes of Chroma's HNSW index files (one folder per collection segment), which Chroma
    holds in memory once a collection is queried."""
    chroma = folder / "chroma"
    return sum(_size_on_disk(p) for p in chroma.iterdir() if p.is_dir()) if chroma.is_dir() else 0


def _write_jsonl(path: Path, briefings: Any) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as f:
        for b in briefings:
            day = b.published.isoformat() if b.published else None
            row = {"id": b.id, "title": b.title, "text": b.text, "date": day, "url": b.url}
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    return count


def _questions(documents: Path, count: int, seed: int = 7) -> list[str]:
    path = documents.with_name("questions.jsonl")
    if not path.exists():
        return ["What happened?", "Who said it?", "When did the talks end?"]
    with path.open(encoding="utf-8") as f:
        asked = [json.loads(line)["question"] for line in f if line.strip()]
    return random.Random(seed).sample(asked, min(count, len(asked)))


def _word_pieces(documents: Path) -> int:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(bundled_model_path() / "tokenizer.json"))
    tokenizer.no_truncation()
    with documents.open(encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in f if line.strip()]
    return sum(len(e.ids) for e in tokenizer.encode_batch(texts, add_special_tokens=False))


def run_bench(
    documents: Path,
    *,
    sizes: Sequence[int] = (10_000, 100_000),
    questions: int = 200,
    ingest_documents: int | None = None,
    large: Path | None = None,
    large_documents: int | None = None,
    work: Path | None = None,
    progress: Callable[[str], None] = lambda stage: None,
) -> list[Figure]:
    """Measure everything; the rows of the bench table in order."""
    with tempfile.TemporaryDirectory(prefix="briefbot-bench-", dir=work) as tmp:
        folder = Path(tmp)
        figures = _ingest_figures(documents, folder, ingest_documents, progress)
        if large is not None:
            figures.append(_large_figure(large, folder, large_documents, progress))
        model = str(standin_model(folder / "standin"))
        pool = sentence_pool(documents)
        asked = _questions(documents, questions)
        extra = folder / "extra.jsonl"
        _write_jsonl(extra, corpus(pool, 20, seed=99, prefix="extra"))
        grown: list[tuple[int, dict[str, dict[str, Any]]]] = []
        for size in sizes:
            found, results = _size_figures(size, folder, model, pool, asked, extra, progress)
            figures += found
            grown.append((size, results))
        if len(grown) >= 2:
            (small, first), (biggest, last) = grown[0], grown[-1]
            per = 100_000 / (biggest - small)

            def growth(key: str, scale: float = 1.0) -> tuple[float, float]:
                ours, theirs = ((last[s][key] - first[s][key]) * scale * per for s in SYSTEMS)
                return ours, theirs

            figures += [
                Figure("peak memory growth per 100k sentences", *growth("max_rss_kb", 1024), "MB"),
                Figure("Chroma's HNSW index growth per 100k sentences", *growth("index"), "MB"),
            ]
        return figures


def _first_documents(documents: Path, folder: Path, limit: int | None, name: str) -> Path:
    """documents, or a copy of its first `limit` documents in folder."""
    if limit is None:
        return documents
    source = folder / name
    with documents.open(encoding="utf-8") as f, source.open("w", encoding="utf-8") as out:
        kept = 0
        for line in f:
            if line.strip() and kept < limit:
                out.write(line)
                kept += 1
    return source


def _share_exports(folder: Path, data: Path, model: str) -> None:
    """Give a new data directory the export of `model` an earlier step made (DATA_DIR/models),
    so that each step does not export the model again in a child process of its own (seconds
    not measured, but waited for)."""
    name = onnx_path(Path(model), data / "models").name
    made = next(iter(folder.glob(f"*/models/{name}")), None)
    if made is not None and not (data / "models" / name).exists():
        (data / "models").mkdir(parents=True, exist_ok=True)
        shutil.copy(made, data / "models" / name)


def _ingest(source: Path, folder: Path, tag: str, *, before: bool = False) -> dict[str, Any]:
    """Each system's ingest of source with the real model, in a process of its own; with
    `before`, briefbot's also as it embedded before issue 24 (EMBEDDING_BACKEND=torch)."""
    model = str(bundled_model_path())
    runs = [(system, system, "onnx") for system in SYSTEMS]
    if before:
        runs.append(("torch", "briefbot", "torch"))
    results = {}
    for name, system, backend in runs:
        if system == "briefbot":
            _share_exports(folder, folder / f"{tag}-{name}", model)
        args = {
            "data": str(folder / f"{tag}-{name}"),
            "model": model,
            "documents": str(source),
            "backend": backend,
        }
        results[name], _ = _worker("ingest", system, args)
    return results


def _ingest_figures(
    documents: Path, folder: Path, limit: int | None, progress: Callable[[str], None]
) -> list[Figure]:
    source = _first_documents(documents, folder, limit, "ingest.jsonl")
    pieces = _word_pieces(source)
    progress("ingest with the real model")
    results = _ingest(source, folder, "ingest", before=True)
    seconds = {name: results[name]["seconds"] for name in results}
    sentences = results["briefbot"]["sentences"]
    parsing = results["briefbot"]["parsing"]
    return [
        Figure(
            f"ingest, real model: sentences/s ({sentences} sentences)",
            sentences / seconds["briefbot"],
            sentences / seconds["baseline"],
            "/s",
        ),
        Figure(
            f"ingest, real model: word pieces/s ({pieces} in the text)",
            pieces / seconds["briefbot"],
            pieces / seconds["baseline"],
            "/s",
        ),
        Figure(
            "ingest, real model: sentences/s, and in the baseline column briefbot's with "
            "EMBEDDING_BACKEND=torch (as before issue 24)",
            sentences / seconds["briefbot"],
            sentences / seconds["torch"],
            "/s",
        ),
        Figure(
            "ingest, real model: briefbot's seconds, and in the baseline column the same "
            "without the spaCy parse (the ratio is what parsing adds)",
            seconds["briefbot"],
            seconds["briefbot"] - parsing,
            "s",
        ),
        Figure(
            f"ingest, real model: peak memory ({source.stat().st_size / 1e6:.1f} MB of documents)",
            results["briefbot"]["max_rss_kb"] * 1024,
            results["baseline"]["max_rss_kb"] * 1024,
            "MB",
        ),
    ]


def _large_figure(
    documents: Path, folder: Path, limit: int | None, progress: Callable[[str], None]
) -> Figure:
    source = _first_documents(documents, folder, limit, "large.jsonl")
    progress(f"ingest with the real model: {source.stat().st_size / 1e6:.1f} MB")
    results = _ingest(source, folder, "large")
    sentences = results["briefbot"]["sentences"]
    return Figure(
        f"ingest, real model: peak memory, large input ({source.stat().st_size / 1e6:.1f} MB, "
        f"{sentences:,} sentences)",
        results["briefbot"]["max_rss_kb"] * 1024,
        results["baseline"]["max_rss_kb"] * 1024,
        "MB",
    )


def _size_figures(
    size: int,
    folder: Path,
    model: str,
    pool: Sequence[tuple[str, str]],
    asked: Sequence[str],
    extra: Path,
    progress: Callable[[str], None],
) -> tuple[list[Figure], dict[str, dict[str, Any]]]:
    texts = folder / f"corpus-{size}.jsonl"
    _write_jsonl(texts, corpus(pool, size))
    results: dict[str, dict[str, Any]] = {}
    for system in SYSTEMS:
        data = folder / f"{system}-{size}"
        if system == "briefbot":
            _share_exports(folder, data, model)
        progress(f"{size:,} sentences: building the {system} store")
        built, _ = _worker(
            "build", system, {"data": str(data), "model": model, "corpus": str(texts)}
        )
        progress(f"{size:,} sentences: asking the {system} store")
        args = {"data": str(data), "model": model, "questions": list(asked), "extra": str(extra)}
        result, started = _worker("query", system, args)
        result["first"] = result["first_answer_at"] - started
        result["disk"] = _size_on_disk(data)
        result["index"] = _vector_index_size(data)
        result["built"] = built["seconds"]
        results[system] = result

    def pair(key: str) -> tuple[float, float]:
        return results["briefbot"][key], results["baseline"][key]

    def times(q: float) -> tuple[float, float]:
        return percentile(results["briefbot"]["times"], q), percentile(
            results["baseline"]["times"], q
        )

    tag = f"{size:,} sentences (stand-in model)"
    return (
        [
            Figure(
                f"{tag}: store built (briefbot: a bulk import, parse left unread)",
                *pair("built"),
                "s",
            ),
            Figure(f"{tag}: question p50", *times(50), "ms"),
            Figure(f"{tag}: question p95", *times(95), "ms"),
            Figure(f"{tag}: process start to first answer", *pair("first"), "s"),
            Figure(
                f"{tag}: question right after one more briefing", *pair("after_new_briefing"), "ms"
            ),
            Figure(
                f"{tag}: peak memory of that process",
                results["briefbot"]["max_rss_kb"] * 1024,
                results["baseline"]["max_rss_kb"] * 1024,
                "MB",
            ),
            Figure(f"{tag}: store on disk", *pair("disk"), "MB"),
        ],
        results,
    )
