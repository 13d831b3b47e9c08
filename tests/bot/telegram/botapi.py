"""A Telegram Bot API emulator: a real HTTP server on 127.0.0.1 that python-telegram-bot talks to.

    with BotAPIEmulator() as api:                      # or the `botapi` fixture
        app = application_builder(api).build()         # a real PTB Application pointed at it
        app.add_handler(...)
        async with polling(app):                       # or webhook(app, ...)
            api.queue_message(42, "/ask what happened?", user_id=42)
            [reply] = await api.wait_sent_async("sendMessage", chat_id=42)

Methods: getMe, getUpdates (long polling), setWebhook / deleteWebhook / getWebhookInfo (updates
are POSTed to a 127.0.0.1 webhook), set/get/deleteMyCommands, sendMessage, editMessageText,
editMessageReplyMarkup, deleteMessage, sendChatAction, answerCallbackQuery, getFile and file
download; more with `set_handler`. URLs are `/bot<TOKEN>/<method>` and
`/file/bot<TOKEN>/<file_path>`; bodies may be JSON, form-encoded or multipart, as PTB sends them.
parse_mode=HTML is parsed like Telegram does (tests/bot/telegram_text.py) into text + entities,
and errors come back as Telegram's 400s, so a rendering bug fails here instead of in production.
MarkdownV2 is passed through unparsed. Nothing here sleeps: waits are on one
`threading.Condition`.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import itertools
import json
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from typing import Any, TypeVar
from urllib.parse import parse_qsl, unquote, urlsplit

from telegram.ext import Application, ApplicationBuilder

from tests.bot.telegram.telegram_text import TelegramHTMLError, detect_entities, parse_telegram_html
from tests.httpserver import LocalHTTPServer, QuietHandler

T = TypeVar("T")
JSON = dict[str, Any]

DEFAULT_TOKEN = "123456789:AAEmulatorTestToken_0123456789abcdefgh"
MAX_TEXT = 4096
CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
        "upload_document", "choose_sticker", "find_location", "record_video_note",
        "upload_video_note",
    }
)  # fmt: skip
# Form fields that stay strings even when they look like JSON ("123", "true").
STRING_PARAMS = frozenset(
    {
        "text", "caption", "parse_mode", "url", "callback_query_id", "file_id", "secret_token",
        "ip_address", "action", "language_code", "description", "short_description", "name",
        "title", "query", "inline_message_id", "data", "emoji", "business_connection_id",
    }
)  # fmt: skip
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
DEFAULT_ERRORS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


class ApiError(Exception):
    """A Bot API error response: HTTP status = error_code, as Telegram does."""

    def __init__(self, error_code: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def payload(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.error_code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


@dataclass(frozen=True)
class Call:
    """One Bot API request the bot made, and how the emulator answered it."""

    method: str
    params: JSON
    ok: bool
    result: Any = None
    error_code: int | None = None
    description: str | None = None
    at: float = field(default_factory=time.monotonic, compare=False)  # when it was answered

    def __getitem__(self, key: str) -> Any:
        return self.params[key]

    def get(self, key: str, default: Any = None) -> Any:
        """A request parameter, or `default`."""
        return self.params.get(key, default)


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request."""

    filename: str
    content: bytes
    content_type: str


@dataclass
class Failure:
    """A scripted error: the next `times` matching calls fail (times=None: until cleared)."""

    method: str
    error: ApiError
    chat_id: int | str | None = None
    times: int | None = 1
    hits: int = 0

    def matches(self, method: str, params: JSON) -> bool:
        if self.method.lower() != method.lower():
            return False
        if self.times is not None and self.hits >= self.times:
            return False
        return self.chat_id is None or str(params.get("chat_id")) == str(self.chat_id)


@dataclass(frozen=True)
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes
    file_name: str
    mime_type: str


@dataclass
class Webhook:
    url: str
    secret_token: str | None = None
    allowed_updates: list[str] | None = None
    max_connections: int = 40
    last_error_date: int | None = None
    last_error_message: str | None = None
    retry_at: float = 0.0
    backoff: float = 0.0
    delivered: list[int] = field(default_factory=list)


class BotAPIEmulator(LocalHTTPServer):
    """The Bot API for one bot, served on 127.0.0.1 at a random port from background threads."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        username: str = "briefbot_test_bot",
        first_name: str = "Briefbot",
        privacy_mode: bool = False,
    ) -> None:
        super().__init__(_RequestHandler, name="botapi-http")
        self.token = token
        self.privacy_mode = privacy_mode  # True: groups deliver only commands, mentions, replies
        self.bot_user: JSON = {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": first_name,
            "username": username,
        }
        self.errors: list[BaseException] = []  # the emulator's own bugs; the fixture fails on them
        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._stopped = False
        self._calls: list[Call] = []
        self._failures: list[Failure] = []
        self._updates: list[JSON] = []
        self._update_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._chats: dict[int, JSON] = {}
        self._users: dict[int, JSON] = {}
        self._messages: dict[tuple[int, int], JSON] = {}
        self._by_bot: set[tuple[int, int]] = set()
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._files: dict[str, StoredFile] = {}
        self._callback_queries: dict[str, bool] = {}
        self._commands: dict[tuple[str, str], list[JSON]] = {}
        self._webhook: Webhook | None = None
        self.pollers_waiting = 0  # getUpdates requests blocked in a long poll right now
        self._handlers: dict[str, tuple[str, Callable[[JSON], Any]]] = {}
        for name, handler in {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "sendChatAction": self._send_chat_action,
            "answerCallbackQuery": self._answer_callback_query,
            "getFile": self._get_file,
        }.items():
            self.set_handler(name, handler)
        self._webhook_thread = threading.Thread(
            target=self._deliver_webhooks, name="botapi-webhook", daemon=True
        )

    # ---- lifecycle ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """http://127.0.0.1:PORT"""
        return self.origin

    @property
    def base_url(self) -> str:
        """For ApplicationBuilder.base_url / TELEGRAM_BASE_URL: PTB appends the token."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """For ApplicationBuilder.base_file_url: PTB appends the token."""
        return f"{self.url}/file/bot"

    def start(self) -> BotAPIEmulator:
        """Start serving and delivering to webhooks (idempotent)."""
        super().start()
        if self._webhook_thread.ident is None:
            self._webhook_thread.start()
        return self

    def stop(self) -> None:
        """Release every long poll and stop serving (idempotent)."""
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        super().stop()
        if self._webhook_thread.is_alive():
            self._webhook_thread.join(timeout=5)

    # ---- test helpers: what users do -----------------------------------------------------------

    def add_chat(
        self,
        chat_id: int,
        chat_type: str = "private",
        *,
        title: str | None = None,
        username: str | None = None,
        first_name: str | None = None,
    ) -> JSON:
        """Make a chat known (the bot can only send to chats it has seen); returns the Chat."""
        with self._cond:
            chat: JSON = {"id": chat_id, "type": chat_type}
            if chat_type == "private":
                user = self._users.get(chat_id, {})
                chat["first_name"] = first_name or user.get("first_name") or f"User {chat_id}"
                if username or user.get("username"):
                    chat["username"] = username or user["username"]
            else:
                chat["title"] = title or f"{chat_type.title()} {chat_id}"
                if username:
                    chat["username"] = username
            self._chats.setdefault(chat_id, chat)
            self._message_ids.setdefault(chat_id, itertools.count(1))
            return copy.deepcopy(self._chats[chat_id])

    def add_user(
        self, user_id: int, *, first_name: str | None = None, username: str | None = None
    ) -> JSON:
        """Make a user known; returns the User."""
        with self._cond:
            user = self._users.setdefault(
                user_id,
                {
                    "id": user_id,
                    "is_bot": False,
                    "first_name": first_name or f"User {user_id}",
                    "language_code": "en",
                },
            )
            if username:
                user["username"] = username
            return copy.deepcopy(user)

    def add_file(
        self,
        file_id: str,
        content: bytes,
        file_path: str | None = None,
        *,
        file_name: str | None = None,
        mime_type: str = "application/octet-stream",
    ) -> JSON:
        """Store a file for getFile and download; returns a Document to pass to queue_message."""
        file_path = file_path or f"documents/{file_id}"
        stored = StoredFile(
            file_id=file_id,
            file_unique_id=hashlib.sha1(file_id.encode()).hexdigest()[:16],
            file_path=file_path,
            content=content,
            file_name=file_name or file_path.rsplit("/", 1)[-1],
            mime_type=mime_type,
        )
        with self._cond:
            self._files[file_id] = stored
        return self._document(stored)

    def queue_update(self, update: JSON) -> JSON:
        """Queue a raw update (update_id is assigned); returns it."""
        with self._cond:
            update = {"update_id": next(self._update_ids), **update}
            self._updates.append(update)
            self._cond.notify_all()
            return copy.deepcopy(update)

    def queue_message(
        self,
        chat_id: int,
        text: str | None = None,
        *,
        user_id: int,
        chat_type: str = "private",
        reply_to: int | JSON | None = None,
        entities: list[JSON] | None = None,
        document: str | JSON | None = None,
        first_name: str | None = None,
        username: str | None = None,
        chat_title: str | None = None,
    ) -> JSON:
        """A user writes `text` (or sends `document`) in a chat; returns the queued update.

        Entities default to what Telegram would detect: /commands and @mentions (UTF-16
        offsets). `reply_to` is a message id in this chat (e.g. one the bot sent) or a message.
        A document is a file_id from add_file() or a Document dict; `text` becomes its caption.
        In a "channel" chat the update is a channel_post.
        """
        if not text and document is None:
            raise ValueError("a message needs text or a document")
        with self._cond:
            user = self.add_user(user_id, first_name=first_name, username=username)
            self.add_chat(chat_id, chat_type, title=chat_title)
            if entities is None and text:
                entities = detect_entities(text)
            fields: JSON = {}
            if document is not None:
                if isinstance(document, str):
                    if document not in self._files:
                        raise KeyError(f"unknown file_id {document!r}: add_file() it first")
                    document = self._document(self._files[document])
                fields["document"] = document
                if text:
                    fields["caption"] = text
                    if entities:
                        fields["caption_entities"] = entities
            else:
                fields["text"] = text
                if entities:
                    fields["entities"] = entities
            if reply_to is not None:
                fields["reply_to_message"] = self._reply_target(chat_id, reply_to)
            sender = None if chat_type == "channel" else user
            message = self._store_message(chat_id, sender, fields)
            kind = "channel_post" if chat_type == "channel" else "message"
            if not self._delivered_to_bot(message):
                return {kind: message}  # privacy mode: Telegram never sends it
            return self.queue_update({kind: message})

    def queue_callback_query(
        self,
        chat_id: int,
        data: str,
        *,
        user_id: int,
        message_id: int | None = None,
        first_name: str | None = None,
        username: str | None = None,
    ) -> JSON:
        """A user presses an inline button under a bot message (default: the bot's latest)."""
        with self._cond:
            user = self.add_user(user_id, first_name=first_name, username=username)
            if message_id is None:
                mine = [m for m in self.messages(chat_id) if self._is_from_bot(m)]
                if not mine:
                    raise KeyError(f"the bot has sent no message in chat {chat_id}")
                message_id = mine[-1]["message_id"]
            message = self._reply_target(chat_id, message_id)
            query_id = str(10**15 + next(self._callback_ids))
            self._callback_queries[query_id] = False
            query = {
                "id": query_id,
                "from": user,
                "message": message,
                "chat_instance": str(int(hashlib.sha1(str(chat_id).encode()).hexdigest()[:15], 16)),
                "data": data,
            }
            return self.queue_update({"callback_query": query})

    # ---- test helpers: what the bot did --------------------------------------------------------

    def calls(self, method: str | None = None) -> list[Call]:
        """Every recorded request, failed ones included, oldest first."""
        with self._cond:
            return [c for c in self._calls if method is None or c.method == method]

    def sent(self, method: str | None = None, chat_id: int | str | None = None) -> list[Call]:
        """Successful requests (getUpdates only when asked by name), optionally for one chat."""
        with self._cond:
            return [
                c
                for c in self._calls
                if c.ok
                and (c.method == method if method else c.method != "getUpdates")
                and (chat_id is None or str(c.params.get("chat_id")) == str(chat_id))
            ]

    def messages(self, chat_id: int) -> list[JSON]:
        """The chat's current messages (edits applied, deleted ones gone), oldest first."""
        with self._cond:
            found = [m for (chat, _), m in self._messages.items() if chat == chat_id]
            return copy.deepcopy(sorted(found, key=lambda m: m["message_id"]))

    def message(self, chat_id: int, message_id: int) -> JSON:
        """One stored message as it is now."""
        with self._cond:
            return copy.deepcopy(self._messages[(chat_id, message_id)])

    def commands(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        """The command list set for a scope and language."""
        with self._cond:
            return copy.deepcopy(self._commands.get((_scope_key(scope), language_code), []))

    @property
    def pending_updates(self) -> list[JSON]:
        """Updates not yet confirmed by getUpdates(offset=...) nor delivered to a webhook."""
        with self._cond:
            return copy.deepcopy(self._updates)

    @property
    def webhook_deliveries(self) -> list[int]:
        """update_ids the webhook accepted (2xx), in order."""
        with self._cond:
            return list(self._webhook.delivered) if self._webhook else []

    def notify(self) -> None:
        """Re-check waiting predicates: call it when state outside the emulator changes."""
        with self._cond:
            self._cond.notify_all()

    def wait_for(self, predicate: Callable[[], T], timeout: float = 5.0) -> T:
        """Block until predicate() is truthy; return its value, or raise TimeoutError.

        The predicate is re-checked whenever the emulator records a call or queues an update,
        and on notify() (for predicates over the test's own state). Do not call it on the event
        loop PTB runs on: use `wait_for_async` there.
        """
        with self._cond:
            result = self._cond.wait_for(predicate, timeout)
            if not result:
                seen = ", ".join(f"{c.method}{'' if c.ok else '!'}" for c in self._calls)
                raise TimeoutError(f"condition not met within {timeout}s; calls: {seen or 'none'}")
            return result

    async def wait_for_async(self, predicate: Callable[[], T], timeout: float = 5.0) -> T:
        """`wait_for` without blocking the event loop."""
        return await asyncio.to_thread(self.wait_for, predicate, timeout)

    def wait_sent(
        self,
        method: str,
        *,
        chat_id: int | str | None = None,
        count: int = 1,
        timeout: float = 5.0,
    ) -> list[Call]:
        """Block until at least `count` successful `method` calls (for the chat); return them."""

        def enough() -> list[Call]:
            found = self.sent(method, chat_id)
            return found if len(found) >= count else []

        return self.wait_for(enough, timeout)

    async def wait_sent_async(
        self,
        method: str,
        *,
        chat_id: int | str | None = None,
        count: int = 1,
        timeout: float = 5.0,
    ) -> list[Call]:
        """`wait_sent` without blocking the event loop."""
        return await asyncio.to_thread(
            self.wait_sent, method, chat_id=chat_id, count=count, timeout=timeout
        )

    # ---- scripted failures and extra methods ---------------------------------------------------

    def fail(
        self,
        method: str,
        error_code: int = 400,
        description: str | None = None,
        *,
        retry_after: float | None = None,
        chat_id: int | str | None = None,
        times: int | None = 1,
    ) -> Failure:
        """Make the next `times` calls of `method` (for `chat_id`) fail with this error.

        429 answers "Too Many Requests: retry after N" with parameters.retry_after (default 1);
        403 defaults to "Forbidden: bot was blocked by the user".
        """
        parameters = None
        if error_code == 429:
            retry_after = 1 if retry_after is None else retry_after
            description = description or f"Too Many Requests: retry after {retry_after}"
            parameters = {"retry_after": retry_after}
        description = description or DEFAULT_ERRORS.get(error_code, f"Error {error_code}")
        failure = Failure(method, ApiError(error_code, description, parameters), chat_id, times)
        with self._cond:
            self._failures.append(failure)
        return failure

    def clear_failures(self) -> None:
        """Forget every scripted failure."""
        with self._cond:
            self._failures.clear()

    def set_handler(self, method: str, handler: Callable[[JSON], Any]) -> None:
        """Serve (or replace) a method: handler(params) returns the result or raises ApiError."""
        with self._cond:
            self._handlers[method.lower()] = (method, handler)

    # ---- HTTP ----------------------------------------------------------------------------------

    def handle_http(self, verb: str, path: str, content_type: str, body: bytes) -> _Response:
        """Answer one HTTP request (called from the server threads)."""
        parts = urlsplit(path)
        route = unquote(parts.path)
        try:
            if route.startswith("/file/bot"):
                token, _, file_path = route[len("/file/bot") :].partition("/")
                self._check_token(token)
                return self._download(file_path)
            if not route.startswith("/bot"):
                raise ApiError(404, "Not Found")
            token, _, method = route[len("/bot") :].partition("/")
            self._check_token(token)
            params = dict(_decode_form(parts.query))
            params.update(_parse_body(content_type, body))
        except ApiError as error:
            return _Response.json(error.error_code, error.payload())
        except ValueError:  # undecodable body
            return _Response.json(400, ApiError(400, "Bad Request: can't parse request").payload())
        return self._call(method, params)

    def _check_token(self, token: str) -> None:
        if token != self.token:
            raise ApiError(401, "Unauthorized")

    def _call(self, method: str, params: JSON) -> _Response:
        name, handler = self._handlers.get(method.lower(), (method, None))
        try:
            if handler is None:
                raise ApiError(404, "Not Found")
            with self._cond:
                failure = next((f for f in self._failures if f.matches(name, params)), None)
                if failure:
                    failure.hits += 1
                    raise failure.error
            result = handler(params)
        except ApiError as error:
            self._record(Call(name, params, False, None, error.error_code, error.description))
            return _Response.json(error.error_code, error.payload())
        except Exception as error:  # an emulator bug: answer 500 and let the fixture fail
            self.errors.append(error)
            self._record(Call(name, params, False, None, 500, repr(error)))
            return _Response.json(500, ApiError(500, f"emulator error: {error!r}").payload())
        self._record(Call(name, params, True, copy.deepcopy(result)))
        return _Response.json(200, {"ok": True, "result": result})

    def _record(self, call: Call) -> None:
        with self._cond:
            self._calls.append(call)
            self._cond.notify_all()

    def _download(self, file_path: str) -> _Response:
        with self._cond:
            stored = next((f for f in self._files.values() if f.file_path == file_path), None)
        ok = stored is not None
        self._record(Call("downloadFile", {"file_path": file_path}, ok, None, None if ok else 404))
        if stored is None:
            raise ApiError(404, "Not Found")
        return _Response(200, "application/octet-stream", stored.content)

    # ---- methods -------------------------------------------------------------------------------

    def _get_me(self, params: JSON) -> JSON:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _get_updates(self, params: JSON) -> list[JSON]:
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        allowed = params.get("allowed_updates") or None
        with self._cond:
            if self._webhook:
                raise ApiError(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first",
                )
            if offset > 0:  # confirms every update before `offset`
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            elif offset < 0:  # only the last -offset updates; earlier ones are forgotten
                self._updates = self._updates[offset:]
            self.pollers_waiting += 1
            self._cond.notify_all()
            try:
                while True:
                    batch = [u for u in self._updates if _update_allowed(u, allowed)][:limit]
                    remaining = deadline - time.monotonic()
                    if batch or self._stopped or self._webhook or remaining <= 0:
                        return copy.deepcopy(batch)
                    self._cond.wait(remaining)
            finally:
                self.pollers_waiting -= 1

    def _set_webhook(self, params: JSON) -> bool:
        url = str(params.get("url") or "")
        if not url:
            return self._delete_webhook(params)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or parts.hostname not in LOCAL_HOSTS:
            raise ApiError(400, "Bad Request: bad webhook: the emulator only calls 127.0.0.1")
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        with self._cond:
            if params.get("drop_pending_updates"):
                self._updates.clear()
            self._webhook = Webhook(
                url=url,
                secret_token=secret,
                allowed_updates=params.get("allowed_updates") or None,
                max_connections=int(params.get("max_connections") or 40),
            )
            self._cond.notify_all()
        return True

    def _delete_webhook(self, params: JSON) -> bool:
        with self._cond:
            if params.get("drop_pending_updates"):
                self._updates.clear()
            self._webhook = None
            self._cond.notify_all()
        return True

    def _get_webhook_info(self, params: JSON) -> JSON:
        with self._cond:
            hook = self._webhook
            info: JSON = {
                "url": hook.url if hook else "",
                "has_custom_certificate": False,
                "pending_update_count": len(self._updates),
            }
            if hook:
                info["max_connections"] = hook.max_connections
                if hook.allowed_updates:
                    info["allowed_updates"] = hook.allowed_updates
                if hook.last_error_date:
                    info["last_error_date"] = hook.last_error_date
                    info["last_error_message"] = hook.last_error_message
            return info

    def _set_my_commands(self, params: JSON) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: commands must be a list of at most 100 commands")
        for command in commands:
            name, description = command.get("command", ""), command.get("description", "")
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        key = (_scope_key(params.get("scope")), str(params.get("language_code") or ""))
        with self._cond:
            self._commands[key] = [
                {"command": c["command"], "description": c["description"]} for c in commands
            ]
        return True

    def _get_my_commands(self, params: JSON) -> list[JSON]:
        return self.commands(params.get("scope"), str(params.get("language_code") or ""))

    def _delete_my_commands(self, params: JSON) -> bool:
        key = (_scope_key(params.get("scope")), str(params.get("language_code") or ""))
        with self._cond:
            self._commands.pop(key, None)
        return True

    def _send_message(self, params: JSON) -> JSON:
        with self._cond:
            chat = self._chat(params.get("chat_id"))
            text, entities = _formatted_text(params)
            fields: JSON = {"text": text}
            if entities:
                fields["entities"] = entities
            if params.get("message_thread_id"):
                fields["message_thread_id"] = int(params["message_thread_id"])
            markup = params.get("reply_markup")
            if isinstance(markup, dict) and "inline_keyboard" in markup:
                fields["reply_markup"] = markup
            reply = params.get("reply_parameters")
            if reply is None and params.get("reply_to_message_id"):
                reply = {
                    "message_id": params["reply_to_message_id"],
                    "allow_sending_without_reply": params.get("allow_sending_without_reply"),
                }
            if reply:
                target_chat = self._chat(reply.get("chat_id", chat["id"]))["id"]
                original = self._messages.get((target_chat, int(reply["message_id"])))
                if original is not None:
                    fields["reply_to_message"] = _without_reply(original)
                elif not reply.get("allow_sending_without_reply"):
                    raise ApiError(400, "Bad Request: message to be replied not found")
            sender = None if chat["type"] == "channel" else self.bot_user
            message = self._store_message(chat["id"], sender, fields)
            self._by_bot.add((chat["id"], message["message_id"]))
            return message

    def _edit_message_text(self, params: JSON) -> JSON | bool:
        text, entities = _formatted_text(params)
        if params.get("inline_message_id"):
            return True
        with self._cond:
            chat = self._chat(params.get("chat_id"))
            key = (chat["id"], int(params.get("message_id") or 0))
            message = self._messages.get(key)
            if message is None:
                raise ApiError(400, "Bad Request: message to edit not found")
            if not self._is_from_bot(message):
                raise ApiError(400, "Bad Request: message can't be edited")
            if "text" not in message:
                raise ApiError(400, "Bad Request: there is no text in the message to edit")
            markup = params.get("reply_markup")
            if (
                message["text"] == text
                and message.get("entities", []) == entities
                and message.get("reply_markup") == markup
            ):
                raise ApiError(
                    400,
                    "Bad Request: message is not modified: specified new message content and "
                    "reply markup are exactly the same as a current content and reply markup "
                    "of the message",
                )
            message["text"] = text
            message.pop("entities", None)
            if entities:
                message["entities"] = entities
            message.pop("reply_markup", None)  # an edit without reply_markup removes it
            if markup:
                message["reply_markup"] = markup
            message["edit_date"] = int(time.time())
            return copy.deepcopy(message)

    def _edit_message_reply_markup(self, params: JSON) -> JSON | bool:
        if params.get("inline_message_id"):
            return True
        markup = params.get("reply_markup") or None
        with self._cond:
            chat = self._chat(params.get("chat_id"))
            message = self._messages.get((chat["id"], int(params.get("message_id") or 0)))
            if message is None:
                raise ApiError(400, "Bad Request: message to edit not found")
            if not self._is_from_bot(message):
                raise ApiError(400, "Bad Request: message can't be edited")
            if message.get("reply_markup") == markup:
                raise ApiError(
                    400,
                    "Bad Request: message is not modified: specified new message content and "
                    "reply markup are exactly the same as a current content and reply markup "
                    "of the message",
                )
            message.pop("reply_markup", None)
            if markup:
                message["reply_markup"] = markup
            message["edit_date"] = int(time.time())
            return copy.deepcopy(message)

    def _delete_message(self, params: JSON) -> bool:
        with self._cond:
            chat = self._chat(params.get("chat_id"))
            if self._messages.pop((chat["id"], int(params.get("message_id") or 0)), None) is None:
                raise ApiError(400, "Bad Request: message to delete not found")
        return True

    def _send_chat_action(self, params: JSON) -> bool:
        with self._cond:
            self._chat(params.get("chat_id"))
        if params.get("action") not in CHAT_ACTIONS:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        return True

    def _answer_callback_query(self, params: JSON) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        with self._cond:
            if self._callback_queries.get(query_id, True):  # unknown or already answered
                raise ApiError(
                    400,
                    "Bad Request: query is too old and response timeout expired "
                    "or query ID is invalid",
                )
            self._callback_queries[query_id] = True
        if len(str(params.get("text") or "")) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        return True

    def _get_file(self, params: JSON) -> JSON:
        with self._cond:
            stored = self._files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
            "file_path": stored.file_path,
        }

    # ---- internals -----------------------------------------------------------------------------

    def _chat(self, chat_id: Any) -> JSON:
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            found = [c for c in self._chats.values() if c.get("username") == chat_id[1:]]
            if found:
                return found[0]
        with contextlib.suppress(TypeError, ValueError):
            chat = self._chats.get(int(chat_id))
            if chat is not None:
                return chat
        raise ApiError(400, "Bad Request: chat not found")

    def _store_message(self, chat_id: int, sender: JSON | None, fields: JSON) -> JSON:
        chat = self._chats[chat_id]
        message: JSON = {
            "message_id": next(self._message_ids[chat_id]),
            "date": int(time.time()),
            "chat": copy.deepcopy(chat),
        }
        if sender is not None:
            message["from"] = copy.deepcopy(sender)
        elif chat["type"] == "channel":
            message["sender_chat"] = copy.deepcopy(chat)
        message.update(copy.deepcopy(fields))
        self._messages[(chat_id, message["message_id"])] = message
        return copy.deepcopy(message)

    def _reply_target(self, chat_id: int, reply_to: int | JSON) -> JSON:
        if isinstance(reply_to, dict):
            return _without_reply(reply_to)
        message = self._messages.get((chat_id, reply_to))
        if message is None:
            raise KeyError(f"no message {reply_to} in chat {chat_id}")
        return _without_reply(message)

    def _is_from_bot(self, message: JSON) -> bool:
        return (message["chat"]["id"], message["message_id"]) in self._by_bot

    def _delivered_to_bot(self, message: JSON) -> bool:
        if not self.privacy_mode or message["chat"]["type"] not in ("group", "supergroup"):
            return True
        text = message.get("text") or message.get("caption") or ""
        kinds = {
            e["type"] for e in message.get("entities") or message.get("caption_entities") or []
        }
        replied = message.get("reply_to_message")
        return bool(
            (text.startswith("/") and "bot_command" in kinds)
            or f"@{self.bot_user['username']}".lower() in text.lower()
            or (replied and self._is_from_bot(replied))
        )

    def _document(self, stored: StoredFile) -> JSON:
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": stored.file_name,
            "mime_type": stored.mime_type,
            "file_size": len(stored.content),
        }

    # ---- webhook delivery ----------------------------------------------------------------------

    def _next_delivery(self) -> tuple[JSON, Webhook] | bool | None:
        """Under the lock: False to stop, None to wait, or the next update and its webhook."""
        if self._stopped:
            return False
        hook = self._webhook
        if hook is None or not self._updates or time.monotonic() < hook.retry_at:
            return None
        return copy.deepcopy(self._updates[0]), hook

    def _deliver_webhooks(self) -> None:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        while True:
            with self._cond:
                job = self._next_delivery()
                while job is None:
                    hook = self._webhook
                    wait = hook.retry_at - time.monotonic() if hook and self._updates else None
                    self._cond.wait(None if wait is None else max(wait, 0.001))
                    job = self._next_delivery()
            if job is False:
                return
            assert isinstance(job, tuple)
            update, hook = job
            error = _post_update(opener, hook, update)
            with self._cond:
                if error is None:
                    self._updates = [
                        u for u in self._updates if u["update_id"] != update["update_id"]
                    ]
                    hook.delivered.append(update["update_id"])
                    hook.backoff = 0.0
                else:
                    hook.last_error_date = int(time.time())
                    hook.last_error_message = error
                    hook.backoff = min(max(hook.backoff * 2, 0.05), 1.0)
                    hook.retry_at = time.monotonic() + hook.backoff
                self._cond.notify_all()


# ---- HTTP plumbing ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Response:
    status: int
    content_type: str
    body: bytes

    @classmethod
    def json(cls, status: int, payload: JSON) -> _Response:
        body = json.dumps(payload, ensure_ascii=False).encode()
        return cls(status, "application/json", body)


class _RequestHandler(QuietHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as httpx expects from api.telegram.org
    disable_nagle_algorithm = True  # headers and body go out in two writes
    server_version = "BotAPIEmulator/1.0"

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        emulator: BotAPIEmulator = self.owner
        response = emulator.handle_http(
            self.command, self.path, self.headers.get("Content-Type", ""), body
        )
        try:
            self.respond(response.status, response.body, response.content_type)
        except OSError:  # the client gave up (a cancelled long poll)
            self.close_connection = True


def _parse_body(content_type: str, body: bytes) -> JSON:
    kind = content_type.split(";", 1)[0].strip().lower()
    if not body:
        return {}
    if kind == "application/json":
        try:
            params = json.loads(body)
        except ValueError as error:
            raise ApiError(400, "Bad Request: can't parse JSON object") from error
        if not isinstance(params, dict):
            raise ApiError(400, "Bad Request: parameters must be a JSON object")
        return params
    if kind == "multipart/form-data":
        header = f"Content-Type: {content_type}\r\n\r\n".encode()
        form = BytesParser(policy=policy.HTTP).parsebytes(header + body)
        params = {}
        for part in form.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            if part.get_filename():
                params[name] = UploadedFile(part.get_filename(), payload, part.get_content_type())
            else:
                params[name] = _decode_value(name, payload.decode("utf-8"))
        return params
    return dict(_decode_form(body.decode("utf-8")))


def _decode_form(query: str) -> list[tuple[str, Any]]:
    return [(k, _decode_value(k, v)) for k, v in parse_qsl(query, keep_blank_values=True)]


def _decode_value(key: str, value: str) -> Any:
    """PTB sends non-string values JSON-encoded in form fields; strings as they are."""
    if key in STRING_PARAMS:
        return value
    try:
        decoded = json.loads(value)
    except ValueError:
        return value
    return value if isinstance(decoded, str) else decoded


def _post_update(opener: urllib.request.OpenerDirector, hook: Webhook, update: JSON) -> str | None:
    headers = {"Content-Type": "application/json"}
    if hook.secret_token:
        headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
    request = urllib.request.Request(
        hook.url, data=json.dumps(update).encode(), headers=headers, method="POST"
    )
    try:
        with opener.open(request, timeout=10) as response:
            response.read()
    except urllib.error.HTTPError as error:
        return f"Wrong response from the webhook: {error.code} {error.reason}"
    except OSError as error:
        return f"Connection refused: {error}"
    return None


def _scope_key(scope: Any) -> str:
    return json.dumps(scope or {"type": "default"}, sort_keys=True)


def _update_allowed(update: JSON, allowed: list[str] | None) -> bool:
    return not allowed or any(kind in update for kind in allowed)


def _without_reply(message: JSON) -> JSON:
    """Telegram nests reply_to_message one level only."""
    flat = copy.deepcopy(message)
    flat.pop("reply_to_message", None)
    return flat


def _formatted_text(params: JSON) -> tuple[str, list[JSON]]:
    text = params.get("text")
    if text is None or str(text) == "":
        raise ApiError(400, "Bad Request: message text is empty")
    text = str(text)
    mode = str(params.get("parse_mode") or "").lower()
    if mode == "html":
        try:
            text, entities = parse_telegram_html(text)
        except TelegramHTMLError as error:
            raise ApiError(400, f"Bad Request: can't parse entities: {error}") from error
    else:
        entities = list(params.get("entities") or [])
    if not text.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    if len(text) > MAX_TEXT:
        raise ApiError(400, "Bad Request: message is too long")
    return text, entities


# ---- python-telegram-bot side -----------------------------------------------------------------


def application_builder(api: BotAPIEmulator) -> ApplicationBuilder:
    """An ApplicationBuilder for the emulator's bot: token, base_url and base_file_url set."""
    return (
        ApplicationBuilder()
        .token(api.token)
        .base_url(api.base_url)
        .base_file_url(api.base_file_url)
    )


@contextlib.asynccontextmanager
async def polling(app: Application, **start_polling: Any) -> AsyncIterator[Application]:
    """Run `app` with long polling for the body of the block, then shut it down cleanly.

    The same steps as `Application.run_polling`, post_init/post_stop/post_shutdown included, on
    the test's own event loop and without signal handlers.
    """
    start_polling.setdefault("poll_interval", 0)
    async with _running(app):
        await app.updater.start_polling(**start_polling)  # type: ignore[union-attr]
        await app.start()
        yield app


@contextlib.asynccontextmanager
async def webhook(app: Application, **start_webhook: Any) -> AsyncIterator[Application]:
    """Run `app` in webhook mode (as `Application.run_webhook` does) for the body of the block."""
    async with _running(app):
        await app.updater.start_webhook(**start_webhook)  # type: ignore[union-attr]
        await app.start()
        yield app


@contextlib.asynccontextmanager
async def _running(app: Application) -> AsyncIterator[None]:
    await app.initialize()
    try:
        if app.post_init:
            await app.post_init(app)
        yield
    finally:
        if app.updater and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        if app.post_stop:
            await app.post_stop(app)
        await app.shutdown()
        if app.post_shutdown:
            await app.post_shutdown(app)
