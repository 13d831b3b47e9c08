"""Ingesting from a chat: /ingest with links, /ingest as a reply to a text or a file, and
uploaded files (in groups only with /ingest or a mention as the caption). Admins only when
ADMIN_USER_IDS is set."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial

from telegram import Document, Message, Update
from telegram.constants import ChatType
from telegram.error import TelegramError

from bot.telegram import messages
from bot.telegram.context import BotContext, ingest_off_loop
from bot.telegram.handlers.permissions import require_admin
from bot.telegram.redaction import redact
from bot.telegram.render import split_html_messages
from bot.telegram.uploads import (
    ingest_links,
    ingest_message_text,
    ingest_upload,
    telegram_source,
    unsupported_upload,
    upload_name,
)
from ingest.links import is_http_url
from ingest.pipeline import IngestResult

log = logging.getLogger(__name__)


async def cmd_ingest(update: Update, context: BotContext) -> None:
    """/ingest URL…, or /ingest as a reply to an article's text or file (admins)."""
    message = update.effective_message
    assert message is not None
    if not await require_admin(update, context) or not await within_ingest_limit(update, context):
        return
    links, replied = context.args or [], message.reply_to_message
    if links:
        await ingest_from_links(message, links, context)
    elif replied is not None and replied.document is not None:
        await ingest_document(message, replied.document, context)
    elif replied is not None and (replied.text or replied.caption):
        text, source = replied.text or replied.caption or "", telegram_source(replied)
        work = partial(ingest_message_text, context.deps.services, text, source)
        await report_on(await message.reply_html(messages.READING), work, context)
    else:
        await message.reply_html(messages.USAGE_INGEST)


async def within_ingest_limit(update: Update, context: BotContext) -> bool:
    """Count an ingest of this user; if over RATE_LIMIT_INGESTS a minute, say so and refuse."""
    user = update.effective_user
    if context.deps.ingest_limit.allow(user.id if user else None):
        return True
    message = update.effective_message
    assert message is not None
    await message.reply_html(messages.too_many_ingests(context.deps.ingest_limit.per_minute))
    return False


async def ingest_from_links(message: Message, links: list[str], context: BotContext) -> None:
    """Fetch and ingest up to MAX_LINKS http(s) links."""
    if len(links) > messages.MAX_LINKS:
        await message.reply_html(messages.TOO_MANY_LINKS)
    elif not all(is_http_url(link) for link in links):
        await message.reply_html(messages.not_a_link([a for a in links if not is_http_url(a)]))
    else:
        work = partial(ingest_links, context.deps.services, links)
        await report_on(await message.reply_html(messages.READING), work, context)


async def on_document(update: Update, context: BotContext) -> None:
    """An uploaded file is ingested (in groups only with /ingest or a mention as its caption)."""
    message = update.effective_message
    assert message is not None and message.document is not None
    if message.chat.type != ChatType.PRIVATE:
        caption = (message.caption or "").strip().lower()
        command = caption.split()[0].split("@")[0] if caption else ""
        if command != "/ingest" and f"@{context.bot.username}".lower() not in caption:
            return
    if await require_admin(update, context) and await within_ingest_limit(update, context):
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
        await report_on(status, partial(ingest_upload, services, data, name), context)


async def report_on(
    status: Message,
    work: Callable[[], IngestResult | list[IngestResult]],
    context: BotContext,
) -> None:
    """Start ingest work in the ingest threads; the "Reading…" message becomes its report.

    The work runs as an application task, so the handler returns at once: a slow download
    holds an ingest thread, not one of the TELEGRAM_CONCURRENCY slots questions are handled
    in. The application awaits such tasks when it stops.
    """

    async def run() -> None:
        try:
            done = await ingest_off_loop(context, work)
        except Exception:
            await status.edit_text(messages.INGEST_CRASHED)
            raise  # the error handler logs it and tells the admin
        await show_ingest_results(status, done if isinstance(done, list) else [done])

    context.application.create_task(run())


async def show_ingest_results(status: Message, results: list[IngestResult]) -> None:
    """Edit the "Reading…" message into the report; any overflow follows as replies."""
    counts = {s: sum(r.status == s for r in results) for s in ("added", "updated", "failed")}
    log.info("ingest from Telegram: %s", counts)
    first, *rest = split_html_messages(messages.ingest_report(results))
    await status.edit_text(first)
    for part in rest:
        await status.reply_html(part)
