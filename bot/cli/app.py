"""The parser and `main`: settings, logging and one-line errors around each command."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from bot.cli.terminal import console
from bot.services import Services, build_services
from bot.settings import Settings, use_offline_models
from retrieval.errors import BriefbotError

log = logging.getLogger(__name__)

EXAMPLES = """examples:
  briefbot ingest samples/ https://example.org/news/talks.html notes.md
  cat article.txt | briefbot ingest -
  briefbot ask "What did Russia propose?"
  briefbot ask --json "What did the two sides agree to exchange?"
  briefbot chat
  briefbot list
  briefbot remove t-cd056c42
  briefbot follow --chat -1001234567890 "peace talks between Russia and Ukraine"
  briefbot feed add https://example.org/world/rss.xml
  briefbot store-server --port 8000
"""

Build = Callable[..., Services]


@dataclass
class Invocation:
    """One run of a command: its arguments, settings and output, and the services, built the
    first time a command asks for them and closed when it ends."""

    args: argparse.Namespace
    settings: Settings
    out: Console
    build: Build = build_services
    _services: Services | None = field(default=None, repr=False)

    def services(self) -> Services:
        """The services (opening the store; StoreLockedError if another process holds it)."""
        if self._services is None:
            self._services = self.build(self.settings)
        return self._services

    def close(self) -> None:
        """Close the services if they were built."""
        if self._services is not None:
            self._services.close()
            self._services = None


def configure_logging(level: str) -> None:
    """Log to stderr at level; httpx stays at WARNING because Bot API URLs carry the token."""
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.WARNING),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("httpx", "httpcore", "chromadb", "sentence_transformers", "transformers"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="briefbot",
        description="Answer questions about news briefings with cited sentences.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("ingest", help="add briefings from files, directories, URLs or - (stdin)")
    p.add_argument("sources", nargs="+", metavar="PATH|URL|-")
    p.add_argument(
        "--bulk",
        action="store_true",
        help="a large archive: split on every core and leave the parse (who said, who acts) "
        "for later (`briefbot read`, or the bot in the background)",
    )

    sub.add_parser(
        "read",
        help="parse the briefings a bulk ingest stored unread (speakers, actors, entities)",
    )

    p = sub.add_parser("ask", help="answer one question with cited sentences")
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="print the answer as JSON")
    _as_of_option(p)

    sub.add_parser("chat", help="ask questions interactively (type /help inside)")

    p = sub.add_parser("list", help="list stored briefings, newest first")
    p.add_argument("--json", action="store_true", help="print the list as JSON")

    p = sub.add_parser("timeline", help="a topic's dated statements across briefings, oldest first")
    p.add_argument("topic", help="e.g. 'ceasefire' or 'prisoner exchange'")
    p.add_argument("--json", action="store_true", help="print the timeline as JSON")
    _as_of_option(p)

    p = sub.add_parser("who", help="what a person said in the briefings, newest first")
    p.add_argument("name", help="a name as the briefings write it, e.g. Medinsky")
    p.add_argument("--limit", type=int, default=10, help="how many statements (default 10)")
    p.add_argument("--json", action="store_true", help="print the statements as JSON")

    p = sub.add_parser("remove", help="forget a briefing (its id, or a unique prefix of it)")
    p.add_argument("id")

    sub.add_parser("start", help="start the Telegram bot if a token is set, else the chat")

    p = sub.add_parser("follow", help="alert a Telegram chat to new briefings on a topic")
    p.add_argument("--chat", type=int, required=True, metavar="CHAT_ID", help="the chat's id")
    p.add_argument("topic", nargs="?", help="e.g. 'talks +Istanbul'; none: list the chat's topics")

    p = sub.add_parser("digest", help="a chat's daily digest of its topics: set, stop or show")
    p.add_argument("--chat", type=int, required=True, metavar="CHAT_ID", help="the chat's id")
    p.add_argument("--at", metavar="HH:MM", help="the hour, in DIGEST_TIMEZONE")
    p.add_argument("--off", action="store_true", help="stop the chat's digest")
    p.add_argument(
        "--preview",
        action="store_true",
        help="print what the next digest would send (nothing is marked as sent)",
    )

    p = sub.add_parser("unfollow", help="stop alerting a chat to a topic")
    p.add_argument("--chat", type=int, required=True, metavar="CHAT_ID", help="the chat's id")
    p.add_argument("number", type=int, help="the topic's number in `briefbot follow --chat ID`")

    p = sub.add_parser("feed", help="RSS/Atom feeds the bot reads: add, list, remove, poll")
    p.add_argument("action", choices=("add", "list", "remove", "poll"))
    p.add_argument(
        "target", nargs="?", metavar="URL|N", help="the feed's URL (add), number (remove)"
    )

    sub.add_parser(
        "check",
        help="sweep rows left by crashes and verify the store against its catalogue",
    )

    p = sub.add_parser(
        "store-server",
        help="serve DATA_DIR/chroma with a Chroma server, for several processes (server mode)",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on (8000)")

    p = sub.add_parser("bench", help="speed and memory beside a plain baseline (temporary stores)")
    p.add_argument("documents", type=Path, metavar="DOCUMENTS.jsonl")
    p.add_argument("--questions", type=int, default=200, help="questions to time (default 200)")
    p.add_argument(
        "--sizes",
        type=_sizes,
        default=(10_000, 100_000),
        metavar="N,N",
        help="corpus sizes in sentences (default 10000,100000; add 1000000 for a million)",
    )
    p.add_argument(
        "--ingest-documents",
        type=int,
        metavar="N",
        help="time real-model ingest on the first N documents only (default: all)",
    )
    p.add_argument(
        "--large",
        type=Path,
        metavar="LARGE.jsonl",
        help="also ingest this (larger) file with the real model, for peak memory",
    )
    p.add_argument(
        "--large-documents",
        type=int,
        metavar="N",
        help="of --large, the first N documents only (default: all)",
    )

    p = sub.add_parser(
        "eval", help="score QA sets (documents.jsonl + questions.jsonl) vs a baseline"
    )
    p.add_argument("sets", nargs="+", type=Path, metavar="DIR")
    p.add_argument("--limit", type=int, help="ask a fixed, seeded random sample of N questions")
    p.add_argument("--out", type=Path, default=Path("eval-out"), help="where predictions go")
    return parser


def _as_of_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--as-of",
        type=date.fromisoformat,
        metavar="YYYY-MM-DD",
        help="ignore briefings published after this day",
    )


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a list of numbers like 10000,100000"
        ) from None
    if not sizes or min(sizes) < 100:
        raise argparse.ArgumentTypeError("give sizes of at least 100 sentences")
    return sizes


def commands() -> dict[str, Callable[[Invocation], int]]:
    """Each subcommand's function."""
    from bot.cli import briefings, chat, feeds, following, measuring, store

    return {
        "ingest": briefings.cmd_ingest,
        "read": briefings.cmd_read,
        "ask": briefings.cmd_ask,
        "list": briefings.cmd_list,
        "who": briefings.cmd_who,
        "timeline": briefings.cmd_timeline,
        "remove": briefings.cmd_remove,
        "start": briefings.cmd_start,
        "chat": chat.cmd_chat,
        "follow": following.cmd_follow,
        "unfollow": following.cmd_unfollow,
        "digest": following.cmd_digest,
        "feed": feeds.cmd_feed,
        "store-server": store.cmd_store_server,
        "check": store.cmd_check,
        "bench": measuring.cmd_bench,
        "eval": measuring.cmd_eval,
    }


def main(argv: Sequence[str] | None = None, *, build: Build = build_services) -> int:
    """Entry point of the `briefbot` console script; returns the exit code.

    `build` makes the services (tests pass one that reuses a loaded model).
    """
    args = build_parser().parse_args(argv)
    use_offline_models()
    settings = Settings()
    configure_logging(settings.log_level)
    err = console(stderr=True)
    run = Invocation(args, settings, console(), build)
    try:
        return commands()[args.command](run)
    except BriefbotError as e:
        err.print(f"[red]error:[/red] {escape(str(e))}")
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # a bug: one line for the user, the traceback in the log
        log.debug("unexpected failure", exc_info=True)
        detail = escape(f"{type(e).__name__}: {e}")
        err.print(f"[red]unexpected error:[/red] {detail} (set LOG_LEVEL=DEBUG for details)")
        return 1
    finally:
        run.close()


if __name__ == "__main__":
    sys.exit(main())
