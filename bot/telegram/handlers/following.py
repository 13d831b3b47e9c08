"""Following topics: /follow TOPIC, /following, /unfollow N (changing them: chat admins)."""

from __future__ import annotations

import logging

from telegram import Update

from bot.alerts.topics import follow, following, unfollow
from bot.telegram import messages
from bot.telegram.context import BotContext, off_loop
from bot.telegram.handlers.permissions import may_manage
from bot.telegram.jobs import alerter_of
from retrieval.errors import BriefbotError

log = logging.getLogger(__name__)


async def cmd_follow(update: Update, context: BotContext) -> None:
    """/follow TOPIC: alert this chat to new briefings on the topic (chat admins)."""
    message = update.effective_message
    assert message is not None
    text = " ".join(context.args or [])
    if not text.strip():
        await message.reply_html(messages.USAGE_FOLLOW)
        return
    if not await may_manage(update, context):
        return
    # Finish the briefings stored so far first (alerting the topics already followed), so that
    # none of them counts as new for this topic; later ones do.
    await alerter_of(context.application).run(context.bot)
    state = context.deps.services.state
    try:
        subscription, created = await off_loop(context, follow, state, message.chat_id, text)
    except BriefbotError as e:
        await message.reply_html(messages.plain(str(e)))
        return
    log.info("chat follows a topic (new: %s)", created)
    await message.reply_html(messages.followed(subscription.topic.text, created))


async def cmd_following(update: Update, context: BotContext) -> None:
    """/following: the chat's topics, numbered."""
    message = update.effective_message
    assert message is not None
    topics = await off_loop(context, following, context.deps.services.state, message.chat_id)
    await message.reply_html(messages.following_list([s.topic.text for s in topics]))


async def cmd_unfollow(update: Update, context: BotContext) -> None:
    """/unfollow N: stop following the chat's topic number N (chat admins)."""
    message = update.effective_message
    assert message is not None
    args = context.args or []
    if len(args) != 1 or not args[0].isdigit():
        await message.reply_html(messages.USAGE_UNFOLLOW)
        return
    if not await may_manage(update, context):
        return
    state, chat = context.deps.services.state, message.chat_id
    gone = await off_loop(context, unfollow, state, chat, int(args[0]))
    count = len(await off_loop(context, following, state, chat))
    await message.reply_html(messages.unfollowed(gone.topic.text if gone else None, count))
