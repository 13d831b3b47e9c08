"""Webhook mode: standard update JSON in over HTTP, the secret token checked, method calls out."""

from __future__ import annotations

import time

import httpx
import pytest

from bot.settings import Settings
from bot.telegram.application import webhook_options, webhook_secret
from retrieval.errors import BriefbotError
from tests.bot.telegram.botapi import BotAPIEmulator
from tests.bot.telegram.briefbot import Briefbot, quotes

USER = 1001
STRANGER = 7008
SECRET = "s3cret-Token_1"


def plain_update(update_id: int, user: dict, text: str) -> dict:
    """An update as Telegram (or any Bot API server) posts it."""
    chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
    message = {"message_id": 1, "date": int(time.time()), "chat": chat, "from": user}
    return {"update_id": update_id, "message": {**message, "text": text}}


async def test_webhook_mode_answers_and_refuses_a_wrong_or_missing_secret(
    botapi: BotAPIEmulator, briefbot: Briefbot
) -> None:
    forged = plain_update(900, botapi.add_user(STRANGER), "What did Russia propose?")
    botapi.add_chat(STRANGER)
    async with briefbot.webhook("/telegram/hook", telegram_webhook_secret=SECRET) as (url, _):
        [reply] = await briefbot.say(USER, "What did Russia propose?")  # posted by the emulator
        async with httpx.AsyncClient(trust_env=False) as client:
            wrong = await client.post(
                url, json=forged, headers={"X-Telegram-Bot-Api-Secret-Token": "guess"}
            )
            missing = await client.post(url, json=forged)
    assert (wrong.status_code, missing.status_code) == (403, 403)
    assert quotes(reply.result["text"])
    [hook] = botapi.sent("setWebhook")
    assert hook["url"] == url and hook["secret_token"] == SECRET
    assert hook["allowed_updates"] == ["message", "callback_query"]
    assert not botapi.sent(chat_id=STRANGER)  # stopping waited for all accepted updates


async def test_any_bot_api_server_may_post_standard_updates(
    botapi: BotAPIEmulator, briefbot: Briefbot
) -> None:
    user = botapi.add_user(USER)
    botapi.add_chat(USER)
    async with briefbot.webhook("/") as (url, secret):  # no secret configured: a random one
        async with httpx.AsyncClient(trust_env=False) as client:
            posted = await client.post(
                url,
                json=plain_update(1, user, "How long did the negotiations last?"),
                headers={"X-Telegram-Bot-Api-Secret-Token": secret},
            )
        [reply] = await botapi.wait_sent_async("sendMessage", chat_id=USER, timeout=30)
    assert posted.status_code == 200
    assert "lasted for an hour" in reply.result["text"]
    assert botapi.sent("setWebhook")[0]["secret_token"] == secret


def test_webhook_secret_follows_telegram_rules(bot_settings: Settings) -> None:
    generated = {webhook_secret(bot_settings) for _ in range(3)}
    assert len(generated) == 3
    assert all(
        0 < len(s) <= 256 and s.replace("-", "").replace("_", "").isalnum() for s in generated
    )
    bad = bot_settings.model_copy(update={"telegram_webhook_secret": "has spaces!"})
    with pytest.raises(BriefbotError, match="TELEGRAM_WEBHOOK_SECRET"):
        webhook_secret(bad)


def test_webhook_options_come_from_the_settings(bot_settings: Settings) -> None:
    settings = bot_settings.model_copy(
        update={
            "telegram_webhook_url": "https://bot.example.org/briefbot/updates",
            "telegram_webhook_listen": "0.0.0.0",
            "telegram_webhook_port": 8443,
            "telegram_concurrency": 4,
        }
    )
    assert webhook_options(settings, "abc") == {
        "listen": "0.0.0.0",
        "port": 8443,
        "url_path": "briefbot/updates",
        "webhook_url": "https://bot.example.org/briefbot/updates",
        "secret_token": "abc",
        "allowed_updates": ["message", "callback_query"],
        "max_connections": 4,
    }


async def test_webhook_mode_at_debug_logs_neither_the_token_nor_the_secret(
    botapi: BotAPIEmulator, briefbot: Briefbot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    async with briefbot.webhook("/telegram/hook", telegram_webhook_secret=SECRET):
        await briefbot.say(USER, "What did Russia propose?")
    token_secret = botapi.token.split(":", 1)[1]
    assert "setWebhook" in caplog.text or "Set Bot API URL" in caplog.text  # DEBUG was on
    assert token_secret not in caplog.text
    assert SECRET not in caplog.text
