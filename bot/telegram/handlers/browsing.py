"""Browsing: /start and /help, /latest, /list (/sources), /forget ID, unknown commands."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType

from bot.telegram import messages
from bot.telegram.context import BotContext, off_loop
from bot.telegram.handlers.permissions import may_follow, require_admin
from bot.telegram.render import BLOCK_SEPARATOR, render_answer_html, split_html_messages
from bot.telegram.replies import reply_parts
from retrieval.answering.answer import statements_by
from retrieval.types import Answer


async def cmd_help(update: Update, context: BotContext) -> None:
    """/start and /help: what the bot does, with examples."""
    message, user = update.effective_message, update.effective_user
    assert message is not None
    group = message.chat.type != ChatType.PRIVATE
    may_ingest = context.deps.access.is_admin(user.id if user else None)
    text = messages.help_text(
        context.bot.username,
        group=group,
        may_ingest=may_ingest,
        may_follow=await may_follow(update, context),
    )
    await message.reply_html(text)


async def cmd_latest(update: Update, context: BotContext) -> None:
    """/latest: the newest briefings with dates and links."""
    message = update.effective_message
    assert message is not None
    records = await off_loop(context, context.deps.services.store.records)
    await message.reply_html(messages.latest(records))


async def cmd_list(update: Update, context: BotContext) -> None:
    """/list and /sources: every briefing with its id, in as many messages as it takes."""
    message = update.effective_message
    assert message is not None
    records = await off_loop(context, context.deps.services.store.records)
    await reply_parts(message, split_html_messages(messages.listing(records)))


WHO_LIMIT = 10  # statements /who shows


async def cmd_who(update: Update, context: BotContext) -> None:
    """/who NAME: what a person said in the briefings, newest first, cited."""
    message = update.effective_message
    assert message is not None
    name = " ".join(context.args or [])
    if not name:
        await message.reply_html(messages.USAGE_WHO)
        return
    store = context.deps.services.store
    said = await off_loop(context, statements_by, store, name, WHO_LIMIT)
    if not said:
        await message.reply_html(messages.said_nothing(name))
        return
    listing = Answer(question=name, text="", citations=tuple(said))
    html = f"{messages.said_by(name)}{BLOCK_SEPARATOR}{render_answer_html(listing)}"
    await reply_parts(message, split_html_messages(html))


async def cmd_timeline(update: Update, context: BotContext) -> None:
    """/timeline TOPIC: the topic's dated statements across briefings, oldest first."""
    message = update.effective_message
    assert message is not None
    topic = " ".join(context.args or [])
    if not topic:
        await message.reply_html(messages.USAGE_TIMELINE)
        return
    entries = await off_loop(context, context.deps.services.timeline, topic)
    if not entries:
        await message.reply_html(messages.no_timeline(topic))
        return
    blocks = [messages.timeline_heading(topic)]
    for number, entry in enumerate(entries, start=1):
        listing = Answer(question=topic, text="", citations=(entry.citation,))
        block = render_answer_html(listing, first=number)
        if entry.also:
            block += "\n" + messages.also_reported([a.title for a in entry.also])
        blocks.append(block)
    await reply_parts(message, split_html_messages(BLOCK_SEPARATOR.join(blocks)))


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
    matches = await off_loop(context, store.find, prefix)
    if len(matches) != 1:
        text = messages.ambiguous_id(prefix, len(matches)) if matches else None
        await message.reply_html(text or messages.no_such_briefing(prefix))
        return
    await off_loop(context, store.remove, matches[0].id)
    await message.reply_html(messages.forgotten(matches[0]))


async def on_unknown_command(update: Update, context: BotContext) -> None:
    """A command the bot does not have (in private chats)."""
    message = update.effective_message
    assert message is not None
    await message.reply_html(messages.UNKNOWN_COMMAND)
