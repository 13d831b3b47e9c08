"""`briefbot start` with a token runs the bot (what `make run` does), in a real process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.bot.telegram.botapi import BotAPIEmulator

ROOT = Path(__file__).resolve().parents[3]
USER = 1001


def start_bot(tmp_path: Path, botapi: BotAPIEmulator, token: str) -> subprocess.Popen[str]:
    """`briefbot start` from the tree under test, at LOG_LEVEL=DEBUG, against the emulator."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATA_DIR": str(tmp_path / "data"),
        "TELEGRAM_BOT_TOKEN": token,
        "TELEGRAM_BASE_URL": botapi.url,
        "LOG_LEVEL": "DEBUG",
    }
    for name in ("TELEGRAM_WEBHOOK_URL", "ALLOWED_CHAT_IDS", "ADMIN_USER_IDS", "CHROMA_HOST"):
        env.pop(name, None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli.app", "start"],
        cwd=tmp_path,  # no .env here
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # wake the emulator's waits when the process ends, so a crash fails fast
    threading.Thread(target=lambda: (proc.wait(), botapi.notify()), daemon=True).start()
    return proc


def test_start_runs_the_bot_until_interrupted_and_logs_no_token(
    tmp_path: Path, botapi: BotAPIEmulator
) -> None:
    proc = start_bot(tmp_path, botapi, botapi.token)
    try:
        botapi.wait_for(lambda: botapi.pollers_waiting or proc.poll() is not None, timeout=60)
        assert proc.poll() is None, proc.communicate()
        botapi.queue_message(USER, "What did Russia propose?", user_id=USER)
        [reply] = botapi.wait_sent("sendMessage", chat_id=USER, timeout=60)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "Starting the Telegram bot (long polling)" in out
    assert reply.result["text"] == "I found nothing about that in the briefings."  # empty store
    assert "DEBUG" in err and "[REDACTED]" in err  # debug logging was on, the token taken out
    assert botapi.token.split(":", 1)[1] not in out + err
    own_lines = [line for line in err.splitlines() if " bot." in line]  # briefbot's loggers
    assert own_lines and not [line for line in own_lines if "What did Russia" in line]


@pytest.mark.parametrize("token", ["123456789:AAWrongTokenWrongTokenWrongToken_42"])
def test_a_rejected_token_is_one_line_without_the_token(
    tmp_path: Path, botapi: BotAPIEmulator, token: str
) -> None:
    proc = start_bot(tmp_path, botapi, token)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert "error: Telegram rejected TELEGRAM_BOT_TOKEN" in " ".join((out + err).split())
    assert token.split(":", 1)[1] not in out + err  # python-telegram-bot's own error log included
