"""One measured step of `briefbot bench`, in a process of its own (so start-up and peak memory
are its own): `python -m bot.evaluation.bench_worker STEP SYSTEM JSON-ARGS`.

    build   SYSTEM   store a corpus (.jsonl) in a fresh data directory (briefbot: a bulk import,
                     its parse left unread)
    query   SYSTEM   open that store as a new process does, answer the first question, then
                     the rest, then store one more briefing and answer once more
    ingest  SYSTEM   store documents with the real model (the model's loading not counted)

SYSTEM is `briefbot` (the normal services) or `baseline`: the design card's stack used plainly,
RecursiveCharacterTextSplitter(1000, 200) + HuggingFaceEmbeddings (the same model) +
Chroma.from_documents + similarity_search(k=4). The last line printed is a JSON object.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

from bot.settings import use_offline_models

BASELINE_COLLECTION = "baseline"
BASELINE_K = 4
BASELINE_BATCH = 5_000


def _settings(data: Path, model: str, backend: str = "onnx") -> Any:
    from bot.settings import Settings

    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=data,
        embedding_model=model,
        chroma_host="",
        embedding_backend=backend,  # type: ignore[arg-type]
    )


def _briefings(path: Path) -> list[Any]:
    from ingest.loaders import load_jsonl

    return load_jsonl(path)


def _baseline_store(data: Path, model: str) -> Any:
    from langchain_chroma import Chroma
    from langchain_huggingface import HuggingFaceEmbeddings

    embeddings = HuggingFaceEmbeddings(model=model, model_kwargs={"device": "cpu"})
    return Chroma(
        collection_name=BASELINE_COLLECTION,
        persist_directory=str(data / "chroma"),
        embedding_function=embeddings,
    )


def _baseline_documents(briefings: list[Any]) -> list[Any]:
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    return splitter.split_documents(
        [Document(page_content=b.text, metadata={"id": b.id, "title": b.title}) for b in briefings]
    )


def _add_in_batches(store: Any, documents: list[Any]) -> None:
    """Chroma refuses more than its max batch size (5,461 here) in one call."""
    for start in range(0, len(documents), BASELINE_BATCH):
        store.add_documents(documents[start : start + BASELINE_BATCH])


def build(system: str, args: dict[str, Any]) -> dict[str, Any]:
    """Store the corpus; seconds and what was stored."""
    data, model = Path(args["data"]), args["model"]
    briefings = _briefings(Path(args["corpus"]))
    started = time.perf_counter()
    if system == "briefbot":
        from bot.services import build_services

        services = build_services(_settings(data, model))
        try:
            stored = sum(r.sentence_count for r in services.ingester.bulk(briefings))
        finally:
            services.close()
        return {"seconds": time.perf_counter() - started, "sentences": stored}
    store = _baseline_store(data, model)
    documents = _baseline_documents(briefings)
    _add_in_batches(store, documents)
    return {"seconds": time.perf_counter() - started, "chunks": len(documents)}


def query(system: str, args: dict[str, Any]) -> dict[str, Any]:
    """First answer, warm answers, and the answer right after one more briefing."""
    data, model = Path(args["data"]), args["model"]
    questions = args["questions"]
    extra = _briefings(Path(args["extra"]))
    if system == "briefbot":
        from bot.services import build_services
        from retrieval.types import Question

        services = build_services(_settings(data, model))

        def ask(text: str) -> Any:
            return services.ask(Question(text))

        def add() -> None:
            list(services.ingester.ingest_many(extra))
    else:
        store = _baseline_store(data, model)

        def ask(text: str) -> Any:
            return store.similarity_search(text, k=BASELINE_K)

        def add() -> None:
            store.add_documents(_baseline_documents(extra))

    ask(questions[0])
    first_answer_at = time.time()
    times = []
    for text in questions[1:]:
        started = time.perf_counter()
        ask(text)
        times.append(time.perf_counter() - started)
    add()
    started = time.perf_counter()
    ask(questions[0])
    after_new = time.perf_counter() - started
    return {
        "first_answer_at": first_answer_at,
        "times": times,
        "after_new_briefing": after_new,
        "max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }


def ingest(system: str, args: dict[str, Any]) -> dict[str, Any]:
    """Ingest speed with the real model: seconds for the documents, the model already loaded;
    and the process's peak memory. briefbot reads the file as `briefbot ingest` does."""
    data, model = Path(args["data"]), args["model"]
    if system == "briefbot":
        from bot.services import build_services
        from retrieval.language.parser import parser

        services = build_services(_settings(data, model, args.get("backend", "onnx")))
        services.store.embeddings.encode(["warm up"])
        parser().parse(["Loading is not counted, the model's neither."])
        parsing = parser().seconds
        started = time.perf_counter()
        try:
            results = services.ingester.stream_sources([args["documents"]], services.fetcher)
            stored = sum(r.sentence_count for r in results)
        finally:
            services.close()
        return {
            "seconds": time.perf_counter() - started,
            "sentences": stored,
            "parsing": parser().seconds - parsing,
            "max_rss_kb": _peak_kb(),
        }
    store = _baseline_store(data, model)
    store.embeddings.embed_query("warm up")  # type: ignore[union-attr]
    started = time.perf_counter()
    documents = _baseline_documents(_briefings(Path(args["documents"])))
    _add_in_batches(store, documents)
    return {
        "seconds": time.perf_counter() - started,
        "chunks": len(documents),
        "max_rss_kb": _peak_kb(),
    }


def _peak_kb() -> int:
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


STEPS = {"build": build, "query": query, "ingest": ingest}


def main(argv: list[str]) -> int:
    """Run one step and print its result as the last line."""
    step, system, args = argv[0], argv[1], json.loads(argv[2])
    import logging

    logging.basicConfig(level=logging.WARNING)
    use_offline_models()
    result = STEPS[step](system, args)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
