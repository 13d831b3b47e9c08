"""The Telegram handlers: read the update, call the services off the event loop, reply.

Private chats: any text is a question. Groups: only /ask, a mention of the bot, or a reply to
one of the bot's own messages. Ingest and forget are for admins when ADMIN_USER_IDS is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from functools import partial

from telegram import Document, Message, MessageEntity, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, NetworkError, TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot import messages
from bot.render import split_html_messages
from bot.telegram_alerts import cmd_follow, cmd_following, cmd_unfollow
from bot.telegram_context import BotContext
from bot.telegram_feeds import cmd_feed
from bot.telegram_followup import contextualise
from bot.telegram_ingest import (
    ingest_links,
    ingest_message_text,
    ingest_upload,
    is_link,
    telegram_source,
    unsupported_upload,
    upload_name,
)
from bot.telegram_logging import redact
from bot.telegram_replies import MORE_PREFIX, answer_parts, more_button, more_parts, reply_parts
from bot.telegram_typing import typing
from ingest.pipeline import IngestResult
from retrieval.types import Question

log = logging.getLogger(__name__)

NEW_MESSAGES = filters.UpdateType.MESSAGE  # edits of old messages are not asked again


# ---- asking ---------------------------------------------------------------------------------


async def on_private_text(update: Update, context: BotContext) -> None:
    """A private chat's text message is a question."""
    message = update.effective_message
    assert message is not None and message.text is not None
    await answer_question(message, context, message.text)


async def on_group_text(update: Update, context: BotContext) -> None:
    """A group message is a question only when it mentions or replies to the bot."""
    message = update.effective_message
    assert message is not None and message.text is not None
    if not addressed_to_bot(message, context):
        return
    question = without_mentions(message, context.bot.username)
    if not question:
        await message.reply_html(messages.USAGE_ASK)
        return
    await answer_question(message, context, question)


async def cmd_ask(update: Update, context: BotContext) -> None:
    """/ask QUESTION, or /ask as a reply to a message holding the question."""
    message = update.effective_message
    assert message is not None
    question = " ".join(context.args or [])
    replied = message.reply_to_message
    if not question and replied is not None and not from_bot(replied, context):
        question = replied.text or replied.caption or ""
    if not question.strip():
        await message.reply_html(messages.USAGE_ASK)
        return
    await answer_question(message, context, question)


async def answer_question(message: Message, context: BotContext, text: str) -> None:
    """Ask (with the chat's follow-up context), show typing meanwhile, reply with the answer."""
    deps, chat_id = context.deps, message.chat_id
    asked = contextualise(text, deps.state.last_question(chat_id), now=time.time())
    started = time.perf_counter()
    thread = message.message_thread_id if message.is_topic_message else None
    async with typing(context.bot, chat_id, thread_id=thread, interval=deps.typing_interval):
        answer = await asyncio.to_thread(deps.services.ask, Question(asked.question))
    elapsed = time.perf_counter() - started
    log.info("answered in %.2fs with %d citations", elapsed, len(answer.citations))
    question = deps.state.remember(chat_id, text, asked.question, asked.root)
    note = messages.follow_up_note(asked.follows) if asked.follows else None
    markup = None if answer.abstained else more_button(question.id)
    await reply_parts(message, answer_parts(answer, note), markup)


async def on_more(update: Update, context: BotContext) -> None:
    """The "More sources" button: the citations after the ones shown, as a reply."""
    query = update.callback_query
    assert query is not None and query.data is not None and query.message is not None
    deps = context.deps
    question = deps.state.question(query.data.removeprefix(MORE_PREFIX))
    if question is None:
        await query.answer(messages.QUESTION_EXPIRED, show_alert=True)
        return
    answer = await asyncio.to_thread(deps.more_chain.invoke, Question(question.asked))
    shown = deps.settings.max_citations
    await query.answer(None if len(answer.citations) > shown else messages.NO_MORE_SOURCES)
    with contextlib.suppress(BadRequest):  # already removed, or the message is too old
        await query.edit_message_reply_markup(None)
    target = query.message
    for part in more_parts(answer, shown) if len(answer.citations) > shown else []:
        if isinstance(target, Message):
            await target.reply_html(part)
        else:  # too old to reply to (Telegram sends an InaccessibleMessage)
            await context.bot.send_message(target.chat.id, part)


def from_bot(message: Message, context: BotContext) -> bool:
    """Whether this bot sent the message."""
    return message.from_user is not None and message.from_user.id == context.bot.id


def addressed_to_bot(message: Message, context: BotContext) -> bool:
    """Whether a group message mentions the bot or replies to one of its own messages."""
    if message.reply_to_message is not None and from_bot(message.reply_to_message, context):
        return True
    me = f"@{context.bot.username}".lower()
    mentions = message.parse_entities([MessageEntity.MENTION, MessageEntity.TEXT_MENTION])
    return any(
        text.lower() == me or (entity.user is not None and entity.user.id == context.bot.id)
        for entity, text in mentions.items()
    )


def without_mentions(message: Message, username: str) -> str:
    """The message text with the bot's @mentions taken out."""
    text = message.text or ""
    for _, mention in message.parse_entities([MessageEntity.MENTION]).items():
        if mention.lower() == f"@{username}".lower():
            text = text.replace(mention, " ")
    return " ".join(text.split()).strip(" ,:")


# ---- ingesting ------------------------------------------------------------------------------


async def cmd_ingest(update: Update, context: BotContext) -> None:
    """/ingest URL…, or /ingest as a reply to an article's text or file (admins)."""
    message = update.effective_message
    assert message is not None
    if not await require_admin(update, context):
        return
    links, replied = context.args or [], message.reply_to_message
    if links:
        await ingest_from_links(message, links, context)
    elif replied is not None and replied.document is not None:
        await ingest_document(message, replied.document, context)
    elif replied is not None and (replied.text or replied.caption):
        text, source = replied.text or replied.caption or "", telegram_source(replied)
        work = partial(ingest_message_text, context.deps.services, text, source)
        await report_on(await message.reply_html(messages.READING), work)
    else:
        await message.reply_html(messages.USAGE_INGEST)


async def ingest_from_links(message: Message, links: list[str], context: BotContext) -> None:
    """Fetch and ingest up to MAX_LINKS http(s) links."""
    if len(links) > messages.MAX_LINKS:
        await message.reply_html(messages.TOO_MANY_LINKS)
    elif not all(is_link(link) for link in links):
        await message.reply_html(messages.not_a_link([a for a in links if not is_link(a)]))
    else:
        work = partial(ingest_links, context.deps.services, links)
        await report_on(await message.reply_html(messages.READING), work)


async def on_document(update: Update, context: BotContext) -> None:
    """An uploaded file is ingested (in groups only with /ingest or a mention as its caption)."""
    message = update.effective_message
    assert message is not None and message.document is not None
    if message.chat.type != ChatType.PRIVATE:
        caption = (message.caption or "").strip().lower()
        command = caption.split()[0].split("@")[0] if caption else ""
        if command != "/ingest" and f"@{context.bot.username}".lower() not in caption:
            return
    if await require_admin(update, context):
        await ingest_document(message, message.document, context)


async def ingest_document(message: Message, document: Document, context: BotContext) -> None:
    """Download an uploaded file from Telegram and ingest it, editing a "Reading…" message."""
    services, limit = context.deps.services, context.deps.settings.max_download_bytes
    name = upload_name(document.file_name, document.mime_type)
    status = await message.reply_html(messages.reading(name))
    refusal = unsupported_upload(name)  # before downloading anything
    if refusal is not None:
        await show_ingest_results(status, [refusal])
    elif document.file_size and document.file_size > limit:
        await status.edit_text(messages.file_too_big(name, document.file_size, limit))
    else:
        try:
            data = bytes(await (await document.get_file()).download_as_bytearray())
        except TelegramError as e:
            detail = redact(e.message, context.deps.secrets)
            await status.edit_text(messages.download_failed(name, detail))
            return
        await report_on(status, partial(ingest_upload, services, data, name))


async def report_on(status: Message, work: Callable[[], IngestResult | list[IngestResult]]) -> None:
    """Run ingest work off the event loop, then edit the "Reading…" message into its report."""
    try:
        done = await asyncio.to_thread(work)
    except Exception:
        await status.edit_text(messages.INGEST_CRASHED)
        raise  # the error handler logs it and tells the admin
    await show_ingest_results(status, done if isinstance(done, list) else [done])


async def show_ingest_results(status: Message, results: list[IngestResult]) -> None:
    """Edit the "Reading…" message into the report; any overflow follows as replies."""
    counts = {s: sum(r.status == s for r in results) for s in ("added", "updated", "failed")}
    log.info("ingest from Telegram: %s", counts)
    first, *rest = split_html_messages(messages.ingest_report(results))
    await status.edit_text(first)
    for part in rest:
        await status.reply_html(part)


async def require_admin(update: Update, context: BotContext) -> bool:
    """True for admins; everyone else gets a polite refusal."""
    user, message = update.effective_user, update.effective_message
    if context.deps.access.is_admin(user.id if user else None):
        return True
    if message is not None:
        await message.reply_html(messages.NOT_ADMIN)
    return False


# ---- browsing -------------------------------------------------------------------------------


async def cmd_help(update: Update, context: BotContext) -> None:
    """/start and /help: what the bot does, with examples."""
    message, user = update.effective_message, update.effective_user
    assert message is not None
    group = message.chat.type != ChatType.PRIVATE
    may_ingest = context.deps.access.is_admin(user.id if user else None)
    text = messages.help_text(context.bot.username, group=group, may_ingest=may_ingest)
    await message.reply_html(text)


async def cmd_latest(update: Update, context: BotContext) -> None:
    """/latest: the newest briefings with dates and links."""
    message = update.effective_message
    assert message is not None
    records = await asyncio.to_thread(context.deps.services.store.records)
    await message.reply_html(messages.latest(records))


async def cmd_list(update: Update, context: BotContext) -> None:
    """/list and /sources: every briefing with its id, in as many messages as it takes."""
    message = update.effective_message
    assert message is not None
    records = await asyncio.to_thread(context.deps.services.store.records)
    for part in split_html_messages(messages.listing(records)):
        await message.reply_html(part)


async def cmd_forget(update: Update, context: BotContext) -> None:
    """/forget ID: remove a briefing by its id or a unique start of it (admins)."""
    message = update.effective_message
    assert message is not None
    if not await require_admin(update, context):
        return
    if len(context.args or []) != 1:
        await message.reply_html(messages.USAGE_FORGET)
        return
    prefix, store = (context.args or [""])[0], context.deps.services.store
    matches = await asyncio.to_thread(store.find, prefix)
    if len(matches) != 1:
        text = messages.ambiguous_id(prefix, len(matches)) if matches else None
        await message.reply_html(text or messages.no_such_briefing(prefix))
        return
    await asyncio.to_thread(store.remove, matches[0].id)
    await message.reply_html(messages.forgotten(matches[0]))


async def on_unknown_command(update: Update, context: BotContext) -> None:
    """A command the bot does not have (in private chats)."""
    message = update.effective_message
    assert message is not None
    await message.reply_html(messages.UNKNOWN_COMMAND)


# ---- access and errors ----------------------------------------------------------------------


async def gate(update: Update, context: BotContext) -> None:
    """Runs before every handler: updates from chats not allowed stop here, politely."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or context.deps.access.chat_allowed(chat.id, user.id if user else None):
        return
    log.info("refused an update from a chat that is not allowed")
    refusal = messages.chat_not_allowed(chat.id)
    if update.callback_query is not None:
        await update.callback_query.answer(messages.CHAT_NOT_ALLOWED_ALERT, show_alert=True)
    elif update.message is not None and (
        chat.type == ChatType.PRIVATE or (update.message.text or "").startswith("/")
    ):
        await update.message.reply_html(refusal)
    raise ApplicationHandlerStop


async def on_error(update: object, context: BotContext) -> None:
    """Log the failure with its traceback, tell the user briefly, report to the first admin."""
    error = context.error
    kind = type(error).__name__
    where = f"update {update.update_id}" if isinstance(update, Update) else "background work"
    if update is None and isinstance(error, NetworkError):
        log.warning("Telegram could not be reached (%s); retrying", kind)  # polling blips
        return
    log.error("failure while handling %s", where, exc_info=error)
    deps = context.deps
    chat = update.effective_chat if isinstance(update, Update) else None
    if chat is not None:
        with contextlib.suppress(TelegramError):
            await context.bot.send_message(chat.id, messages.SOMETHING_WENT_WRONG)
    admin = deps.access.first_admin
    if admin is not None:
        detail = redact(str(error), deps.secrets)
        with contextlib.suppress(TelegramError):
            await context.bot.send_message(admin, messages.error_report(kind, detail, where))


# ---- registration ---------------------------------------------------------------------------


def add_handlers(app: Application) -> None:  # type: ignore[type-arg]
    """Register every handler on the application, in the order they are tried."""
    app.add_handler(TypeHandler(Update, gate), group=-1)
    for names, callback in (
        (("start", "help"), cmd_help),
        (("ask",), cmd_ask),
        (("ingest",), cmd_ingest),
        (("latest",), cmd_latest),
        (("list", "sources"), cmd_list),
        (("forget",), cmd_forget),
        (("follow",), cmd_follow),
        (("following",), cmd_following),
        (("unfollow",), cmd_unfollow),
        (("feed", "feeds"), cmd_feed),
    ):
        app.add_handler(CommandHandler(names, callback, filters=NEW_MESSAGES))
    app.add_handler(CallbackQueryHandler(on_more, pattern=f"^{MORE_PREFIX}"))
    app.add_handler(MessageHandler(NEW_MESSAGES & filters.Document.ALL, on_document))
    text = NEW_MESSAGES & filters.TEXT & ~filters.COMMAND
    app.add_handler(MessageHandler(text & filters.ChatType.PRIVATE, on_private_text))
    app.add_handler(MessageHandler(text & filters.ChatType.GROUPS, on_group_text))
    unknown = NEW_MESSAGES & filters.COMMAND & filters.ChatType.PRIVATE
    app.add_handler(MessageHandler(unknown, on_unknown_command))
    app.add_error_handler(on_error)
