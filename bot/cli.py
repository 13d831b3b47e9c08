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
from rich.table import Table

from bot.bench import run_bench
from bot.evaluation import METRIC_ROWS, SetResult, evaluate_sets, format_value
from bot.feeds_job import FeedRow, add_feed, list_feeds, poll_due, remove_feed
from bot.inbox import hand_over
from bot.services import Services, build_services
from bot.settings import Settings
from bot.state import BotState
from bot.subscriptions import follow, following, unfollow
from ingest.fetch import UrlFetcher
from ingest.loaders import expand_sources, load_source
from ingest.pipeline import IngestResult
from retrieval.errors import BriefbotError, StoreLockedError
from retrieval.types import Answer, Question

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


def cmd_follow(args: argparse.Namespace, out: Console, settings: Settings) -> int:
    """Follow a topic in a chat, or list the chat's topics (state.db only: works while the bot
    runs)."""
    state = BotState(settings.data_dir / "state.db")
    try:
        if args.topic:
            subscription, created = follow(state, args.chat, args.topic)
            verb = "now follows" if created else "already follows"
            out.print(f"Chat {args.chat} {verb}: {subscription.topic.text}", highlight=False)
            if subscription.topic.keywords:
                out.print(f"required words: {', '.join(subscription.topic.keywords)}")
            return 0
        topics = following(state, args.chat)
        if not topics:
            out.print(f"Chat {args.chat} follows no topics.", highlight=False)
        for n, s in enumerate(topics, start=1):
            out.print(f"{n}. {s.topic.text}", highlight=False)
        return 0
    finally:
        state.close()


def cmd_unfollow(args: argparse.Namespace, out: Console, settings: Settings) -> int:
    """Stop following a chat's topic by its number."""
    state = BotState(settings.data_dir / "state.db")
    try:
        gone = unfollow(state, args.chat, args.number)
    finally:
        state.close()
    if gone is None:
        out.print(
            f"Chat {args.chat} has no topic {args.number}; `briefbot follow --chat "
            f"{args.chat}` lists them.",
            highlight=False,
        )
        return 1
    out.print(f"Chat {args.chat} no longer follows: {gone.topic.text}", highlight=False)
    return 0


def cmd_feed(args: argparse.Namespace, out: Console, settings: Settings) -> int:
    """feed add URL | list | remove N (state.db only), or poll (reads every feed now)."""
    if args.action in ("add", "remove") and not args.target:
        out.print(f"Usage: briefbot feed {args.action} {'URL' if args.action == 'add' else 'N'}")
        return 2
    if args.action == "poll":
        return poll_feeds_now(out, settings)
    state = BotState(settings.data_dir / "state.db")
    try:
        if args.action == "add":
            if not args.target.lower().startswith(("http://", "https://")):
                out.print(f"{args.target} is not an http(s) link.", highlight=False)
                return 1
            feed, created = add_feed(state, args.target, None)
            how = "added; the bot reads it at its next check" if created else "is already read"
            out.print(f"{feed.url} {how} (`briefbot feed poll` reads it now).", highlight=False)
        elif args.action == "remove":
            gone = remove_feed(state, int(args.target)) if args.target.isdigit() else None
            if gone is None:
                out.print(f"No feed number {args.target}; `briefbot feed list` shows them.")
                return 1
            out.print(f"Removed {gone.url}", highlight=False)
        else:
            print_feeds(list_feeds(state), out)
        return 0
    finally:
        state.close()


def print_feeds(feeds: list[FeedRow], out: Console) -> None:
    """A table of feeds, numbered as `feed remove N` expects."""
    if not feeds:
        out.print("No feeds yet. Add one with: briefbot feed add URL")
        return
    table = Table("n", "url", "title", "status")
    for n, f in enumerate(feeds, start=1):
        status = f"failing ({f.failures}x): {f.last_error}" if f.failures else "ok"
        table.add_row(str(n), f.url, f.title, status)
    out.print(table)


def poll_feeds_now(out: Console, settings: Settings) -> int:
    """Read every feed once, now; while the bot holds the data directory it does that itself."""
    try:
        services = build_services(settings)
    except StoreLockedError:
        out.print(
            f"The running bot holds {settings.data_dir} and reads the feeds itself every "
            f"{settings.feed_interval:g} s (a feed just added at its next check, within a minute).",
            highlight=False,
        )
        return 0
    state = BotState(settings.data_dir / "state.db")
    try:
        outcomes = poll_due(
            state, services.ingester, services.fetcher, settings.feed_interval, every=True
        )
    finally:
        state.close()
        services.close()
    for o in outcomes:
        if o.error:
            out.print(f"[red]failed[/red]  {o.feed.url}: {o.error}", highlight=False)
        else:
            what = "not modified" if o.not_modified else f"{o.added} new"
            out.print(f"{o.feed.url}: {what}", highlight=False)
    if not outcomes:
        out.print("No feeds yet. Add one with: briefbot feed add URL")
    return 1 if any(o.error for o in outcomes) else 0


def answer_json(answer: Answer) -> dict:
    """The machine-readable form of an answer (`ask --json`)."""
    return {
        "question": answer.question,
        "answer": answer.text,
        "abstained": answer.abstained,
        "citations": [
            {
                "text": c.sentence,
                "doc_id": c.doc_id,
                "title": c.title,
                "date": c.published.isoformat() if c.published else None,
                "url": c.url,
                "start": c.start,
                "end": c.end,
            }
            for c in answer.citations
        ],
    }


def print_answer(answer: Answer, out: Console) -> None:
    """An answer for people: numbered quotes, each with its title and date."""
    if answer.abstained:
        out.print(answer.text, highlight=False)
        return
    for n, c in enumerate(answer.citations, start=1):
        out.print(
            f"[bold][{n}][/bold] [italic]{_markup_safe(c.sentence)}[/italic]", highlight=False
        )
        when = f", {c.published.isoformat()}" if c.published else ""
        link = f"  {c.url}" if c.url else ""
        out.print(f"    — {_markup_safe(c.title)}{when}{link}", style="dim", highlight=False)


def _markup_safe(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def cmd_ask(services: Services, args: argparse.Namespace, out: Console, _: Settings) -> int:
    """Answer one question."""
    answer = services.ask(Question(text=args.question, as_of=args.as_of))
    if args.json:
        print(json.dumps(answer_json(answer), ensure_ascii=False, indent=2))
    else:
        print_answer(answer, out)
    return 0


CHAT_HELP = """Type a question and press Enter. Commands:
  /ingest PATH|URL ...   add briefings
  /list                  list stored briefings
  /help                  this text
  /quit                  leave (or Ctrl-D)"""


def cmd_chat(services: Services, _: argparse.Namespace, out: Console, __: Settings) -> int:
    """An interactive loop over the same answer chain as every other front end."""
    count = len(services.store.records())
    out.print(
        f"briefbot chat: {count} briefings stored. Ask a question, /help for commands, "
        "/quit to leave."
    )
    while True:
        try:
            line = input("question> ").strip()
        except EOFError:
            out.print()
            return 0
        if not line:
            continue
        if line in ("/quit", "/exit", "quit", "exit"):
            return 0
        try:
            chat_line(services, line, out)
        except BriefbotError as e:
            out.print(f"[red]error:[/red] {e}", highlight=False)


def chat_line(services: Services, line: str, out: Console) -> None:
    """Handle one line typed in the chat."""
    if line == "/help":
        out.print(CHAT_HELP, highlight=False)
    elif line == "/list":
        print_list(services, out)
    elif line.startswith("/ingest"):
        sources = line.split()[1:]
        if not sources:
            out.print("Usage: /ingest PATH|URL ...")
            return
        for r in services.ingester.ingest_sources(sources, services.fetcher):
            title = r.briefing.title if r.briefing else ""
            out.print(r.error if r.status == "failed" else f"{r.status}: {title}", highlight=False)
    elif line.startswith("/"):
        out.print(
            f"Unknown command {line.split()[0]}. Type /help for the commands.", highlight=False
        )
    else:
        print_answer(services.ask(line), out)


def print_list(services: Services, out: Console) -> None:
    """A table of stored briefings, newest first."""
    records = services.store.records()
    if not records:
        out.print("No briefings yet. Add some with: briefbot ingest PATH|URL")
        return
    table = Table("id", "date", "title", "sentences", "source")
    for r in records:
        table.add_row(
            r.id,
            r.published.isoformat() if r.published else "",
            r.title,
            str(r.sentence_count),
            r.url or r.source,
        )
    out.print(table)


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


def cmd_bench(args: argparse.Namespace, out: Console, settings: Settings) -> int:
    """Time ingest and questions over a corpus in a temporary store (the data dir is untouched)."""
    with Console(stderr=True).status("benchmarking…"):
        report = run_bench(args.documents, settings, questions=args.questions)
    for line in report.lines():
        out.print(line, highlight=False)
    return 0


def cmd_eval(args: argparse.Namespace, out: Console, settings: Settings) -> int:
    """Score each QA set with briefbot and the baseline; print a table per set."""
    missing = [d for d in args.sets if not (d / "documents.jsonl").exists()]
    if missing:
        out.print(f"No documents.jsonl in {', '.join(map(str, missing))}.", highlight=False)
        return 1
    with Progress(
        *Progress.get_default_columns(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("eval", total=None)

        def advance(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total)

        for result in evaluate_sets(
            args.sets, settings, args.out, limit=args.limit, progress=advance
        ):
            out.print(eval_table(result))
            out.print(curve_table(result))
            out.print(f"predictions: {result.predictions}", highlight=False)
    return 0


def eval_table(result: SetResult) -> Table:
    """One set's metrics, briefbot beside the same-run baseline."""
    table = Table(
        title=f"{result.name}: {result.briefbot.questions} questions, "
        f"{result.documents} documents ingested in {result.ingest_seconds:.0f} s"
    )
    table.add_column("metric")
    table.add_column("briefbot", justify="right")
    table.add_column("baseline", justify="right")
    for label, attr, kind in METRIC_ROWS:
        table.add_row(
            label,
            format_value(getattr(result.briefbot, attr), kind),
            format_value(getattr(result.baseline, attr), kind),
        )
    return table


def curve_table(result: SetResult) -> Table:
    """Abstention at other thresholds: what MIN_RELEVANCE trades (same run, same answers)."""
    table = Table(title=f"{result.name}: abstention if relevance < threshold")
    for column in ("threshold", "abstain-correct", "abstain-wrong"):
        table.add_column(column, justify="right")
    for threshold, correct, wrong in result.curve:
        table.add_row(
            f"{threshold:.2f}", format_value(correct, "share"), format_value(wrong, "share")
        )
    return table


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
