"""Alerts in the Telegram bot: /follow, /following, /unfollow, and the background jobs.

Jobs (PTB's JobQueue, started with the application): the alert scan every ALERT_INTERVAL
seconds and at once after any ingest in this process; the inbox every INBOX_INTERVAL seconds;
the feeds every FEED_INTERVAL seconds (bot/telegram_feeds.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError
from telegram.ext import Application

from bot import messages
from bot.alerts import Alerter
from bot.inbox import process_inbox
from bot.subscriptions import follow, following, unfollow
from bot.telegram_context import BotContext, deps_of
from ingest.pipeline import IngestResult
from retrieval.errors import BriefbotError, StoreError

log = logging.getLogger(__name__)

ALERTER_KEY = "briefbot.alerter"
_CHAT_ADMINS = (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


async def may_manage(update: Update, context: BotContext) -> bool:
    """Whether the sender may change what this chat follows: in groups the chat's admins (and
    ADMIN_USER_IDS), in private chats whoever may ingest. Others get a one-line refusal."""
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    assert chat is not None and message is not None
    access = context.deps.access
    if chat.type == ChatType.PRIVATE:
        allowed = access.is_admin(user.id if user else None)
    elif user is not None and user.id in access.admins:
        allowed = True
    else:
        allowed = False
        if user is not None:
            with contextlib.suppress(TelegramError):
                member = await context.bot.get_chat_member(chat.id, user.id)
                allowed = member.status in _CHAT_ADMINS
    if not allowed:
        await message.reply_html(messages.NOT_CHAT_ADMIN)
    return allowed


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
    try:
        subscription, created = await asyncio.to_thread(
            follow, context.deps.state, message.chat_id, text
        )
    except BriefbotError as e:
        await message.reply_html(messages.plain(str(e)))
        return
    log.info("chat follows a topic (new: %s)", created)
    await message.reply_html(messages.followed(subscription.topic.text, created))


async def cmd_following(update: Update, context: BotContext) -> None:
    """/following: the chat's topics, numbered."""
    message = update.effective_message
    assert message is not None
    topics = await asyncio.to_thread(following, context.deps.state, message.chat_id)
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
    state, chat = context.deps.state, message.chat_id
    gone = await asyncio.to_thread(unfollow, state, chat, int(args[0]))
    count = len(await asyncio.to_thread(following, state, chat))
    await message.reply_html(messages.unfollowed(gone.topic.text if gone else None, count))


# ---- jobs -----------------------------------------------------------------------------------


def alerter_of(app: Application[Any, Any, Any, Any, Any, Any]) -> Alerter:
    """The application's Alerter."""
    alerter = app.bot_data[ALERTER_KEY]
    assert isinstance(alerter, Alerter)
    return alerter


async def alert_job(context: BotContext) -> None:
    """Scan for new briefings and alert the chats that follow them."""
    try:
        await alerter_of(context.application).run(context.bot)
    except StoreError as e:  # e.g. the Chroma server is down: the next scan catches up
        log.warning("alert scan skipped: %s", e)


async def inbox_job(context: BotContext) -> None:
    """Ingest what `briefbot ingest` handed over while this bot holds the data directory."""
    deps = context.deps
    try:
        results = await asyncio.to_thread(
            process_inbox, deps.settings.data_dir, deps.services.ingester
        )
    except StoreError as e:  # the job stays in the inbox for the next check
        log.warning("inbox check skipped: %s", e)
        return
    if results:
        log.info("inbox: %d briefings read", len(results))


def start_alerts(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Create the Alerter and schedule the jobs; call from post_init (on the running loop)."""
    deps = deps_of(app)
    app.bot_data[ALERTER_KEY] = Alerter(deps.services.store, deps.state)
    jobs = app.job_queue
    assert jobs is not None, "python-telegram-bot[job-queue] is required"
    settings = deps.settings
    jobs.run_repeating(alert_job, interval=settings.alert_interval, first=0, name="alerts")
    jobs.run_repeating(inbox_job, interval=settings.inbox_interval, first=0, name="inbox")
    loop = asyncio.get_running_loop()

    def soon() -> None:
        jobs.run_once(alert_job, 0, name="alerts-now")

    def wake(result: IngestResult) -> None:
        # Called from the ingest worker thread: hand over to the event loop.
        if app.running:
            with contextlib.suppress(RuntimeError):  # the loop has closed
                loop.call_soon_threadsafe(soon)

    deps.services.ingester.on_ingested(wake)
