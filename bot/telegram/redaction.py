"""Keeping the bot token out of logs and error reports.

Bot API URLs carry the token (`https://api.telegram.org/bot<TOKEN>/getMe`), and so do some of
python-telegram-bot's own messages: it logs "Set Bot API URL: …" at DEBUG, puts the token in
`Bot.__repr__` and in `InvalidToken`'s message. Quieting httpx is not enough, so every log record
is scrubbed when it is created: a log record factory replaces the token (and its secret half)
before any handler — pytest's caplog included — sees the record.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable, Iterable
from typing import Any

REDACTED = "[REDACTED]"
_QUIET_LOGGERS = ("httpx", "httpcore")  # they log request URLs, which carry the token
_MIN_SECRET = 8  # a shorter half of a token would redact ordinary words


def secret_parts(token: str) -> list[str]:
    """The strings to hide for a secret, longest first: the whole secret always, whatever its
    length (a short test token is still a token), and for a bot token also the part after
    'id:' when that is long enough not to hide ordinary words."""
    parts = {token}
    if ":" in token and len(half := token.split(":", 1)[1]) >= _MIN_SECRET:
        parts.add(half)
    return sorted((p for p in parts if p), key=len, reverse=True)


def redact(text: str, secrets: Iterable[str]) -> str:
    """text with every secret replaced by [REDACTED]."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text


class _RedactingFactory:
    """A log record factory that scrubs secrets from message, arguments and traceback."""

    def __init__(self, previous: Callable[..., logging.LogRecord]) -> None:
        self.previous = previous
        self.secrets: list[str] = []

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = self.previous(*args, **kwargs)
        if self.secrets:
            _scrub(record, self.secrets)
        return record


def _scrub(record: logging.LogRecord, secrets: list[str]) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a malformed call; logging reports it itself later
        message = str(record.msg)
    cleaned = redact(message, secrets)
    if cleaned != message:
        record.msg, record.args = cleaned, None
    if record.exc_info and record.exc_info[1] is not None:
        text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        cleaned = redact(text, secrets)
        if cleaned != text:
            record.exc_text = cleaned  # formatters use exc_text instead of re-formatting
    if record.stack_info:
        record.stack_info = redact(record.stack_info, secrets)


_install_lock = threading.Lock()


def protect_token(*secrets: str) -> None:
    """Hide these secrets (the bot token, the webhook secret) from every log record from now on.

    Also sets httpx and httpcore to WARNING at least, as python-telegram-bot's docs advise.
    Idempotent; secrets accumulate for the life of the process.
    """
    for name in _QUIET_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(max(logging.WARNING, logger.level))
    parts = [part for secret in secrets if secret for part in secret_parts(secret)]
    if not parts:
        return
    with _install_lock:
        factory = logging.getLogRecordFactory()
        if not isinstance(factory, _RedactingFactory):
            factory = _RedactingFactory(factory)
            logging.setLogRecordFactory(factory)
        known = set(factory.secrets)
        factory.secrets = sorted(known | set(parts), key=len, reverse=True)
