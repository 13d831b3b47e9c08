"""The gate before every handler (chats not allowed stop there, politely) and the error
handler (log with traceback, a short apology to the user, a report to the first admin)."""

from __future__ import annotations

import contextlib
import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.error import NetworkError, TelegramError
from telegram.ext import ApplicationHandlerStop

from bot.telegram import messages
from bot.telegram.context import BotContext
from bot.telegram.redaction import redact

log = logging.getLogger(__name__)


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
