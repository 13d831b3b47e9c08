"""Who may do what in a chat: ingest (ADMIN_USER_IDS), and change what a chat follows (the
chat's own admins in groups). Each check answers a refusal itself and returns False."""

from __future__ import annotations

import contextlib

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError

from bot.telegram import messages
from bot.telegram.context import BotContext

_CHAT_ADMINS = (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


async def require_admin(update: Update, context: BotContext) -> bool:
    """True for those who may ingest (everyone when ADMIN_USER_IDS is empty); others get a
    polite refusal."""
    user, message = update.effective_user, update.effective_message
    if context.deps.access.is_admin(user.id if user else None):
        return True
    if message is not None:
        await message.reply_html(messages.NOT_ADMIN)
    return False


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
