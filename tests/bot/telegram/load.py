"""A load run through the Bot API emulator: questions from many chats while slow downloads go on.

`make bench` runs it in full (`python -m tests.bot.telegram.load`: 500 questions from 50 chats
while 6 `/ingest`s of pages that trickle in are downloading) and prints answer times beside the
same questions asked with no downloads, measured in the same run. `test_load.py` runs a short
version in `make test` and checks that nothing is lost.

Each chat asks its questions one after another, as a person does, all chats at once. A question's
time runs from when it is queued at the emulator to the bot's answer there: the bot's long poll,
its handler, the search and the reply.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from bot.evaluation.metrics import percentile
from bot.services import build_services
from bot.settings import Settings, use_offline_models
from bot.telegram.application import build_application
from ingest.loaders import expand_sources
from retrieval.answering.answer import NOTHING_FOUND
from tests.bot.telegram.botapi import BotAPIEmulator, Call, polling
from tests.bot.telegram.reply_shape import quotes
from tests.ingest.pageserver import PageServer

QUESTIONS = (
    "What did Russia propose?",
    "What did Ukraine ask for?",
    "Where were the talks held?",
    "Who led the Russian delegation?",
    "Was a ceasefire agreed?",
    "What was said about prisoners?",
    "When will the next round take place?",
    "How long did the talks last?",
)
REPLY_TIMEOUT = 120.0  # seconds without any answer before a round counts as stuck
SAMPLES = Path(__file__).resolve().parents[3] / "samples"


class SlowPages:
    """Pages that trickle in (512 bytes every 0.1 s, above the bot's minimum rate) until
    released, then arrive whole: downloads that stay in flight for as long as a round lasts."""

    PIECE = 512
    PAUSE = 0.1

    def __init__(self, server: PageServer, size: int = 2_000_000) -> None:
        self.server = server
        text = "Negotiators met again in Geneva and exchanged drafts on prisoner swaps.\n"
        self.body = (text + " " * size)[:size].encode()  # padding folds away on ingest
        self.release = threading.Event()
        self._cond = threading.Condition()
        self.in_flight = 0

    def add(self, n: int) -> str:
        """A slow page of its own; returns its URL."""
        return self.server.add_handler(f"/slow/{n}", self._serve)

    def wait_in_flight(self, count: int, timeout: float) -> None:
        """Block until `count` downloads are being served."""
        with self._cond:
            if not self._cond.wait_for(lambda: self.in_flight >= count, timeout):
                raise TimeoutError(f"only {self.in_flight} of {count} downloads started")

    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        request.send_response(200)
        request.send_header("Content-Type", "text/plain; charset=utf-8")
        request.send_header("Content-Length", str(len(self.body)))
        request.end_headers()
        with self._cond:
            self.in_flight += 1
            self._cond.notify_all()
        sent = 0
        try:
            while sent < len(self.body) and not self.release.is_set():
                request.wfile.write(self.body[sent : sent + self.PIECE])
                request.wfile.flush()
                sent += self.PIECE
                self.release.wait(self.PAUSE)  # the pace of a slow server, not a synchronisation
            request.wfile.write(self.body[sent:])
        finally:
            with self._cond:
                self.in_flight -= 1
                self._cond.notify_all()


@dataclass(frozen=True)
class Round:
    """What one round of questions from many chats gave."""

    asked: int
    replies: list[str]  # the text of every reply, in the order the chats got them
    seconds: list[float]  # per answered question, from asking to the answer
    wall: float  # from the first question to the last reply

    @property
    def answers(self) -> int:
        """Replies that answer: cited (also as a follow-up) or "found nothing"; not a refusal
        (rate limit, busy) or an error."""
        return sum(1 for text in self.replies if _is_answer(text))

    def p(self, q: float) -> float:
        """The q-th percentile of the answer times, in seconds."""
        return percentile(self.seconds, q)


def _is_answer(text: str) -> bool:
    if text == NOTHING_FOUND or quotes(text):
        return True
    head, _, rest = text.partition("\n\n")
    return head.startswith("Following up on") and quotes(rest)


def _replies_by_chat(api: BotAPIEmulator, chats: set[str]) -> dict[str, list[Call]]:
    found: dict[str, list[Call]] = {}
    for call in api.sent("sendMessage"):
        chat = str(call["chat_id"])
        if chat in chats:
            found.setdefault(chat, []).append(call)
    return found


async def ask_from_chats(api: BotAPIEmulator, chats: Sequence[int], per_chat: int) -> Round:
    """Every chat asks `per_chat` questions, the next once the last is answered, all chats at
    once; returns when every question has its reply (TimeoutError if none comes for long)."""
    asked_at: dict[str, list[float]] = {str(chat): [] for chat in chats}

    def ask(chat: int) -> None:
        sent = asked_at[str(chat)]
        api.queue_message(chat, QUESTIONS[(chat + len(sent)) % len(QUESTIONS)], user_id=chat)
        sent.append(time.monotonic())

    started = time.monotonic()
    for chat in chats:
        ask(chat)
    handled = dict.fromkeys(asked_at, 0)
    replies: dict[str, list[Call]] = {}
    while any(n < per_chat for n in handled.values()):

        def news() -> dict[str, list[Call]] | None:
            got = _replies_by_chat(api, set(asked_at))
            new = any(len(got.get(chat, [])) > handled[chat] for chat in handled)
            return got if new else None

        replies = await api.wait_for_async(news, REPLY_TIMEOUT)
        for chat in chats:
            key = str(chat)
            while handled[key] < len(replies.get(key, [])):
                handled[key] += 1
                if len(asked_at[key]) < per_chat:
                    ask(chat)
    seconds = [
        reply.at - asked
        for key, times in asked_at.items()
        for asked, reply in zip(times, replies.get(key, []), strict=False)
    ]
    texts = [reply.result["text"] for key in asked_at for reply in replies.get(key, [])]
    last = max((r.at for calls in replies.values() for r in calls), default=started)
    return Round(sum(len(t) for t in asked_at.values()), texts, seconds, last - started)


@dataclass(frozen=True)
class LoadRun:
    """A round with no downloads, then one while slow downloads run."""

    quiet: Round
    loaded: Round
    downloads: int
    in_flight_after: int  # downloads still going when the loaded round ended
    ingest_reports: list[str]


async def load_run(
    api: BotAPIEmulator, pages: SlowPages, *, chats: int, per_chat: int, downloads: int
) -> LoadRun:
    """Run both rounds against the bot already polling `api`; then release the downloads and
    collect their reports. Chat ids differ between rounds so that rate limits start afresh."""
    quiet = await ask_from_chats(api, range(10_001, 10_001 + chats), per_chat)
    admin = 9_000
    for n in range(downloads):
        api.queue_message(admin, f"/ingest {pages.add(n)}", user_id=admin)
    await asyncio.to_thread(pages.wait_in_flight, downloads, REPLY_TIMEOUT)
    loaded = await ask_from_chats(api, range(20_001, 20_001 + chats), per_chat)
    in_flight_after = pages.in_flight
    pages.release.set()
    reports = await api.wait_sent_async(
        "editMessageText", chat_id=admin, count=downloads, timeout=REPLY_TIMEOUT
    )
    return LoadRun(quiet, loaded, downloads, in_flight_after, [c.result["text"] for c in reports])


def load_settings(api: BotAPIEmulator, data_dir: Path, downloads: int) -> Settings:
    """The bot's defaults, pointed at the emulator, with room for every slow download to be in
    flight at once (their own threads, no per-user ingest limit, a long deadline)."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=data_dir,
        chroma_host="",
        telegram_bot_token=api.token,
        telegram_base_url=api.url,
        telegram_webhook_url="",
        allowed_chat_ids="",
        admin_user_ids="",
        allow_private_hosts="127.0.0.1",
        ingest_concurrency=downloads,
        rate_limit_ingests=0,
        fetch_deadline=3600,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the full load run over the samples with the real model and print its table."""
    parser = argparse.ArgumentParser(prog="python -m tests.bot.telegram.load")
    parser.add_argument("--chats", type=int, default=50)
    parser.add_argument("--per-chat", type=int, default=10)
    parser.add_argument("--downloads", type=int, default=6)
    args = parser.parse_args(argv)
    use_offline_models()  # an entry point: models load from disk only
    with tempfile.TemporaryDirectory() as tmp, BotAPIEmulator() as api, PageServer() as server:
        settings = load_settings(api, Path(tmp) / "data", args.downloads)
        services = build_services(settings)
        try:
            services.ingester.ingest_sources(expand_sources([str(SAMPLES)]), services.fetcher)

            async def run() -> LoadRun:
                async with polling(build_application(settings, services)):
                    return await load_run(
                        api,
                        SlowPages(server),
                        chats=args.chats,
                        per_chat=args.per_chat,
                        downloads=args.downloads,
                    )

            result = asyncio.run(run())
        finally:
            services.close()
    print_run(result)
    return 0 if _complete(result) else 1


def _complete(run: LoadRun) -> bool:
    rounds = (run.quiet, run.loaded)
    return all(r.answers == r.asked == len(r.replies) for r in rounds) and all(
        text.startswith("✅") for text in run.ingest_reports
    )


def print_run(run: LoadRun) -> None:
    """The load table: answer times with no downloads and while they run, and what was lost."""
    print(f"\nLoad through the Bot API emulator ({run.downloads} slow downloads in flight)")
    print(f"{'':34}{'no downloads':>14}{'downloads':>12}{'ratio':>8}")
    for label, q in (("answer time p50", 50), ("answer time p95", 95)):
        quiet, loaded = run.quiet.p(q), run.loaded.p(q)
        ratio = f"{loaded / quiet:.2f}x" if quiet else "n/a"
        print(f"{label:34}{quiet * 1000:>11.0f} ms{loaded * 1000:>9.0f} ms{ratio:>8}")
    quiet_rate, loaded_rate = (r.asked / r.wall if r.wall else 0.0 for r in (run.quiet, run.loaded))
    ratio = f"{loaded_rate / quiet_rate:.2f}x" if quiet_rate else "n/a"
    print(f"{'questions answered per second':34}{quiet_rate:>14.1f}{loaded_rate:>12.1f}{ratio:>8}")
    for label, quiet_n, loaded_n in (
        ("questions asked", run.quiet.asked, run.loaded.asked),
        ("answered (cited or found nothing)", run.quiet.answers, run.loaded.answers),
        (
            "other replies",
            len(run.quiet.replies) - run.quiet.answers,
            len(run.loaded.replies) - run.loaded.answers,
        ),
    ):
        print(f"{label:34}{quiet_n:>14}{loaded_n:>12}")
    added = sum(1 for text in run.ingest_reports if text.startswith("✅"))
    print(f"downloads in flight when the loaded round ended: {run.in_flight_after}")
    print(f"slow downloads ingested once released: {added} of {run.downloads}")
    print("complete: " + ("yes" if _complete(run) else "NO: something was lost"))


if __name__ == "__main__":
    sys.exit(main())
