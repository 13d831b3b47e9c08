"""The Telegram front end: the Application, built in one place, run by polling or webhook.

    app = build_application(settings, services)   # tests point TELEGRAM_BASE_URL at an emulator
    run_bot(settings, services)                    # `briefbot start` when a token is set

Long polling by default; with TELEGRAM_WEBHOOK_URL, python-telegram-bot's own webhook server
(tornado) receives standard update JSON and refuses requests without the secret token.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

from telegram import (
    BotCommand,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes, Defaults

from bot.services import BOT_ROLE, Services
from bot.settings import Settings
from bot.state.questions import forget_old_questions
from bot.telegram import messages
from bot.telegram.access import Access
from bot.telegram.chat_action import TYPING_INTERVAL
from bot.telegram.context import DEPS_KEY, BotContext, BotDeps, deps_of
from bot.telegram.handlers import add_handlers
from bot.telegram.jobs import start_jobs
from bot.telegram.rate_limits import RateLimit
from bot.telegram.redaction import protect_token, redact
from retrieval.errors import BriefbotError

log = logging.getLogger(__name__)

DEFAULT_API = "https://api.telegram.org"
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
RATE_LIMIT_RETRIES = 3  # retries of a request Telegram answered with RetryAfter
JOB_THREADS = 4  # worker threads beyond TELEGRAM_CONCURRENCY, for the background jobs
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


def api_urls(settings: Settings) -> tuple[str, str]:
    """base_url and base_file_url for TELEGRAM_BASE_URL (python-telegram-bot appends the token)."""
    root = settings.telegram_base_url.strip().rstrip("/") or DEFAULT_API
    root = root.removesuffix("/bot")
    return f"{root}/bot", f"{root}/file/bot"


def webhook_secret(settings: Settings) -> str:
    """TELEGRAM_WEBHOOK_SECRET, checked against Telegram's rule, or a random one."""
    secret = settings.telegram_webhook_secret
    if not secret:
        return secrets.token_urlsafe(32)
    if not _SECRET.fullmatch(secret):
        raise BriefbotError(messages.BAD_WEBHOOK_SECRET)
    return secret


def webhook_options(settings: Settings, secret: str) -> dict[str, Any]:
    """Arguments for run_webhook / Updater.start_webhook from the settings."""
    return {
        "listen": settings.telegram_webhook_listen,
        "port": settings.telegram_webhook_port,
        "url_path": urlsplit(settings.telegram_webhook_url).path.strip("/"),
        "webhook_url": settings.telegram_webhook_url,
        "secret_token": secret,
        "allowed_updates": ALLOWED_UPDATES,
        "max_connections": settings.telegram_concurrency,
    }


def build_application(
    settings: Settings,
    services: Services,
    *,
    hide: tuple[str, ...] = (),
    typing_interval: float = TYPING_INTERVAL,
) -> Application:  # type: ignore[type-arg]
    """The bot with its handlers and services; `hide` (e.g. a webhook secret) stays out of logs."""
    token = settings.telegram_bot_token.strip()
    if not token:
        raise BriefbotError("TELEGRAM_BOT_TOKEN is empty; get a token from @BotFather.")
    hidden = (token, *hide)
    protect_token(*hidden)  # before the Bot exists: it logs its URL when created
    access = Access.from_settings(settings)
    base_url, base_file_url = api_urls(settings)
    concurrency = max(settings.telegram_concurrency, 1)
    app = (
        ApplicationBuilder()
        .token(token)
        .base_url(base_url)
        .base_file_url(base_file_url)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                do_quote=True,
                allow_sending_without_reply=True,
            )
        )
        .context_types(ContextTypes(context=BotContext))
        .concurrent_updates(concurrency)
        .rate_limiter(AIORateLimiter(max_retries=RATE_LIMIT_RETRIES))
        # each update in flight may hold a reply and a typing request at once
        .connection_pool_size(2 * concurrency + 4)
        .pool_timeout(30)
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .build()
    )
    # Questions, ingests and state reads run in these threads, never on the event loop: as
    # many as updates handled at once, plus the jobs' (asyncio's default pool would silently
    # cap them at min(32, cpus + 4): 6 threads on 2 cores).
    workers = ThreadPoolExecutor(concurrency + JOB_THREADS, thread_name_prefix="briefbot")
    # Ingests (chat, inbox, feeds) have their own few threads: six slow downloads used to take
    # the threads questions needed.
    ingesting = ThreadPoolExecutor(
        max(1, settings.ingest_concurrency), thread_name_prefix="briefbot-ingest"
    )
    app.bot_data[DEPS_KEY] = BotDeps(
        settings=settings,
        services=services,
        access=access,
        secrets=hidden,
        workers=workers,
        ingest_workers=ingesting,
        question_limit=RateLimit(settings.rate_limit_questions),
        ingest_limit=RateLimit(settings.rate_limit_ingests),
        typing_interval=typing_interval,
    )
    add_handlers(app)
    return app


def command_menus(access: Access) -> list[tuple[Any, list[BotCommand]]]:
    """(scope, commands) pairs for set_my_commands: private chats, groups and admins."""

    def menu(names: tuple[str, ...]) -> list[BotCommand]:
        return [BotCommand(name, messages.COMMANDS[name]) for name in names]

    admin = messages.ADMIN_COMMANDS
    private_admin = messages.PRIVATE_COMMANDS + tuple(
        name for name in admin if name not in messages.PRIVATE_COMMANDS
    )
    if not access.restricted:  # everyone may ingest
        return [
            (BotCommandScopeAllPrivateChats(), menu(private_admin)),
            (BotCommandScopeAllGroupChats(), menu(messages.GROUP_COMMANDS)),
            (BotCommandScopeAllChatAdministrators(), menu(messages.GROUP_COMMANDS + admin)),
        ]
    menus = [
        (BotCommandScopeAllPrivateChats(), menu(messages.PRIVATE_COMMANDS)),
        (BotCommandScopeAllGroupChats(), menu(messages.GROUP_COMMANDS)),
    ]
    # A configured admin sees the admin commands in their private chat with the bot.
    menus += [(BotCommandScopeChat(admin_id), menu(private_admin)) for admin_id in access.admins]
    return menus


async def _post_init(app: Application) -> None:  # type: ignore[type-arg]
    deps = deps_of(app)
    # From now on `briefbot ingest` hands briefings to this bot instead of failing on the lock.
    deps.services.handle.claim(BOT_ROLE)
    days = deps.settings.question_retention_days
    gone = await asyncio.to_thread(forget_old_questions, deps.services.state, days)
    if gone:
        log.info("forgot %d questions older than %g days", gone, days)
    for scope, commands in command_menus(deps.access):
        try:
            await app.bot.set_my_commands(commands, scope=scope)
        except TelegramError as e:  # e.g. an admin who never opened a chat with the bot
            log.warning("command menu for %s not set: %s", scope.type, e.message)
    start_jobs(app)
    deps.services.backlog.start()  # briefings a bulk import left unread, parsed when idle
    log.info("bot @%s ready", app.bot.username)


async def _post_shutdown(app: Application) -> None:  # type: ignore[type-arg]
    # The services (store, state) belong to whoever built them; only the threads are ours.
    deps = deps_of(app)
    deps.services.handle.claim("briefbot")
    deps.workers.shutdown(wait=False, cancel_futures=True)
    deps.ingest_workers.shutdown(wait=False, cancel_futures=True)


def run_bot(settings: Settings, services: Services) -> int:
    """Run the bot until interrupted: long polling, or webhook mode with TELEGRAM_WEBHOOK_URL."""
    secret = webhook_secret(settings) if settings.telegram_webhook_url else ""
    app = build_application(settings, services, hide=(secret,) if secret else ())
    hidden = deps_of(app).secrets
    try:
        if settings.telegram_webhook_url:
            app.run_webhook(**webhook_options(settings, secret))
        else:
            app.run_polling(allowed_updates=ALLOWED_UPDATES)
    except InvalidToken as e:
        raise BriefbotError(messages.TOKEN_REJECTED) from e
    except NetworkError as e:
        base_url, _ = api_urls(settings)
        raise BriefbotError(
            f"Could not reach the Telegram Bot API at {base_url.removesuffix('/bot')} "
            f"({redact(e.message, hidden)}); check the network or TELEGRAM_BASE_URL."
        ) from e
    return 0
