"""The composition root: everything long-lived is built here, once, from the settings.

    services = build_services(settings)   # store, search, answers, ingest, state, alerts, feeds
    state = open_state(settings)          # state.db alone (commands that must not take the store)

Front ends (bot/cli, bot/telegram) get what they need from `Services`; nothing else builds a
store, a chain or a state connection.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from langchain_core.runnables import Runnable

from bot.alerts.alerter import Alerter
from bot.feeds.poller import FeedPoller
from bot.settings import Settings
from bot.state.database import STATE_FILE, BotState
from ingest.fetch import UrlFetcher
from ingest.identity import URL_RULES, normalise_url
from ingest.pipeline import Ingester
from retrieval.answering.answer import NOTHING_FOUND, AnswerPolicy, build_answer_chain
from retrieval.answering.generation import AnswerWriter, local_writer, openai_writer
from retrieval.answering.timeline import TimelineEntry, asks_for_timeline, timeline
from retrieval.embedding.model import SentenceEmbeddings, bundled_model_path, load_model
from retrieval.errors import BriefbotError
from retrieval.index.backlog import ReadingBacklog
from retrieval.index.catalogue import Catalogue
from retrieval.index.chroma_client import ChromaHandle, open_embedded, open_server
from retrieval.index.store import BriefingStore
from retrieval.ranking.search import HybridSearcher
from retrieval.types import Answer, Question

log = logging.getLogger(__name__)

BOT_ROLE = "bot"  # what the running Telegram bot records in the embedded store's lock


@dataclass
class Services:
    """Everything a front end needs, built once and shared."""

    handle: ChromaHandle
    store: BriefingStore
    searcher: HybridSearcher
    chain: Runnable[Question | str, Answer]
    ingester: Ingester
    fetcher: UrlFetcher
    state: BotState
    alerter: Alerter
    poller: FeedPoller
    backlog: ReadingBacklog  # briefings a bulk import stored unread (retrieval/index/backlog.py)
    policy: AnswerPolicy = field(default_factory=AnswerPolicy)
    writer: AnswerWriter | None = None  # LLM_PROVIDER: answers written by a language model
    sources: int = 6  # LLM_SOURCES: how many top sentences the writer is given

    def ask(self, question: Question | str, on_text: Callable[[str], None] | None = None) -> Answer:
        """Answer one question from the stored briefings: the cited sentences, or, with a
        language model configured, a written answer checked against them (the cited
        sentences when it fails). `on_text` gets the written text as it grows."""
        q = question if isinstance(question, Question) else Question(str(question))
        if q.max_citations is None and asks_for_timeline(q.text):
            moved = self.timeline_answer(q)
            if len(moved.citations) >= 2:  # dated statements to compare; else answer plainly
                return moved
        quotes = self.chain.invoke(q)
        if self.writer is None or quotes.abstained or q.max_citations is not None:
            return quotes  # "More sources" asks for further quotes, never for writing
        sources = self.chain.invoke(replace(q, max_citations=self.sources))
        return self.writer.write(sources, quotes, on_text)

    def timeline(self, topic: str, as_of: date | None = None) -> list[TimelineEntry]:
        """The dated statements on a topic, oldest first, one per story and day."""
        return timeline(self.searcher, topic, as_of=as_of, policy=self.policy)

    def timeline_answer(self, question: Question) -> Answer:
        """A question about change over time, answered by its timeline (oldest first)."""
        entries = self.timeline(question.text, question.as_of)
        if not entries:
            return Answer(question.text, NOTHING_FOUND, abstained=True)
        citations = tuple(e.citation for e in entries)
        text = " ".join(f"{c.sentence} [{n}]" for n, c in enumerate(citations, start=1))
        return Answer(question.text, text, citations=citations)

    def close(self) -> None:
        """Release the fetcher, the state database and the store (and its lock)."""
        self.backlog.stop()
        self.fetcher.close()
        self.state.close()
        self.store.catalogue.close()
        self.handle.close()


def open_state(settings: Settings) -> BotState:
    """The bot's state database, DATA_DIR/state.db."""
    return BotState(settings.data_dir / STATE_FILE)


def build_fetcher(settings: Settings) -> UrlFetcher:
    """The URL fetcher with the configured limits and private-address exceptions."""
    return UrlFetcher(
        max_bytes=settings.max_download_bytes,
        timeout=settings.fetch_timeout,
        deadline=settings.fetch_deadline,
        allowed_private=settings.private_hosts,
    )


def open_store(settings: Settings) -> ChromaHandle:
    """The Chroma server of CHROMA_HOST, or the embedded store in DATA_DIR (locked)."""
    if settings.chroma_host:
        return open_server(settings.chroma_host, settings.chroma_port)
    return open_embedded(settings.chroma_path)


def build_services(settings: Settings, *, model: Any = None) -> Services:
    """Build the services from settings; pass `model` to reuse an already loaded one."""
    handle = open_store(settings)
    try:
        if model is not None:  # already loaded (tests, eval): questions use it as it is
            embeddings = SentenceEmbeddings(model, precision=settings.embedding_precision)
        else:
            model_dir = (
                Path(settings.embedding_model) if settings.embedding_model else bundled_model_path()
            )
            embeddings = SentenceEmbeddings(
                partial(load_model, model_dir),
                precision=settings.embedding_precision,
                model_dir=model_dir,
                query_cache=settings.data_dir / "models",
                backend=settings.embedding_backend,
            )
        catalogue = Catalogue(settings.catalogue_path)
        held = catalogue.vector_kind(embeddings.vector_kind)
        if held != embeddings.vector_kind:
            catalogue.close()
            backend = "int8" if held == "int8" else "onnx (or torch)"
            raise BriefbotError(
                f"The store in {settings.data_dir} holds {held} vectors, which questions "
                f"embedded by EMBEDDING_BACKEND={settings.embedding_backend} would not match: "
                f"set EMBEDDING_BACKEND={backend}, or use a new DATA_DIR for this backend."
            )
        store = BriefingStore(handle.client, embeddings, catalogue)
        if not settings.chroma_host:
            # This process holds the data directory's lock, so a write still marked as in
            # progress was cut off by a crash: its rows go now, not an hour later.
            swept = store.clean(stale_after=0)
            if swept:
                log.warning("removed the rows of %d writes cut off by a crash", swept)
        # URL variants and copies of one article stored before today's URL rules: one each.
        merged = store.merge_articles(normalise_url, URL_RULES)
        if merged:
            log.warning("merged %d briefings that were copies of other briefings", merged)
        state = open_state(settings)
    except Exception:
        handle.close()
        raise
    searcher = HybridSearcher(store)
    policy = AnswerPolicy(
        max_citations=settings.max_citations, min_relevance=settings.min_relevance
    )
    fetcher = build_fetcher(settings)
    ingester = Ingester(store)
    log.info("services ready over %s", handle.description)
    return Services(
        handle=handle,
        store=store,
        searcher=searcher,
        chain=build_answer_chain(searcher, policy),
        ingester=ingester,
        fetcher=fetcher,
        state=state,
        alerter=Alerter(store, state),
        poller=FeedPoller(state, ingester, fetcher),
        backlog=ReadingBacklog(catalogue),
        policy=policy,
        writer=build_writer(settings),
        sources=settings.llm_sources,
    )


def build_writer(settings: Settings) -> AnswerWriter | None:
    """The answer writer of LLM_PROVIDER, or None for extractive answers only."""
    if settings.llm_provider == "none":
        return None
    if settings.llm_provider == "local":
        writer = local_writer(
            path=settings.llm_model,
            threads=settings.llm_threads,
            timeout=settings.llm_timeout,
            max_tokens=settings.llm_max_tokens,
        )
    else:
        writer = openai_writer(
            model=settings.llm_model or "gpt-4o-mini",
            base_url=settings.llm_base_url or None,
            api_key=settings.llm_api_key or "none",
            timeout=settings.llm_timeout,
            max_tokens=settings.llm_max_tokens,
        )
    log.info("written answers by %s", settings.llm_provider)
    return writer
