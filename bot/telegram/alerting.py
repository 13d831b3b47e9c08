"""Alerts as Telegram messages: `bot.alerts` decides what to send, this sends it and says how it
went (a chat that blocked the bot or vanished is given up on; a migrated group moves along;
rate limits and network errors are retried at the next scan)."""

from __future__ import annotations

import logging
from functools import partial

from telegram import Bot
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot.alerts.alerter import Alerter, Candidate, Delivery
from bot.telegram import messages

log = logging.getLogger(__name__)

# Telegram's answers meaning "this chat will never take a message": give it up, don't retry.
_GONE = ("chat not found", "chat_id is empty", "group chat was deactivated", "peer_id_invalid")


async def send_alert(bot: Bot, candidate: Candidate) -> Delivery:
    """Send one alert message and report the outcome."""
    chat = candidate.subscription.chat_id
    text = messages.alert(
        candidate.subscription.topic.text,
        candidate.record,
        candidate.sentences,
        candidate.speakers,
    )
    try:
        message = await bot.send_message(chat, text)
    except Forbidden as e:
        return Delivery("gone", reason=e.message)
    except ChatMigrated as e:  # before BadRequest: Telegram answers it with HTTP 400
        return Delivery("moved", new_chat_id=e.new_chat_id)
    except BadRequest as e:
        if any(reason in e.message.lower() for reason in _GONE):
            return Delivery("gone", reason=e.message)
        log.error("alert to chat %s refused: %s", chat, e.message)
        return Delivery("dropped", reason=e.message)
    except (RetryAfter, NetworkError) as e:  # includes TimedOut
        log.warning("alert to chat %s not sent (%s); retrying later", chat, type(e).__name__)
        return Delivery("retry", reason=type(e).__name__)
    except TelegramError as e:
        log.error("alert to chat %s failed: %s", chat, e.message)
        return Delivery("dropped", reason=e.message)
    return Delivery("sent", message_id=message.message_id)


class TelegramAlerts:
    """The services' Alerter, delivering through a Telegram bot."""

    def __init__(self, alerter: Alerter) -> None:
        self.alerter = alerter

    async def run(self, bot: Bot) -> int:
        """Scan for new briefings and send their alerts; returns how many were sent."""
        return await self.alerter.run(partial(send_alert, bot))
