"""Feeds in the Telegram bot: /feed add URL, /feed list, /feed remove N, and the polling job."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application

from bot import messages
from bot.feeds_job import add_feed, list_feeds, poll_due, remove_feed
from bot.telegram_alerts import may_manage
from bot.telegram_context import BotContext, deps_of
from bot.telegram_ingest import is_link
from retrieval.errors import StoreError

log = logging.getLogger(__name__)

FEEDS_JOB = "feeds"
LOCK_KEY = "briefbot.feeds_lock"  # one poll at a time: a feed is never read twice at once
MAX_TICK = 60.0  # seconds between checks for due feeds (FEED_INTERVAL may be longer)


async def cmd_feed(update: Update, context: BotContext) -> None:
    """/feed add URL, /feed list, /feed remove N (adding and removing: chat admins)."""
    message = update.effective_message
    assert message is not None
    args, state = context.args or [], context.deps.state
    action = args[0].lower() if args else ""
    if action == "list" and len(args) == 1:
        feeds = await asyncio.to_thread(list_feeds, state)
        rows = [(f.url, f.title, f.last_error) for f in feeds]
        await message.reply_html(messages.feed_list(rows))
    elif action == "add" and len(args) == 2 and is_link(args[1]):
        if await may_manage(update, context):
            feed, created = await asyncio.to_thread(add_feed, state, args[1], message.chat_id)
            await message.reply_html(messages.feed_added(feed.url, created))
            poll_soon(context.application)
    elif action == "remove" and len(args) == 2 and args[1].isdigit():
        if await may_manage(update, context):
            gone = await asyncio.to_thread(remove_feed, state, int(args[1]))
            await message.reply_html(messages.feed_removed(gone.url if gone else None))
    else:
        await message.reply_html(messages.USAGE_FEED)


async def feeds_job(context: BotContext) -> None:
    """Poll the feeds that are due; tell a feed's chat (once) when it breaks."""
    deps = context.deps
    services = deps.services
    async with context.application.bot_data[LOCK_KEY]:
        try:
            outcomes = await asyncio.to_thread(
                poll_due,
                deps.state,
                services.ingester,
                services.fetcher,
                deps.settings.feed_interval,
            )
        except StoreError as e:  # the items stay unseen and are read at the next poll
            log.warning("feed poll stopped: %s", e)
            return
        for outcome in outcomes:
            if outcome.report and outcome.feed.chat_id is not None:
                text = messages.feed_broken(outcome.feed.url, outcome.error)
                with contextlib.suppress(TelegramError):  # a gone chat: the log has it
                    await context.bot.send_message(outcome.feed.chat_id, text)


def poll_soon(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Check for due feeds now (a feed just added is due at once)."""
    if app.job_queue is not None:
        app.job_queue.run_once(feeds_job, 0, name=f"{FEEDS_JOB}-now")


def start_feeds(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Schedule the polling job: it wakes every min(FEED_INTERVAL, 60 s) for the due feeds."""
    jobs = app.job_queue
    assert jobs is not None
    app.bot_data[LOCK_KEY] = asyncio.Lock()
    tick = min(deps_of(app).settings.feed_interval, MAX_TICK)
    jobs.run_repeating(feeds_job, interval=tick, first=0, name=FEEDS_JOB)
