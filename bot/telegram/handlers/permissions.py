"""Who may do what in a chat: ingest (ADMIN_USER_IDS), and change what a chat follows (its own
user in a private chat, the chat's admins in groups). `require_admin` and `may_manage` answer a
refusal themselves and return False; `may_follow` only answers the question (for /help)."""

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


async def may_follow(update: Update, context: BotContext) -> bool:
    """Whether the sender may change what this chat follows: in a private chat its own user
    (the alerts and the digest go to them alone), in groups the chat's admins and
    ADMIN_USER_IDS. Asks nothing of the user."""
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None
    if chat.type == ChatType.PRIVATE:
        return True
    if user is None:
        return False
    if user.id in context.deps.access.admins:
        return True
    with contextlib.suppress(TelegramError):
        member = await context.bot.get_chat_member(chat.id, user.id)
        return member.status in _CHAT_ADMINS
    return False


async def may_manage(update: Update, context: BotContext) -> bool:
    """may_follow, with a one-line refusal for those who may not."""
    message = update.effective_message
    assert message is not None
    allowed = await may_follow(update, context)
    if not allowed:
        await message.reply_html(messages.NOT_CHAT_ADMIN)
    return allowed
