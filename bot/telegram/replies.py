"""Answers as Telegram replies: the parts to send and the "More sources" button."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.telegram import messages
from bot.telegram.render import (
    BLOCK_SEPARATOR,
    TELEGRAM_LIMIT,
    render_answer_html,
    render_answer_messages,
    split_html_messages,
)
from retrieval.types import Answer, Citation

MORE_PREFIX = "more:"  # callback data: "more:" + a 16-hex-digit question id (21 bytes)


def answer_parts(answer: Answer, note: str | None = None) -> list[str]:
    """The answer as HTML messages within Telegram's limit, `note` (a line) above the first;
    a written answer's text comes before its quotes."""
    written = answer.generated
    if note is None:
        return render_answer_messages(answer, include_text=written)
    limit = TELEGRAM_LIMIT - len(note) - len(BLOCK_SEPARATOR)
    parts = render_answer_messages(answer, limit, include_text=written)
    parts[0] = f"{note}{BLOCK_SEPARATOR}{parts[0]}"
    return parts


def more_parts(citations: Sequence[Citation], first: int) -> list[str]:
    """Further citations as HTML messages, numbered from `first`."""
    more = Answer(question="", text="", citations=tuple(citations))
    return split_html_messages(render_answer_html(more, first=first))


def more_button(question_id: str) -> InlineKeyboardMarkup:
    """The inline button under an answer that shows further citations."""
    data = f"{MORE_PREFIX}{question_id}"
    return InlineKeyboardMarkup([[InlineKeyboardButton(messages.MORE_BUTTON, callback_data=data)]])


async def replace_streamed(
    streamed: Message,
    question: Message,
    parts: Sequence[str],
    markup: InlineKeyboardMarkup | None = None,
) -> None:
    """Turn the message a written answer streamed into the final answer's first part; the
    other parts follow as replies to the question."""
    only = len(parts) == 1
    try:
        await streamed.edit_text(
            parts[0], parse_mode=ParseMode.HTML, reply_markup=markup if only else None
        )
    except BadRequest:  # deleted meanwhile, or too old to edit: send it anew
        await question.reply_html(parts[0], reply_markup=markup if only else None)
    await reply_parts(question, parts[1:], markup)


async def reply_parts(
    message: Message, parts: Sequence[str], markup: InlineKeyboardMarkup | None = None
) -> list[Message]:
    """Reply with each part in order (quoting `message`); the button goes under the last."""
    sent = []
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        sent.append(await message.reply_html(part, reply_markup=markup if last else None))
    return sent
