"""The composition root: builds the model, store, search, answer chain and ingester once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from langchain_core.runnables import Runnable

from bot.settings import Settings
from ingest.fetch import UrlFetcher
from ingest.pipeline import Ingester
from retrieval.answer import AnswerPolicy, build_answer_chain
from retrieval.chroma_client import ChromaHandle, open_embedded, open_server
from retrieval.embeddings import SentenceEmbeddings, load_model
from retrieval.search import HybridSearcher
from retrieval.store import BriefingStore
from retrieval.types import Answer, Question

log = logging.getLogger(__name__)


@dataclass
class Services:
    """Everything a front end needs, built once and shared."""

    handle: ChromaHandle
    store: BriefingStore
    searcher: HybridSearcher
    chain: Runnable[Question | str, Answer]
    ingester: Ingester
    fetcher: UrlFetcher
    closers: list[Callable[[], None]] = field(default_factory=list)

    def ask(self, question: Question | str) -> Answer:
        """Answer one question from the stored briefings."""
        return self.chain.invoke(question)

    def close(self) -> None:
        """Release the fetcher and the store (and its data-directory lock)."""
        self.fetcher.close()
        self.handle.close()


def build_services(settings: Settings, *, model: Any = None) -> Services:
    """Build the services from settings; pass `model` to reuse an already loaded one."""
    if settings.chroma_host:
        handle = open_server(settings.chroma_host, settings.chroma_port)
    else:
        handle = open_embedded(settings.chroma_path)
    try:
        loader = (
            model if model is not None else partial(load_model, settings.embedding_model or None)
        )
        embeddings = SentenceEmbeddings(loader, precision=settings.embedding_precision)
        store = BriefingStore(handle.client, embeddings)
    except Exception:
        handle.close()
        raise
    searcher = HybridSearcher(store)
    policy = AnswerPolicy(
        max_citations=settings.max_citations, min_relevance=settings.min_relevance
    )
    fetcher = UrlFetcher(
        max_bytes=settings.max_download_bytes,
        timeout=settings.fetch_timeout,
        allowed_private=settings.private_hosts,
    )
    log.info("services ready over %s", handle.description)
    return Services(
        handle=handle,
        store=store,
        searcher=searcher,
        chain=build_answer_chain(searcher, policy),
        ingester=Ingester(store),
        fetcher=fetcher,
    )
