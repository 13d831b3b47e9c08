"""Following topics: /follow TOPIC, /following, /unfollow N (changing them: chat admins)."""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from telegram import Message, Update

from bot.alerts.digest import parse_hour, preview
from bot.alerts.topics import follow, following, unfollow
from bot.state.digests import digest_of, set_digest, stop_digest
from bot.telegram import messages
from bot.telegram.context import BotContext, off_loop
from bot.telegram.handlers.permissions import may_manage
from bot.telegram.jobs import alerter_of
from bot.telegram.replies import reply_parts
from retrieval.errors import BriefbotError

log = logging.getLogger(__name__)


async def cmd_digest(update: Update, context: BotContext) -> None:
    """/digest HH:MM, /digest off, /digest: this chat's daily digest (changing it: chat
    admins)."""
    message = update.effective_message
    assert message is not None
    deps, chat = context.deps, message.chat_id
    state, zone = deps.services.state, deps.settings.digest_timezone
    words = context.args or []
    if not words:
        row = await off_loop(context, digest_of, state, chat)
        await message.reply_html(messages.digest_state(row.at if row else None, zone))
        return
    if len(words) == 1 and words[0].lower() == "preview":
        await show_preview(message, context)
        return
    hour = parse_hour(words[0]) if len(words) == 1 else None
    off = len(words) == 1 and words[0].lower() in ("off", "stop", "none")
    if hour is None and not off:
        await message.reply_html(messages.USAGE_DIGEST)
        return
    if not await may_manage(update, context):
        return
    if off:
        await off_loop(context, stop_digest, state, chat)
        await message.reply_html(messages.DIGEST_STOPPED)
        return
    if not await off_loop(context, following, state, chat):
        await message.reply_html(messages.NO_TOPICS_FOR_DIGEST)
        return
    newest = await off_loop(context, deps.services.store.catalogue.newest_commit)
    now = deps.clock().astimezone(ZoneInfo(zone))
    await off_loop(context, set_digest, state, chat, hour, newest, now)
    await message.reply_html(messages.digest_set(str(hour), zone))


async def show_preview(message: Message, context: BotContext) -> None:
    """/digest preview: what the next digest would send, nothing marked as sent."""
    deps, chat = context.deps, message.chat_id
    services = deps.services
    found = await off_loop(context, preview, services.store, services.state, chat)
    if found is None:
        zone = deps.settings.digest_timezone
        await message.reply_html(messages.digest_state(None, zone))
        return
    if not found.lines:
        await message.reply_html(messages.DIGEST_PREVIEW_EMPTY)
        return
    today = deps.clock().astimezone(ZoneInfo(deps.settings.digest_timezone)).date()
    await reply_parts(message, messages.digest_parts(found.lines, today, preview=True))


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
