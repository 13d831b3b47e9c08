"""The `briefbot` command line: a thin shell over the services."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections import Counter
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from bot.chat import cmd_chat
from bot.cli_alerts import cmd_feed, cmd_follow, cmd_unfollow
from bot.cli_measure import cmd_bench, cmd_eval
from bot.inbox import hand_over
from bot.services import Services, build_services
from bot.settings import Settings
from bot.terminal import answer_json, print_answer, print_list
from ingest.fetch import UrlFetcher
from ingest.loaders import expand_sources, load_source
from ingest.pipeline import IngestResult
from retrieval.errors import BriefbotError, StoreLockedError
from retrieval.types import Question

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
"""


def configure_logging(level: str) -> None:
    """Log to stderr at level; httpx stays at WARNING because Bot API URLs carry the token."""
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.WARNING),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in (
        "httpx",
        "httpcore",
        "chromadb",
        "sentence_transformers",
        "transformers",
        "bm25s",
    ):
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

    p = sub.add_parser("follow", help="alert a Telegram chat to new briefings on a topic")
    p.add_argument("--chat", type=int, required=True, metavar="CHAT_ID", help="the chat's id")
    p.add_argument("topic", nargs="?", help="e.g. 'talks +Istanbul'; none: list the chat's topics")

    p = sub.add_parser("unfollow", help="stop alerting a chat to a topic")
    p.add_argument("--chat", type=int, required=True, metavar="CHAT_ID", help="the chat's id")
    p.add_argument("number", type=int, help="the topic's number in `briefbot follow --chat ID`")

    p = sub.add_parser("feed", help="RSS/Atom feeds the bot reads: add, list, remove, poll")
    p.add_argument("action", choices=("add", "list", "remove", "poll"))
    p.add_argument(
        "target", nargs="?", metavar="URL|N", help="the feed's URL (add), number (remove)"
    )

    p = sub.add_parser("ask", help="answer one question with cited sentences")
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="print the answer as JSON")
    p.add_argument(
        "--as-of",
        type=date.fromisoformat,
        metavar="YYYY-MM-DD",
        help="ignore briefings published after this day",
    )

    sub.add_parser("chat", help="ask questions interactively (type /help inside)")

    p = sub.add_parser("list", help="list stored briefings, newest first")
    p.add_argument("--json", action="store_true", help="print the list as JSON")

    p = sub.add_parser("remove", help="forget a briefing (its id, or a unique prefix of it)")
    p.add_argument("id")

    sub.add_parser("start", help="start the Telegram bot if a token is set, else the chat")

    p = sub.add_parser(
        "bench", help="time ingest and questions on a .jsonl corpus (temporary store)"
    )
    p.add_argument("documents", type=Path, metavar="DOCUMENTS.jsonl")
    p.add_argument("--questions", type=int, default=200, help="questions to time (default 200)")

    p = sub.add_parser(
        "eval", help="score QA sets (documents.jsonl + questions.jsonl) vs a baseline"
    )
    p.add_argument("sets", nargs="+", type=Path, metavar="DIR")
    p.add_argument("--limit", type=int, help="ask a fixed, seeded random sample of N questions")
    p.add_argument("--out", type=Path, default=Path("eval-out"), help="where predictions go")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `briefbot` console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    settings = Settings()
    configure_logging(settings.log_level)
    out = Console()
    err = Console(stderr=True)
    if args.command in STANDALONE:
        try:
            return STANDALONE[args.command](args, out, settings)
        except BriefbotError as e:
            err.print(f"[red]error:[/red] {e}", highlight=False)
            return 1
    try:
        services = build_services(settings)
    except StoreLockedError as e:
        if args.command != "ingest":
            err.print(f"[red]error:[/red] {e}", highlight=False)
            return 1
        try:  # the running bot owns the embedded store: hand the briefings to it
            return hand_to_bot(args, out, settings)
        except BriefbotError as e:
            err.print(f"[red]error:[/red] {e}", highlight=False)
            return 1
    except BriefbotError as e:
        err.print(f"[red]error:[/red] {e}", highlight=False)
        return 1
    try:
        return COMMANDS[args.command](services, args, out, settings)
    except BriefbotError as e:
        err.print(f"[red]error:[/red] {e}", highlight=False)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # a bug: one line for the user, the traceback in the log
        log.debug("unexpected failure", exc_info=True)
        err.print(
            f"[red]unexpected error:[/red] {type(e).__name__}: {e} "
            "(set LOG_LEVEL=DEBUG for details)",
            highlight=False,
        )
        return 1
    finally:
        services.close()


def cmd_ingest(services: Services, args: argparse.Namespace, out: Console, _: Settings) -> int:
    """Ingest every source, with a progress line and a summary; 1 if any failed."""
    results: list[IngestResult] = []
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as progress:
        task = progress.add_task("ingesting…", total=None)

        def advance(result: IngestResult) -> None:
            results.append(result)
            progress.update(task, description=f"ingested {len(results)}: {result.source}")

        services.ingester.ingest_sources(
            args.sources, services.fetcher, stdin=sys.stdin, progress=advance
        )
    counts = Counter(r.status for r in results)
    for r in results:
        if r.status == "failed":
            out.print(f"[red]failed[/red]  {r.error}", highlight=False)
        elif len(results) <= 20 and r.briefing is not None:
            out.print(
                f"{r.status:9} {r.briefing.id}  {r.briefing.title}  ({r.sentence_count} sentences)",
                highlight=False,
            )
    out.print(", ".join(f"{counts[s]} {s}" for s in ("added", "updated", "unchanged", "failed")))
    return 1 if counts["failed"] else 0


def hand_to_bot(args: argparse.Namespace, out: Console, settings: Settings) -> int:
    """Ingest while the bot holds the data directory: load here, write a job to its inbox."""
    briefings, failed = [], 0
    with UrlFetcher(
        max_bytes=settings.max_download_bytes,
        timeout=settings.fetch_timeout,
        allowed_private=settings.private_hosts,
    ) as fetcher:
        for source in expand_sources(list(args.sources)):
            try:
                briefings += load_source(source, fetcher=fetcher, stdin=sys.stdin)
            except BriefbotError as e:
                failed += 1
                out.print(f"[red]failed[/red]  {e}", highlight=False)
    if briefings:
        job = hand_over(settings.data_dir, briefings)
        out.print(
            f"The data directory {settings.data_dir} is in use by the running bot, so "
            f"{len(briefings)} briefing(s) were handed to it "
            f"({job.relative_to(settings.data_dir)}). It adds them within "
            f"{settings.inbox_interval:g} s and alerts the chats that follow their topics "
            "(/list in Telegram shows them).",
            highlight=False,
        )
    out.print(f"{len(briefings)} handed to the bot, {failed} failed")
    return 1 if failed else 0


def cmd_ask(services: Services, args: argparse.Namespace, out: Console, _: Settings) -> int:
    """Answer one question."""
    answer = services.ask(Question(text=args.question, as_of=args.as_of))
    if args.json:
        print(json.dumps(answer_json(answer), ensure_ascii=False, indent=2))
    else:
        print_answer(answer, out)
    return 0


def cmd_list(services: Services, args: argparse.Namespace, out: Console, _: Settings) -> int:
    """List stored briefings."""
    if args.json:
        records = services.store.records()
        print(
            json.dumps(
                [
                    {
                        "id": r.id,
                        "title": r.title,
                        "date": r.published.isoformat() if r.published else None,
                        "url": r.url,
                        "source": r.source,
                        "sentences": r.sentence_count,
                    }
                    for r in records
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        print_list(services, out)
    return 0


def cmd_remove(services: Services, args: argparse.Namespace, out: Console, _: Settings) -> int:
    """Forget one briefing by id or unique id prefix."""
    matches = services.store.find(args.id)
    if not matches:
        out.print(
            f"No briefing has the id {args.id}; `briefbot list` shows the ids.", highlight=False
        )
        return 1
    if len(matches) > 1:
        out.print(
            f"{len(matches)} briefings start with {args.id}; give more of the id.", highlight=False
        )
        return 1
    services.store.remove(matches[0].id)
    out.print(f"Removed {matches[0].id}: {matches[0].title}", highlight=False)
    return 0


def cmd_start(
    services: Services, args: argparse.Namespace, out: Console, settings: Settings
) -> int:
    """Start the Telegram bot when a token is configured, otherwise the terminal chat."""
    if not settings.telegram_bot_token:
        return cmd_chat(services, args, out, settings)
    from bot.telegram_app import run_bot  # the Telegram stack is loaded only when used

    mode = "webhook" if settings.telegram_webhook_url else "long polling"
    out.print(f"Starting the Telegram bot ({mode}); press Ctrl-C to stop it.")
    return run_bot(settings, services)


STANDALONE = {
    "bench": cmd_bench,
    "eval": cmd_eval,
    "follow": cmd_follow,
    "unfollow": cmd_unfollow,
    "feed": cmd_feed,
}

COMMANDS = {
    "ingest": cmd_ingest,
    "ask": cmd_ask,
    "chat": cmd_chat,
    "list": cmd_list,
    "remove": cmd_remove,
    "start": cmd_start,
}


if __name__ == "__main__":
    sys.exit(main())
