"""Asking: private messages, group mentions and replies, /ask, and the "More sources" button.

Private chats: any text is a question. Groups: only /ask, a mention of the bot, or a reply to
one of the bot's own messages.
"""

from __future__ import annotations

import contextlib
import logging
import time
from functools import partial

from telegram import Message, MessageEntity, Update
from telegram.error import BadRequest

from bot.state.questions import last_question, mark_shown, question, remember
from bot.telegram import messages
from bot.telegram.chat_action import typing
from bot.telegram.context import BotContext, off_loop
from bot.telegram.followup import contextualise
from bot.telegram.replies import (
    MORE_PREFIX,
    answer_parts,
    more_button,
    more_parts,
    replace_streamed,
    reply_parts,
)
from bot.telegram.streaming import StreamedReply
from retrieval.types import Question

log = logging.getLogger(__name__)

MORE_SOURCES = 5  # further citations shown by one press of "More sources"


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
    text = without_mentions(message, context.bot.username)
    if not text:
        await message.reply_html(messages.USAGE_ASK)
        return
    await answer_question(message, context, text)


async def cmd_ask(update: Update, context: BotContext) -> None:
    """/ask QUESTION, or /ask as a reply to a message holding the question."""
    message = update.effective_message
    assert message is not None
    text = " ".join(context.args or [])
    replied = message.reply_to_message
    if not text and replied is not None and not from_bot(replied, context):
        text = replied.text or replied.caption or ""
    if not text.strip():
        await message.reply_html(messages.USAGE_ASK)
        return
    await answer_question(message, context, text)


async def answer_question(message: Message, context: BotContext, text: str) -> None:
    """Ask (with the chat's follow-up context), show typing meanwhile, reply with the answer."""
    deps, chat_id = context.deps, message.chat_id
    if not deps.question_limit.allow(message.from_user.id if message.from_user else None):
        await message.reply_html(messages.too_many_questions(deps.question_limit.per_minute))
        return
    state = deps.services.state
    previous = await off_loop(context, last_question, state, chat_id)
    asked = contextualise(text, previous, now=time.time())
    started = time.perf_counter()
    thread = message.message_thread_id if message.is_topic_message else None
    streamed = StreamedReply(message) if deps.services.writer is not None else None
    async with typing(context.bot, chat_id, thread_id=thread, interval=deps.typing_interval):
        if streamed is None:
            answer = await off_loop(context, deps.services.ask, Question(asked.question))
        else:  # a language model writes the answer: show it as it grows
            asking = off_loop(context, deps.services.ask, Question(asked.question), streamed.push)
            answer = await streamed.follow(asking)
    elapsed = time.perf_counter() - started
    log.info("answered in %.2fs with %d citations", elapsed, len(answer.citations))
    shown = [c.sentence_id for c in answer.citations]
    days = deps.settings.question_retention_days
    kept = await off_loop(
        context,
        partial(remember, keep_days=days),
        state,
        chat_id,
        text,
        asked.question,
        asked.root,
        shown,
    )
    notes = [messages.follow_up_note(asked.follows)] if asked.follows else []
    if answer.note:
        notes.append(messages.answer_note(answer.note))
    markup = None if answer.abstained else more_button(kept.id)
    parts = answer_parts(answer, "\n".join(notes) or None)
    if streamed is not None and streamed.sent is not None:
        await replace_streamed(streamed.sent, message, parts, markup)
    else:
        await reply_parts(message, parts, markup)


async def on_more(update: Update, context: BotContext) -> None:
    """The "More sources" button: the next citations not shown yet, numbered on, as a reply.

    The same answer chain is asked for more citations (so they pass the same relevance rule);
    those already shown for this question are left out by their ids.
    """
    query = update.callback_query
    assert query is not None and query.data is not None and query.message is not None
    deps = context.deps
    if not deps.question_limit.allow(query.from_user.id):
        await query.answer(messages.too_many_questions(deps.question_limit.per_minute))
        return
    state = deps.services.state
    asked = await off_loop(context, question, state, query.data.removeprefix(MORE_PREFIX))
    if asked is None:
        await query.answer(messages.QUESTION_EXPIRED, show_alert=True)
        return
    wanted = Question(asked.asked, max_citations=len(asked.shown) + MORE_SOURCES)
    answer = await off_loop(context, deps.services.ask, wanted)
    fresh = [c for c in answer.citations if c.sentence_id not in asked.shown][:MORE_SOURCES]
    await query.answer(None if fresh else messages.NO_MORE_SOURCES)
    with contextlib.suppress(BadRequest):  # already removed, or the message is too old
        await query.edit_message_reply_markup(None)
    if not fresh:
        return
    await off_loop(context, mark_shown, state, asked.id, [c.sentence_id for c in fresh])
    target = query.message
    for part in more_parts(fresh, first=len(asked.shown) + 1):
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
