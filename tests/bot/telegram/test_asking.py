"""Asking briefbot in Telegram, end to end: the real Application, the emulator, real services."""

from __future__ import annotations

import asyncio
import itertools
import re
import threading
from pathlib import Path
from typing import Any

import pytest

from bot.services import Services, build_services
from bot.settings import Settings
from bot.telegram import messages
from bot.telegram.rate_limits import RateLimit
from bot.telegram.render import TELEGRAM_LIMIT
from ingest.loaders import load_text
from tests.bot.telegram.botapi import BotAPIEmulator, Call
from tests.bot.telegram.briefbot import Briefbot, quotes
from tests.conftest import SAMPLE

USER = 1001
OTHER_USER = 1002
GROUP = -1002003004005
ME = "@briefbot_test_bot"
SAMPLE_TEXT = SAMPLE.read_text()


def reply_to(call: Call) -> int:
    """The message id a sendMessage call replied to."""
    return int(call["reply_parameters"]["message_id"])


def quoted_sentences(call: Call) -> list[str]:
    """The italic runs of a sent message: the cited sentences."""
    text = call.result["text"]
    return [
        text[e["offset"] : e["offset"] + e["length"]]
        for e in call.result.get("entities", [])
        if e["type"] == "italic"
    ]


def callback_data(call: Call) -> str:
    return str(call.result["reply_markup"]["inline_keyboard"][0][0]["callback_data"])


async def test_a_private_question_gets_a_cited_answer(
    botapi: BotAPIEmulator, briefbot: Briefbot
) -> None:
    async with briefbot.polling():
        update = botapi.queue_message(USER, "What did Russia propose?", user_id=USER)
        [reply] = await botapi.wait_sent_async("sendMessage", chat_id=USER, timeout=30)
    assert reply_to(reply) == update["message"]["message_id"]
    assert reply["parse_mode"] == "HTML"
    assert reply["link_preview_options"] == {"is_disabled": True}
    text = reply.result["text"]
    assert quotes(text) and "2 Jun 2025" in text
    quoted = quoted_sentences(reply)
    assert quoted and all(SAMPLE_TEXT.count(q) == 1 for q in quoted)  # verbatim, in italics
    assert any("partial ceasefire" in q for q in quoted)
    assert len(callback_data(reply).encode()) < 64
    methods = [c.method for c in botapi.sent(chat_id=USER)]
    assert methods == ["sendChatAction", "sendMessage"]  # "typing…" first
    [typing] = botapi.sent("sendChatAction")
    assert typing["action"] == "typing"


async def test_a_question_about_nothing_stored_gets_the_plain_abstention(
    briefbot: Briefbot,
) -> None:
    async with briefbot.polling():
        [reply] = await briefbot.say(USER, "What is the recipe for sourdough bread?")
    assert reply.result["text"] == "I found nothing about that in the briefings."
    assert "reply_markup" not in reply.params  # nothing more to show


async def test_group_messages_without_mention_or_reply_are_ignored(
    botapi: BotAPIEmulator, briefbot: Briefbot
) -> None:
    async with briefbot.polling():
        ignored = botapi.queue_message(
            GROUP, "What did Russia propose?", user_id=USER, chat_type="supergroup"
        )
        someone = botapi.queue_message(GROUP, "Lunch at noon?", user_id=OTHER_USER)
        botapi.queue_message(
            GROUP, "What did Russia propose?", user_id=USER, reply_to=someone["message"]
        )  # a reply, but not to the bot
        asked = botapi.queue_message(
            GROUP, "/ask How long did the negotiations last?", user_id=USER
        )
        await botapi.wait_sent_async("sendMessage", chat_id=GROUP, timeout=30)
    # stopping the application waited for every update it had fetched, the ignored ones included
    [reply] = botapi.sent("sendMessage", chat_id=GROUP)
    assert reply_to(reply) == asked["message"]["message_id"]
    assert ignored["message"]["message_id"] not in {reply_to(c) for c in botapi.sent("sendMessage")}
    assert "lasted for an hour" in reply.result["text"]


async def test_ask_mention_and_reply_to_the_bot_work_in_a_group(briefbot: Briefbot) -> None:
    async with briefbot.polling():
        [first] = await briefbot.say(
            GROUP, "/ask@briefbot_test_bot What did Russia propose?", user_id=USER
        )
        await briefbot.say(
            GROUP, f"{ME} how many bodies of soldiers will be exchanged?", user_id=USER, count=2
        )
        calls = await briefbot.say(
            GROUP,
            "and what did Ukraine want for the children?",
            user_id=OTHER_USER,
            reply_to=first.result["message_id"],
            count=3,
        )
        usage = await briefbot.say(GROUP, "/ask", user_id=USER, count=4)
    assert "partial ceasefire" in calls[0].result["text"]
    assert "6,000 bodies" in calls[1].result["text"]
    assert "children" in calls[2].result["text"]
    assert usage[-1].result["text"] == messages.USAGE_ASK


async def test_typing_is_sent_again_while_the_work_lasts(
    botapi: BotAPIEmulator,
    briefbot: Briefbot,
    services: Services,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_ask = services.ask

    def slow_ask(question: Any) -> Any:  # runs in a worker thread: it may block
        botapi.wait_sent("sendChatAction", chat_id=USER, count=3, timeout=10)
        return real_ask(question)

    monkeypatch.setattr(services, "ask", slow_ask)
    async with briefbot.polling(typing_interval=0.01):
        await briefbot.say(USER, "What did Russia propose?")
    methods = [c.method for c in botapi.sent(chat_id=USER)]
    assert methods[:3] == ["sendChatAction"] * 3
    assert methods[-1] == "sendMessage"


async def test_telegram_concurrency_questions_are_worked_on_at_once(
    botapi: BotAPIEmulator,
    briefbot: Briefbot,
    services: Services,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    at_once = 9  # more than asyncio's default pool on 2 cores (6 threads)
    together = threading.Barrier(at_once, timeout=30)
    real_ask = services.ask

    def ask(question: Any) -> Any:  # returns only once all of them are being worked on
        together.wait()
        return real_ask(question)

    monkeypatch.setattr(services, "ask", ask)
    users = range(2001, 2001 + at_once)
    async with briefbot.polling(telegram_concurrency=at_once):
        for user in users:
            botapi.queue_message(user, "What did Russia propose?", user_id=user)
        for user in users:
            await botapi.wait_sent_async("sendMessage", chat_id=user, timeout=60)
    assert not together.broken
    assert all(quotes(botapi.sent("sendMessage", chat_id=u)[0].result["text"]) for u in users)


NEWER_ROUND = """date 2025-06-03
Russia proposes ceasefire and prisoner exchange at new round of talks

Russia proposed a partial ceasefire of two to three days along parts of the front.
Russia proposed an exchange of all seriously wounded prisoners of war.
Russia proposed that both sides draft memorandums on a future peace settlement.
The Russian delegation said the proposals would be handed over in writing.
"""


async def test_more_sources_never_repeats_a_citation_though_the_ranking_moved(
    botapi: BotAPIEmulator, briefbot: Briefbot, services: Services
) -> None:
    async with briefbot.polling():
        [answer] = await briefbot.say(USER, "What did Russia propose?")
        # a newer briefing that answers at least as well arrives before "More sources"
        newer = load_text(NEWER_ROUND, "newer-round.txt")
        assert (await asyncio.to_thread(services.ingester.ingest, newer)).status == "added"
        botapi.queue_callback_query(USER, callback_data(answer), user_id=USER)
        [_, more] = await botapi.wait_sent_async("sendMessage", chat_id=USER, count=2, timeout=30)
    shown, further = quoted_sentences(answer), quoted_sentences(more)
    assert further and not set(shown) & set(further)
    numbers = re.findall(r"^\[(\d+)\] ", more.result["text"], re.MULTILINE)
    assert numbers == [str(n) for n in range(len(shown) + 1, len(shown) + 1 + len(further))]


async def test_more_sources_says_so_when_there_are_none(
    botapi: BotAPIEmulator, briefbot: Briefbot, services: Services
) -> None:
    for record in services.store.records():
        services.store.remove(record.id)
    two = load_text("Ceasefire talks\n\nRussia proposed a ceasefire. Ukraine refused it.", "two")
    services.ingester.ingest(two)
    async with briefbot.polling():
        [answer] = await briefbot.say(USER, "What did Russia propose?")
        botapi.queue_callback_query(USER, callback_data(answer), user_id=USER)
        [pressed] = await botapi.wait_sent_async("answerCallbackQuery", timeout=30)
    assert pressed["text"] == messages.NO_MORE_SOURCES
    assert len(botapi.sent("sendMessage", chat_id=USER)) == 1  # nothing further was sent


async def test_follow_ups_use_the_previous_question_of_the_same_chat_only(
    briefbot: Briefbot,
) -> None:
    async with briefbot.polling():
        await briefbot.say(USER, "What did Russia propose at the talks?")
        [_, follow_up] = await briefbot.say(USER, "and what about the children?", count=2)
        [alone] = await briefbot.say(OTHER_USER, "and what about the children?")
    note = "Following up on “What did Russia propose at the talks?”"
    assert follow_up.result["text"].startswith(note + "\n\n[1] ")
    assert follow_up.result["entities"][0] == {"type": "italic", "offset": 0, "length": len(note)}
    assert "children" in follow_up.result["text"]
    assert not alone.result["text"].startswith("Following up")


async def test_more_sources_still_works_after_a_restart(
    botapi: BotAPIEmulator, briefbot: Briefbot
) -> None:
    async with briefbot.polling():
        [answer] = await briefbot.say(USER, "What did Russia propose?")
    data = callback_data(answer)
    assert data.startswith("more:") and len(data.encode()) <= 64

    async with briefbot.polling():  # a new Application: nothing kept in memory
        botapi.queue_callback_query(USER, data, user_id=USER)
        [_, more] = await botapi.wait_sent_async("sendMessage", chat_id=USER, count=2, timeout=30)
        botapi.queue_callback_query(USER, "more:0123456789abcdef", user_id=USER)
        await botapi.wait_sent_async("answerCallbackQuery", count=2, timeout=30)
    assert more.result["text"].startswith("[4] ")
    assert reply_to(more) == answer.result["message_id"]
    assert all(SAMPLE_TEXT.count(q) == 1 for q in quoted_sentences(more))
    assert not set(quoted_sentences(more)) & set(quoted_sentences(answer))
    assert "reply_markup" not in botapi.message(USER, answer.result["message_id"])  # used up
    pressed, unknown = botapi.sent("answerCallbackQuery")
    assert pressed.get("text") is None
    assert unknown["text"] == messages.QUESTION_EXPIRED and unknown["show_alert"] is True


GLACIERS = [
    "Aletsch", "Perito Moreno", "Mendenhall", "Tasman", "Vatnajokull", "Jostedal", "Pasterze",
    "Rhone", "Athabasca", "Hubbard", "Franz Josef", "Columbia", "Khumbu", "Siachen", "Baltoro",
    "Gangotri", "Furtwangler", "Quelccaya", "Lambert", "Petermann", "Jakobshavn", "Thwaites",
    "Pine Island", "Mer de Glace", "Morteratsch",
]  # fmt: skip
GLACIER_NEWS = [
    "lost forty metres of ice thickness since the last survey",
    "calved a block of ice the size of a city district into the lake",
    "released meltwater that flooded farms and washed out two bridges",
    "was closed to hikers after new crevasses opened on the tongue",
    "retreated further than at any time since records began",
    "gained snow in winter but lost far more in the summer heatwave",
    "drew scientists who drilled cores to read past climates",
    "saw its ice cave collapse, injuring two tourists",
    "fed a river whose power station cut output by a third",
    "became the subject of a court case over a planned ski lift",
]


def glacier_report() -> str:
    """25 different sentences of about 550 characters, all about glaciers."""
    sentences = []
    for i, glacier in enumerate(GLACIERS):
        news = GLACIER_NEWS[i % len(GLACIER_NEWS)]
        more = ", ".join(
            f"{GLACIER_NEWS[(i + k) % len(GLACIER_NEWS)]} in {GLACIERS[(i + 3 * k) % 25]} valley"
            for k in range(1, 6)
        )
        sentences.append(
            f"The {glacier} glacier {news}, officials said on Tuesday, adding that nearby the "
            f"records also show it {more}."
        )
    return "date 2025-07-01 " + " ".join(sentences)


async def test_a_10000_character_answer_is_split_into_valid_messages(
    botapi: BotAPIEmulator, bot_settings: Settings, model: Any, tmp_path: Path
) -> None:
    settings = bot_settings.model_copy(
        update={"max_citations": 30, "data_dir": tmp_path / "long-answers"}
    )
    services = build_services(settings, model=model)
    try:
        report = load_text(glacier_report(), "glaciers.txt", title="Glacier report")
        services.ingester.ingest(report)
        async with Briefbot(botapi, settings, services).polling():
            update = botapi.queue_message(USER, "What happened to the glaciers?", user_id=USER)
            await botapi.wait_sent_async("sendMessage", chat_id=USER, count=3, timeout=30)
    finally:
        services.close()
    parts = botapi.sent("sendMessage", chat_id=USER)
    assert all(call.ok for call in botapi.calls("sendMessage"))  # the emulator parsed each part
    assert sum(len(p["text"]) for p in parts) > 10_000
    assert all(len(p["text"]) <= TELEGRAM_LIMIT for p in parts)
    assert [reply_to(p) for p in parts] == [update["message"]["message_id"]] * len(parts)
    quotes = [q for p in parts for q in quoted_sentences(p)]
    assert len(quotes) >= 15 and all(report.text.count(q) == 1 for q in quotes)  # none cut
    numbers = [
        int(line[1:].split("]")[0])
        for p in parts
        for line in p.result["text"].split("\n")
        if line.startswith("[")
    ]
    assert numbers == list(range(1, len(quotes) + 1))
    assert ["reply_markup" in p.params for p in parts] == [False] * (len(parts) - 1) + [True]


async def test_html_in_a_briefing_is_escaped(briefbot: Briefbot, services: Services) -> None:
    text = (
        "---\ntitle: Port <b>fees</b> & <script>tariffs</script>\nurl: "
        'https://example.org/port?a=1&b="2"&c=3\n---\n'
        "The harbour <b>tariff</b> rose by 5% & the <i>port</i> authority objected to "
        "<script>alert(1)</script> fees in Rotterdam."
    )
    services.ingester.ingest(load_text(text, "port.md"))
    async with briefbot.polling():
        [reply] = await briefbot.say(USER, "What happened to the harbour tariff?")
    shown = reply.result["text"]
    assert "The harbour <b>tariff</b> rose by 5% & the <i>port</i> authority" in shown
    assert "<script>alert(1)</script>" in shown
    assert "Port <b>fees</b> & <script>tariffs</script>" in shown
    kinds = {e["type"] for e in reply.result["entities"]}
    # The briefing's tags did not become formatting: the quote's italics and its link are the
    # bot's, and so is a block of context when the quote leans on the sentence before.
    assert {"italic", "text_link"} <= kinds <= {"italic", "text_link", "blockquote"}
    [link] = [e for e in reply.result["entities"] if e["type"] == "text_link"]
    # Quotes are not allowed in a URL: stored (and linked) percent-encoded, as browsers send it.
    assert link["url"] == "https://example.org/port?a=1&b=%222%22&c=3"


async def test_fifty_questions_at_once_are_all_answered(
    botapi: BotAPIEmulator, briefbot: Briefbot
) -> None:
    users = range(5000, 5050)
    questions = itertools.cycle(
        [
            "What did Russia propose?",
            "How long did the negotiations last?",
            "How many bodies will be exchanged?",
        ]
    )
    async with briefbot.polling():
        for user in users:
            botapi.queue_message(user, next(questions), user_id=user)
        await botapi.wait_sent_async("sendMessage", count=50, timeout=90)
    replies = botapi.sent("sendMessage")
    assert sorted(int(c["chat_id"]) for c in replies) == list(users)
    assert all(quotes(c.result["text"]) for c in replies)
    assert all(c.ok for c in botapi.calls() if c.method != "getUpdates")


async def test_flood_limits_are_retried(botapi: BotAPIEmulator, briefbot: Briefbot) -> None:
    botapi.fail("sendMessage", 429, retry_after=1, chat_id=USER)
    async with briefbot.polling():
        [reply] = await briefbot.say(USER, "What did Russia propose?")
    assert [c.error_code for c in botapi.calls("sendMessage")] == [429, None]
    assert quotes(reply.result["text"])


async def test_a_failure_is_logged_reported_to_the_admin_and_told_to_the_user(
    botapi: BotAPIEmulator,
    briefbot: Briefbot,
    services: Services,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    admin = 4242
    botapi.add_chat(admin)

    def broken(question: Any) -> Any:
        raise RuntimeError(f"index <broken> & token {botapi.token} leaked")

    monkeypatch.setattr(services, "ask", broken)
    caplog.set_level("DEBUG")
    async with briefbot.polling(admin_user_ids=str(admin)):
        [told] = await briefbot.say(USER, "What did Russia propose?")
        [report] = await botapi.wait_sent_async("sendMessage", chat_id=admin, timeout=30)
    assert told.result["text"] == messages.SOMETHING_WENT_WRONG
    assert "Traceback" not in told.result["text"]
    assert "RuntimeError: index <broken> & token [REDACTED] leaked" in report.result["text"]
    assert botapi.token not in report["text"]
    assert "Traceback" in caplog.text and "RuntimeError" in caplog.text
    secret = botapi.token.split(":", 1)[1]
    assert secret not in caplog.text


async def test_the_token_never_reaches_the_log(
    botapi: BotAPIEmulator, briefbot: Briefbot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    botapi.fail("sendMessage", 400, "Bad Request: chat not found", chat_id=USER)
    async with briefbot.polling():
        await briefbot.say(USER, "What did Russia propose?")  # the apology
    secret = botapi.token.split(":", 1)[1]
    assert "Set Bot API URL: http://127.0.0.1" in caplog.text  # PTB logs its URL at DEBUG…
    assert "[REDACTED]" in caplog.text  # …with the token taken out
    assert "BadRequest" in caplog.text  # the failure and its traceback were logged
    assert secret not in caplog.text
    assert not [r for r in caplog.records if r.name.startswith(("httpx", "httpcore"))]
    assert "What did Russia propose" not in "".join(
        r.getMessage() for r in caplog.records if r.name.startswith("bot.")
    )  # the bot logs counts and latencies, not questions


async def test_questions_do_not_block_each_other(
    botapi: BotAPIEmulator,
    briefbot: Briefbot,
    services: Services,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    release = threading.Event()
    real_ask = services.ask

    def ask(question: Any) -> Any:
        if "slow" in question.text:
            release.wait(timeout=20)
        return real_ask(question)

    monkeypatch.setattr(services, "ask", ask)
    async with briefbot.polling():
        botapi.queue_message(USER, "slow: What did Russia propose?", user_id=USER)
        await botapi.wait_sent_async("sendChatAction", chat_id=USER, timeout=30)
        [fast] = await briefbot.say(OTHER_USER, "How long did the negotiations last?")
        assert not botapi.sent("sendMessage", chat_id=USER)  # the slow one is still working
        release.set()
        await botapi.wait_sent_async("sendMessage", chat_id=USER, timeout=30)
    assert "lasted for an hour" in fast.result["text"]


async def test_a_user_past_the_question_limit_is_told_to_wait_and_others_are_not(
    botapi: BotAPIEmulator, briefbot: Briefbot
) -> None:
    async with briefbot.polling(rate_limit_questions=2):
        await briefbot.say(USER, "What did Russia propose?")
        await briefbot.say(USER, "Who led the talks?", count=2)
        [*_, refused] = await briefbot.say(USER, "And Ukraine?", count=3)
        [other] = await briefbot.say(USER + 1, "What did Russia propose?")
    assert refused.result["text"] == messages.too_many_questions(2)
    assert quotes(other.result["text"])


def test_the_question_window_slides() -> None:
    now = [0.0]
    limit = RateLimit(2, clock=lambda: now[0])
    assert limit.allow(7) and limit.allow(7) and not limit.allow(7)
    assert limit.allow(8)  # per user
    now[0] = 59.9
    assert not limit.allow(7)
    now[0] = 60.1  # the first two left the window
    assert limit.allow(7) and limit.allow(7) and not limit.allow(7)
    assert RateLimit(0).allow(7) and RateLimit(5).allow(None)  # off; no user to count


async def test_markup_in_a_question_is_not_read_as_its_words(briefbot: Briefbot) -> None:
    """Found by an outside test: a <script> tag made the question, and the follow-up after it,
    abstain. Tags and entities are stripped before the search; nothing is echoed unescaped."""
    async with briefbot.polling():
        [plain] = await briefbot.say(USER, "What did Russia propose?")
        [_, marked] = await briefbot.say(
            USER, "What did Russia propose? <script>alert(1)</script>", count=2
        )
        [_, _, follow_up] = await briefbot.say(USER, "and what about the children?", count=3)
    assert quoted_sentences(marked) == quoted_sentences(plain)
    assert "found nothing" not in marked.result["text"]
    assert "<script>" not in marked.result["text"] and "alert(1)" not in marked.result["text"]
    assert "found nothing" not in follow_up.result["text"]
    assert "alert" not in follow_up.result["text"]
