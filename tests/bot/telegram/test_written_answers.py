"""Written answers in Telegram: streamed into a message, then replaced by the checked answer and
its quotes, or by the quotes alone; a scripted OpenAI-compatible server plays the model."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.services import Services, build_services
from bot.settings import Settings
from bot.telegram.streaming import DRAFT
from retrieval.answering.generation import MODEL_FAILED, WITHDRAWN
from retrieval.types import Question
from tests.bot.telegram.botapi import BotAPIEmulator
from tests.bot.telegram.briefbot import Briefbot
from tests.llmserver import Reply, ScriptedLLM

USER = 1001
QUESTION = "What did Russia propose?"


@pytest.fixture
def llm() -> Iterator[ScriptedLLM]:
    with ScriptedLLM() as server:
        yield server


@pytest.fixture
def written(
    botapi: BotAPIEmulator,
    bot_settings: Settings,
    sample_data_dir: Path,
    model: Any,
    llm: ScriptedLLM,
) -> Iterator[Briefbot]:
    """briefbot over the sample with LLM_PROVIDER=openai pointed at the scripted server."""
    settings = bot_settings.model_copy(
        update={"llm_provider": "openai", "llm_base_url": llm.base_url, "llm_timeout": 5.0}
    )
    shutil.copytree(sample_data_dir, settings.data_dir)
    services = build_services(settings, model=model)
    yield Briefbot(botapi, settings, services)
    services.close()


def first_source(services: Services) -> str:
    """The sentence the model is given as [1] for QUESTION."""
    wide = services.chain.invoke(Question(QUESTION, max_citations=services.sources))
    return wide.citations[0].sentence


async def test_a_written_answer_streams_into_a_message_then_shows_its_quotes(
    botapi: BotAPIEmulator, written: Briefbot, llm: ScriptedLLM
) -> None:
    source = first_source(written.services)
    text = f"{source.rstrip('.')} [1]."
    llm.script(Reply(text, pieces=8, pause=0.5))  # about 4 s: several edit intervals

    async with written.polling():
        [streamed] = await written.say(USER, QUESTION)
        await botapi.wait_sent_async(
            "editMessageText", chat_id=USER, count=2, timeout=30
        )  # at least one growing edit and the final one

        def answered() -> dict[str, Any] | None:
            shown = botapi.message(USER, streamed.result["message_id"])
            return shown if shown["text"].startswith(text) else None

        final = await botapi.wait_for_async(answered, timeout=30)

    assert streamed.get("parse_mode") is None  # the growing text is never read as markup
    growing = streamed.result["text"]
    assert growing.startswith(DRAFT) and growing.endswith(" …")  # marked until it is checked
    assert text.startswith(growing.removeprefix(DRAFT).removesuffix(" …"))
    lines = final["text"].split("\n")
    assert lines[0] == text
    assert lines[2].startswith(f"[1] {source}")  # the quote verbatim under the written answer
    assert final["reply_markup"]["inline_keyboard"][0][0]["text"] == "More sources"


async def test_an_answer_that_fails_its_checks_gives_way_to_the_quotes(
    botapi: BotAPIEmulator,
    written: Briefbot,
    llm: ScriptedLLM,
    caplog: pytest.LogCaptureFixture,
) -> None:
    llm.script(Reply("Poland proposed 900 tanks [1].", pieces=2))
    quotes = written.services.chain.invoke(Question(QUESTION))
    with caplog.at_level(logging.WARNING, logger="retrieval.answering.generation"):
        async with written.polling():
            [reply] = await written.say(USER, QUESTION)
    shown = reply.result["text"]
    assert "Poland" not in shown
    lines = shown.split("\n")
    assert lines[0] == WITHDRAWN  # one line says what became of the written answer
    assert lines[2].startswith(f"[1] {quotes.citations[0].sentence}")
    assert "rejected: the number 900 is in no cited sentence" in caplog.text


async def test_a_model_error_shows_the_quotes_with_a_short_note(
    botapi: BotAPIEmulator, written: Briefbot, llm: ScriptedLLM
) -> None:
    llm.script(Reply(status=500))
    async with written.polling():
        [reply] = await written.say(USER, QUESTION)
    lines = reply.result["text"].split("\n")
    assert lines[0] == MODEL_FAILED.format(reason="it failed with status 500")
    assert lines[2].startswith("[1] ")
