"""Feeds: /feed add URL, /feed list, /feed remove N. A feed belongs to the chat that added it:
/feed list and /feed remove see only that chat's feeds. Adding one ingests into the shared
store, so it is ingest: it needs the ingest permission (ADMIN_USER_IDS) and, in groups, the
chat's admins, as changing what a chat follows does."""

from __future__ import annotations

from telegram import Update

from bot.state.feeds import add_feed, chat_feeds, remove_chat_feed
from bot.telegram import messages
from bot.telegram.context import BotContext, off_loop
from bot.telegram.handlers.permissions import may_manage, require_admin
from bot.telegram.jobs import poll_feeds_soon
from ingest.links import is_http_url


async def cmd_feed(update: Update, context: BotContext) -> None:
    """/feed add URL, /feed list, /feed remove N."""
    message = update.effective_message
    assert message is not None
    args, state = context.args or [], context.deps.services.state
    action = args[0].lower() if args else ""
    chat = message.chat_id
    if action == "list" and len(args) == 1:
        feeds = await off_loop(context, chat_feeds, state, chat)
        rows = [(f.url, f.title, f.last_error) for f in feeds]
        await message.reply_html(messages.feed_list(rows))
    elif action == "add" and len(args) == 2 and is_http_url(args[1]):
        if await require_admin(update, context) and await may_manage(update, context):
            feed, created = await off_loop(context, add_feed, state, args[1], chat)
            await message.reply_html(messages.feed_added(feed.url, created))
            poll_feeds_soon(context.application)
    elif action == "remove" and len(args) == 2 and args[1].isdigit():
        if await require_admin(update, context) and await may_manage(update, context):
            gone = await off_loop(context, remove_chat_feed, state, chat, int(args[1]))
            await message.reply_html(messages.feed_removed(gone.url if gone else None))
    else:
        await message.reply_html(messages.USAGE_FEED)
