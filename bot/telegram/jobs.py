"""Background jobs on python-telegram-bot's JobQueue, started with the application:

    alerts  every ALERT_INTERVAL seconds, and at once after any ingest in this process
    inbox   every INBOX_INTERVAL seconds: briefings `briefbot ingest` handed to this bot
    feeds   every min(FEED_INTERVAL, 60 s): the feeds that are due; a broken one is reported
            once to the chats that read it

A store outage is a warning in the log, retried at the next run, never a crash.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any
from zoneinfo import ZoneInfo

from telegram.error import TelegramError
from telegram.ext import Application

from bot.alerts import digest
from bot.inbox import pending_jobs, process_inbox
from bot.telegram import messages
from bot.telegram.alerting import TelegramAlerts
from bot.telegram.context import BotContext, deps_of, ingest_off_loop
from ingest.pipeline import IngestResult
from retrieval.errors import StoreError

log = logging.getLogger(__name__)

ALERTS_KEY = "briefbot.alerts"
LOCK_KEY = "briefbot.feeds_lock"  # one poll at a time: a feed is never read twice at once
FEEDS_JOB = "feeds"
MAX_TICK = 60.0  # seconds between checks for due feeds (FEED_INTERVAL may be longer)

App = Application[Any, Any, Any, Any, Any, Any]


def alerter_of(app: App) -> TelegramAlerts:
    """The application's alert sender."""
    alerts = app.bot_data[ALERTS_KEY]
    assert isinstance(alerts, TelegramAlerts)
    return alerts


async def alert_job(context: BotContext) -> None:
    """Scan for new briefings and alert the chats that follow them."""
    try:
        await alerter_of(context.application).run(context.bot)
    except StoreError as e:  # e.g. the Chroma server is down: the next scan catches up
        log.warning("alert scan skipped: %s", e)


async def inbox_job(context: BotContext) -> None:
    """Ingest what `briefbot ingest` handed over while this bot holds the data directory."""
    deps = context.deps
    # Look first: with every ingest thread busy (slow downloads) the job would otherwise wait
    # for one every few seconds with nothing to do, and the scheduler skip its runs.
    if not await asyncio.to_thread(pending_jobs, deps.settings.data_dir):
        return
    try:
        results = await ingest_off_loop(
            context, process_inbox, deps.settings.data_dir, deps.services.ingester
        )
    except StoreError as e:  # the job stays in the inbox for the next check
        log.warning("inbox check skipped: %s", e)
        return
    if results:
        log.info("inbox: %d briefings read", len(results))


async def feeds_job(context: BotContext) -> None:
    """Poll the feeds that are due; tell a feed's chats (once) when it breaks."""
    deps = context.deps
    async with context.application.bot_data[LOCK_KEY]:
        try:
            poll = deps.services.poller.poll_due
            outcomes = await ingest_off_loop(context, poll, deps.settings.feed_interval)
        except StoreError as e:  # the items stay unseen and are read at the next poll
            log.warning("feed poll stopped: %s", e)
            return
        for outcome in outcomes:
            for chat in outcome.report:
                text = messages.feed_broken(outcome.feed.url, outcome.error)
                with contextlib.suppress(TelegramError):  # a gone chat: the log has it
                    await context.bot.send_message(chat, text)


DIGEST_TICK = 60.0  # seconds between checks for digests that are due


async def digest_job(context: BotContext) -> None:
    """Send the daily digests that are due now, in DIGEST_TIMEZONE; each at most once a day."""
    deps = context.deps
    now = deps.clock().astimezone(ZoneInfo(deps.settings.digest_timezone))
    services = deps.services
    try:
        ready = await asyncio.to_thread(digest.due, services.store, services.state, now)
    except StoreError as e:  # the next check tries again: nothing was claimed
        log.warning("digest check skipped: %s", e)
        return
    for done in ready:
        if not done.lines:
            continue  # nothing new since the last digest: nothing is sent
        for part in messages.digest_parts(done.lines, now.date()):
            try:
                await context.bot.send_message(done.chat_id, part)
            except TelegramError as e:  # claimed for today already: never sent twice
                log.warning("digest for chat %s not delivered: %s", done.chat_id, e)
                break


def poll_feeds_soon(app: App) -> None:
    """Check for due feeds now (a feed just added is due at once)."""
    if app.job_queue is not None:
        app.job_queue.run_once(feeds_job, 0, name=f"{FEEDS_JOB}-now")


def start_jobs(app: App) -> None:
    """Schedule the jobs; call from post_init (on the running loop)."""
    deps = deps_of(app)
    app.bot_data[ALERTS_KEY] = TelegramAlerts(deps.services.alerter)
    app.bot_data[LOCK_KEY] = asyncio.Lock()
    jobs = app.job_queue
    assert jobs is not None, "python-telegram-bot[job-queue] is required"
    settings = deps.settings
    jobs.run_repeating(alert_job, interval=settings.alert_interval, first=0, name="alerts")
    jobs.run_repeating(inbox_job, interval=settings.inbox_interval, first=0, name="inbox")
    tick = min(settings.feed_interval, MAX_TICK)
    jobs.run_repeating(feeds_job, interval=tick, first=0, name=FEEDS_JOB)
    jobs.run_repeating(digest_job, interval=DIGEST_TICK, first=0, name="digests")
    loop = asyncio.get_running_loop()

    def soon() -> None:
        jobs.run_once(alert_job, 0, name="alerts-now")

    def wake(result: IngestResult) -> None:
        # Called from the ingest worker thread: hand over to the event loop.
        if app.running:
            with contextlib.suppress(RuntimeError):  # the loop has closed
                loop.call_soon_threadsafe(soon)

    deps.services.ingester.on_ingested(wake)
