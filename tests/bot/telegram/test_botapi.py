"""The Bot API emulator against the real python-telegram-bot, over HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, EndPointNotFound, Forbidden, InvalidToken, RetryAfter
from telegram.ext import (
    AIORateLimiter,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.telegram.render import render_answer_messages
from retrieval.types import Answer, Citation
from tests.bot.telegram.botapi import BotAPIEmulator, polling
from tests.bot.telegram.telegram_text import TelegramHTMLError, detect_entities, parse_telegram_html

Builder = Callable[[], ApplicationBuilder]
USER = 1001
GROUP = -1002003004005


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None and update.effective_message.text
    await update.effective_message.reply_text(
        f"echo: {update.effective_message.text}", do_quote=True
    )


def bot_for(api: BotAPIEmulator, token: str | None = None) -> Bot:
    return Bot(token or api.token, base_url=api.base_url, base_file_url=api.base_file_url)


# ---- polling end to end -------------------------------------------------------------------------


async def test_echo_over_long_polling(botapi: BotAPIEmulator, app_builder: Builder) -> None:
    app = app_builder().build()
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    async with polling(app):
        update = botapi.queue_message(USER, "what did Russia propose?", user_id=USER)
        [reply] = await botapi.wait_sent_async("sendMessage", chat_id=USER)
    assert reply["text"] == "echo: what did Russia propose?"
    assert reply["reply_parameters"]["message_id"] == update["message"]["message_id"]
    sent = reply.result
    assert sent["from"]["id"] == botapi.bot_user["id"] and sent["from"]["is_bot"]
    assert sent["reply_to_message"]["text"] == "what did Russia propose?"
    assert sent["message_id"] == update["message"]["message_id"] + 1  # ids increase per chat
    methods = [call.method for call in botapi.calls()]
    assert methods[:2] == ["getMe", "deleteWebhook"]
    assert not botapi.pending_updates  # PTB confirmed the update when it stopped


async def test_commands_mentions_and_replies_in_a_group(
    botapi: BotAPIEmulator, app_builder: Builder
) -> None:
    seen: list[str] = []
    me = f"@{botapi.bot_user['username']}"

    async def ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen.append(f"ask:{' '.join(context.args or [])}")
        botapi.notify()
        await update.effective_message.reply_text("answer")  # type: ignore[union-attr]

    async def addressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None and message.text is not None
        replied = message.reply_to_message
        if replied and replied.from_user and replied.from_user.id == context.bot.id:
            seen.append(f"reply-to-bot:{replied.text}")
        elif me in message.parse_entities(["mention"]).values():
            seen.append("mention")
        botapi.notify()

    app = app_builder().build()
    app.add_handler(CommandHandler("ask", ask))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, addressed))
    async with polling(app):
        botapi.queue_message(
            GROUP, f"/ask@{me[1:]} new talks?", user_id=USER, chat_type="supergroup"
        )
        botapi.queue_message(
            GROUP, "/ask@someotherbot ignored", user_id=USER, chat_type="supergroup"
        )
        [answer] = await botapi.wait_sent_async("sendMessage", chat_id=GROUP)
        bot_message_id = answer.result["message_id"]
        botapi.queue_message(
            GROUP, "and then?", user_id=USER, chat_type="supergroup", reply_to=bot_message_id
        )
        botapi.queue_message(GROUP, f"hey {me} 🙂 hi", user_id=USER, chat_type="supergroup")
        await botapi.wait_for_async(lambda: len(seen) >= 3)
    assert seen == ["ask:new talks?", "reply-to-bot:answer", "mention"]
    # PTB replies in groups by default, and the chat object is the supergroup's
    assert answer.result["chat"] == {
        "id": GROUP,
        "type": "supergroup",
        "title": f"Supergroup {GROUP}",
    }
    assert answer.result["reply_to_message"]["from"]["id"] == USER


async def test_document_get_file_and_download(botapi: BotAPIEmulator, app_builder: Builder) -> None:
    content = b"Briefing: talks resume in Geneva.\n" * 100
    botapi.add_file("doc-1", content, "documents/file_7.txt", mime_type="text/plain")

    async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None and message.document is not None
        file = await message.document.get_file()
        data = await file.download_as_bytearray()
        await message.reply_text(
            f"{message.document.file_name}: {len(data)} bytes, {message.caption}"
        )
        assert bytes(data) == content

    app = app_builder().build()
    app.add_handler(MessageHandler(filters.Document.ALL, on_document))
    async with polling(app):
        botapi.queue_message(USER, "please ingest", user_id=USER, document="doc-1")
        [reply] = await botapi.wait_sent_async("sendMessage", chat_id=USER)
    assert reply["text"] == f"file_7.txt: {len(content)} bytes, please ingest"
    assert [c.params for c in botapi.sent("getFile")] == [{"file_id": "doc-1"}]
    assert [c.params for c in botapi.sent("downloadFile")] == [
        {"file_path": "documents/file_7.txt"}
    ]


async def test_edit_message_text(botapi: BotAPIEmulator, app_builder: Builder) -> None:
    async def slow_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None
        await context.bot.send_chat_action(message.chat_id, "typing")
        placeholder = await message.reply_text("Searching…")
        edited = await placeholder.edit_text("<b>Found</b> it", parse_mode=ParseMode.HTML)
        assert edited.text == "Found it" and edited.edit_date is not None
        with pytest.raises(BadRequest, match="(?i)not modified"):
            await edited.edit_text("<b>Found</b> it", parse_mode=ParseMode.HTML)
        await message.reply_text("done")

    app = app_builder().build()
    app.add_handler(MessageHandler(filters.TEXT, slow_answer))
    async with polling(app):
        botapi.queue_message(USER, "q", user_id=USER)
        await botapi.wait_sent_async("sendMessage", chat_id=USER, count=2)
    [edit] = botapi.sent("editMessageText")
    assert edit["parse_mode"] == "HTML"
    placeholder = botapi.message(USER, edit["message_id"])
    assert placeholder["text"] == "Found it"
    assert placeholder["entities"] == [{"type": "bold", "offset": 0, "length": 5}]
    assert [c.params["action"] for c in botapi.sent("sendChatAction")] == ["typing"]
    assert [c.ok for c in botapi.calls("editMessageText")] == [True, False]


async def test_retry_after_is_retried_by_the_rate_limiter(
    botapi: BotAPIEmulator, app_builder: Builder
) -> None:
    botapi.fail("sendMessage", 429, retry_after=1)
    app = app_builder().rate_limiter(AIORateLimiter(max_retries=1)).build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    async with polling(app):
        botapi.queue_message(USER, "hello", user_id=USER)
        [reply] = await botapi.wait_sent_async("sendMessage", chat_id=USER)
    assert reply["text"] == "echo: hello"
    attempts = botapi.calls("sendMessage")
    assert [(c.ok, c.error_code) for c in attempts] == [(False, 429), (True, None)]
    assert attempts[0].description == "Too Many Requests: retry after 1"


async def test_errors_reach_the_error_handler(botapi: BotAPIEmulator, app_builder: Builder) -> None:
    errors: list[BaseException] = []

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert context.error is not None
        errors.append(context.error)
        botapi.notify()

    botapi.fail("sendMessage", 403, chat_id=USER)
    botapi.fail("sendMessage", 429, retry_after=7, chat_id=USER)
    app = app_builder().build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.add_error_handler(on_error)
    async with polling(app):
        botapi.queue_message(USER, "one", user_id=USER)
        botapi.queue_message(USER, "two", user_id=USER)
        await botapi.wait_for_async(lambda: len(errors) == 2)
    forbidden, flood = errors
    assert isinstance(forbidden, Forbidden) and "bot was blocked by the user" in str(forbidden)
    assert isinstance(flood, RetryAfter) and flood.retry_after == 7


async def test_callback_query(botapi: BotAPIEmulator, app_builder: Builder) -> None:
    async def menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("More", callback_data="more:1")]])
        await update.effective_message.reply_text("Sources?", reply_markup=keyboard)  # type: ignore[union-attr]

    async def more(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and query.message is not None
        await query.answer("Loading")
        await query.edit_message_text(f"Sources for {query.data}")

    app = app_builder().build()
    app.add_handler(CommandHandler("start", menu))
    app.add_handler(CallbackQueryHandler(more))
    async with polling(app):
        botapi.queue_message(USER, "/start", user_id=USER)
        [sent] = await botapi.wait_sent_async("sendMessage", chat_id=USER)
        assert sent.result["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "more:1"
        botapi.queue_callback_query(USER, "more:1", user_id=USER)
        [edit] = await botapi.wait_sent_async("editMessageText", chat_id=USER)
    [answer] = botapi.sent("answerCallbackQuery")
    assert answer["text"] == "Loading"
    assert edit["message_id"] == sent.result["message_id"]
    assert "reply_markup" not in botapi.message(USER, edit["message_id"])  # edit removed it


async def test_webhook_mode(botapi: BotAPIEmulator, app_builder: Builder) -> None:
    with socket.socket() as probe:  # a free port for PTB's webhook server
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = app_builder().build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    await app.initialize()
    await app.start()
    try:
        await app.updater.start_webhook(  # type: ignore[union-attr]
            listen="127.0.0.1",
            port=port,
            url_path="hook",
            webhook_url=f"http://127.0.0.1:{port}/hook",
            secret_token="s3cret",
        )
        info = await app.bot.get_webhook_info()
        assert info.url == f"http://127.0.0.1:{port}/hook"
        with pytest.raises(Exception, match="webhook is active"):
            await app.bot.get_updates()
        update = botapi.queue_message(USER, "via webhook", user_id=USER)
        [reply] = await botapi.wait_sent_async("sendMessage", chat_id=USER)
        assert reply["text"] == "echo: via webhook"
        # the reply can come before the emulator has read the webhook's 200: wait for both
        await botapi.wait_for_async(lambda: botapi.webhook_deliveries)
        assert botapi.webhook_deliveries == [update["update_id"]]
    finally:
        await app.updater.stop()  # type: ignore[union-attr]
        await app.stop()
        await app.shutdown()
    [hook] = botapi.sent("setWebhook")
    assert hook["secret_token"] == "s3cret"


async def test_webhook_refuses_other_hosts(botapi: BotAPIEmulator) -> None:
    async with bot_for(botapi) as bot:
        with pytest.raises(BadRequest, match="127.0.0.1"):
            await bot.set_webhook("https://example.com/hook")


# ---- one method at a time through PTB's Bot ----------------------------------------------------


async def test_get_me_wrong_token_and_unknown_method(botapi: BotAPIEmulator) -> None:
    async with bot_for(botapi) as bot:
        assert bot.username == botapi.bot_user["username"]
        assert bot.id == 123456789
        with pytest.raises(EndPointNotFound):
            await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": USER})
    with pytest.raises(InvalidToken):
        async with bot_for(botapi, token="123456789:wrong") as bot:
            pass


async def test_my_commands(botapi: BotAPIEmulator) -> None:
    group_scope = {"type": "all_group_chats"}
    async with bot_for(botapi) as bot:
        await bot.set_my_commands(
            [("ask", "Ask about the briefings"), ("follow", "Follow a topic")]
        )
        await bot.set_my_commands([("ask", "Ask")], scope={"type": "all_group_chats"})
        assert [(c.command, c.description) for c in await bot.get_my_commands()] == [
            ("ask", "Ask about the briefings"),
            ("follow", "Follow a topic"),
        ]
        with pytest.raises(BadRequest, match="(?i)bot_command_invalid"):
            await bot.set_my_commands([("Not Valid", "x")])
        await bot.delete_my_commands()
        assert await bot.get_my_commands() == ()
    assert botapi.commands(group_scope) == [{"command": "ask", "description": "Ask"}]


async def test_html_is_checked_like_telegram(botapi: BotAPIEmulator) -> None:
    botapi.add_chat(USER)
    cited = Citation(
        sentence="Talks & <terms> resumed 🕊️ " * 800,
        doc_id="d",
        title='Brief <1> & "quotes"',
        start=0,
        end=1,
        published=date(2025, 6, 2),
        url="https://news.example/a?x=1&y=2",
    )
    many = tuple(replace(cited, sentence=f"Point {i} & more.") for i in range(200))
    parts = render_answer_messages(Answer("q", "t", (cited, *many)))
    assert len(parts) > 2
    async with bot_for(botapi) as bot:
        for part in parts:
            await bot.send_message(USER, part, parse_mode=ParseMode.HTML)
        with pytest.raises(BadRequest, match='(?i)unsupported start tag "script"'):
            await bot.send_message(USER, "<script>x</script>", parse_mode=ParseMode.HTML)
        with pytest.raises(BadRequest, match="(?i)can't find end tag"):
            await bot.send_message(USER, "<b>open", parse_mode=ParseMode.HTML)
        with pytest.raises(BadRequest, match="(?i)message is too long"):
            await bot.send_message(USER, "x" * 4097)
        with pytest.raises(BadRequest, match="(?i)chat not found"):
            await bot.send_message(999, "nobody here")
    first = botapi.sent("sendMessage")[0].result
    link = next(e for e in first["entities"] if e["type"] == "text_link")
    assert link["url"] == "https://news.example/a?x=1&y=2"
    assert first["text"].startswith("[1] Talks & <terms> resumed 🕊️")


def test_html_parser_entities_use_utf16_offsets() -> None:
    text, entities = parse_telegram_html(
        '🙂 <b>bold &amp; <i>both</i></b> <a href="https://x.y/?a=1&amp;b=2">l</a>'
    )
    assert text == "🙂 bold & both l"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 11},
        {"type": "italic", "offset": 10, "length": 4},
        {"type": "text_link", "offset": 15, "length": 1, "url": "https://x.y/?a=1&b=2"},
    ]
    pre_text, pre = parse_telegram_html('<pre><code class="language-python">x = 1</code></pre>')
    assert (pre_text, pre) == (
        "x = 1",
        [{"type": "pre", "offset": 0, "length": 5, "language": "python"}],
    )
    for bad in ["a & b", "<b>x</i>", "</b>", "&nbsp;", "<br>", "x < y"]:
        with pytest.raises(TelegramHTMLError):
            parse_telegram_html(bad)


def test_detect_entities() -> None:
    assert detect_entities("/ask@briefbot_test_bot 🙂 hi @alice, mail a@b.c") == [
        {"type": "bot_command", "offset": 0, "length": 22},
        {"type": "mention", "offset": 29, "length": 6},
    ]


# ---- raw HTTP: bodies, errors, long polling -----------------------------------------------------


def test_json_form_and_multipart_bodies(botapi: BotAPIEmulator) -> None:
    botapi.add_chat(USER)
    url = f"{botapi.base_url}{botapi.token}/sendMessage"
    with httpx.Client() as client:
        as_json = client.post(
            url, json={"chat_id": USER, "text": "123", "disable_notification": True}
        )
        as_form = client.post(url, data={"chat_id": str(USER), "text": "true", "entities": "[]"})
        as_multipart = client.post(
            url,
            data={"chat_id": str(USER), "text": "multi"},
            files={"thumbnail": ("t.txt", b"ignored", "text/plain")},
        )
        as_query = client.get(url, params={"chat_id": USER, "text": "query"})
    for response in (as_json, as_form, as_multipart, as_query):
        assert response.status_code == 200, response.text
        assert response.json()["ok"] is True
    assert [c["text"] for c in botapi.sent("sendMessage")] == ["123", "true", "multi", "query"]
    assert [c["chat_id"] for c in botapi.sent("sendMessage")] == [USER] * 4
    assert botapi.sent("sendMessage")[2]["thumbnail"].content == b"ignored"


def test_error_responses_are_bot_api_json(botapi: BotAPIEmulator) -> None:
    with httpx.Client() as client:
        unknown = client.post(f"{botapi.base_url}{botapi.token}/noSuchMethod")
        wrong_token = client.post(f"{botapi.base_url}1:nope/getMe")
        case_insensitive = client.post(f"{botapi.base_url}{botapi.token}/GETME")
        missing_file = client.get(f"{botapi.base_file_url}{botapi.token}/documents/none")
    assert (unknown.status_code, unknown.json()) == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found"},
    )
    assert (wrong_token.status_code, wrong_token.json()) == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )
    assert case_insensitive.json()["result"]["is_bot"] is True
    assert missing_file.status_code == 404


def test_long_poll_blocks_until_an_update_arrives(botapi: BotAPIEmulator) -> None:
    url = f"{botapi.base_url}{botapi.token}/getUpdates"
    results: list[dict] = []

    def poll() -> None:
        with httpx.Client(timeout=30) as client:
            results.append(client.post(url, data={"timeout": "20"}).json())

    poller = threading.Thread(target=poll)
    started = time.monotonic()
    poller.start()
    botapi.wait_for(lambda: botapi.pollers_waiting == 1)
    update = botapi.queue_message(USER, "wake up", user_id=USER)
    poller.join(timeout=5)
    assert time.monotonic() - started < 5  # returned on the update, not after 20 s
    assert results == [{"ok": True, "result": [update]}]

    with httpx.Client() as client:
        again = client.post(url, json={"offset": update["update_id"], "timeout": 0}).json()
        confirmed = client.post(url, json={"offset": update["update_id"] + 1, "timeout": 0}).json()
        started = time.monotonic()
        empty = client.post(url, json={"timeout": 0.2}).json()
        waited = time.monotonic() - started
    assert again["result"] == [update]  # not confirmed yet: delivered again
    assert confirmed["result"] == [] and botapi.pending_updates == []
    assert empty == {"ok": True, "result": []} and 0.2 <= waited < 2


def test_stop_releases_a_waiting_long_poll() -> None:
    api = BotAPIEmulator().start()
    url = f"{api.base_url}{api.token}/getUpdates"
    outcome: list[object] = []

    def poll() -> None:
        try:
            with httpx.Client(timeout=30) as client:
                outcome.append(client.post(url, json={"timeout": 30}).json())
        except httpx.HTTPError as error:
            outcome.append(error)

    poller = threading.Thread(target=poll)
    poller.start()
    api.wait_for(lambda: api.pollers_waiting == 1)
    started = time.monotonic()
    api.stop()
    poller.join(timeout=5)
    assert not poller.is_alive() and time.monotonic() - started < 5
    assert outcome == [{"ok": True, "result": []}]


def test_wait_for_times_out_with_what_was_called(botapi: BotAPIEmulator) -> None:
    with pytest.raises(TimeoutError, match="calls: none"):
        botapi.wait_sent("sendMessage", timeout=0.05)


def test_privacy_mode_hides_group_chatter() -> None:
    with BotAPIEmulator(privacy_mode=True) as api:
        api.queue_message(GROUP, "just chatting", user_id=USER, chat_type="group")
        api.queue_message(GROUP, f"@{api.bot_user['username']} hi", user_id=USER, chat_type="group")
        api.queue_message(GROUP, "/ask x", user_id=USER, chat_type="group")
        api.queue_message(USER, "private is always seen", user_id=USER)
        texts = [u["message"]["text"] for u in api.pending_updates]
    assert texts == [f"@{api.bot_user['username']} hi", "/ask x", "private is always seen"]


def test_recorded_params_are_decoded(botapi: BotAPIEmulator) -> None:
    botapi.add_chat(USER)
    url = f"{botapi.base_url}{botapi.token}/sendMessage"
    markup = {"inline_keyboard": [[{"text": "a", "callback_data": "1"}]]}
    with httpx.Client() as client:
        client.post(
            url, data={"chat_id": str(USER), "text": "k", "reply_markup": json.dumps(markup)}
        )
    [call] = botapi.sent("sendMessage")
    assert call["reply_markup"] == markup and call.result["reply_markup"] == markup
