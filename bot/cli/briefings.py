"""`briefbot ingest`, `ask`, `list`, `remove` and `start`."""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from functools import partial
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from bot.cli.app import Invocation
from bot.cli.terminal import answer_json, print_answer, print_list, print_timeline, streamed
from bot.inbox import hand_over
from bot.services import BOT_ROLE, build_fetcher
from bot.wording import counted
from ingest.loaders import expand_sources, load_source
from ingest.pipeline import IngestResult
from retrieval.answering.answer import statements_by
from retrieval.answering.timeline import timeline_json
from retrieval.errors import BriefbotError, StoreLockedError
from retrieval.types import Answer, Question

LISTED = 20  # briefings listed one by one after an ingest of at most this many


def cmd_ingest(run: Invocation) -> int:
    """Ingest every source, with a progress line and a summary; 1 if any failed."""
    try:
        services = run.services()
    except StoreLockedError as e:
        if e.role != BOT_ROLE:
            raise
        return hand_to_bot(run)  # the running bot owns the embedded store
    counts: Counter[str] = Counter()
    shown: list[IngestResult] = []  # the first few, listed at the end; failures always
    sentences, started = 0, time.monotonic()
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as progress:
        task = progress.add_task("ingesting…", total=planned(run.args.sources))
        bulk = bool(getattr(run.args, "bulk", False))
        stream = services.ingester.stream_sources(
            run.args.sources, services.fetcher, stdin=sys.stdin, bulk=bulk
        )
        for result in stream:
            counts[result.status] += 1
            if result.status == "failed" or len(shown) <= LISTED:
                shown.append(result)
            sentences += result.sentence_count if result.status != "unchanged" else 0
            rate = sentences / max(time.monotonic() - started, 1e-9)
            progress.update(task, advance=1, description=f"{rate:,.0f} sentences/s")
    out = run.out
    listing = sum(counts.values()) <= LISTED
    for r in shown:
        if r.status == "failed":
            out.print(f"[red]failed[/red]  {escape(r.error)}")
        elif listing and r.briefing is not None:
            count = counted(r.sentence_count, "sentence")
            line = f"{r.status:9} {r.briefing.id}  {r.briefing.title}  ({count})"
            out.print(line, markup=False)
    out.print(", ".join(f"{counts[s]} {s}" for s in ("added", "updated", "unchanged", "failed")))
    unread = services.backlog.remaining() if bulk else 0
    if unread:
        out.print(
            f"{counted(unread, 'briefing')} stored unread: searchable now; who said and did what "
            "follows when `briefbot read` runs, or the bot reads them in the background."
        )
    return 1 if counts["failed"] else 0


def cmd_read(run: Invocation) -> int:
    """Parse the briefings a bulk ingest stored unread, with a progress bar."""
    services = run.services()
    backlog = services.backlog
    total = backlog.remaining()
    if not total:
        run.out.print("No briefings wait to be read.")
        return 0
    started = time.monotonic()
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as progress:
        task = progress.add_task("reading…", total=total)

        def advance(read: int) -> None:
            done = progress.tasks[0].completed + read
            rate = done / max(time.monotonic() - started, 1e-9)
            progress.update(task, advance=read, description=f"{rate:,.1f} briefings/s")

        read = backlog.read_all(advance)
    run.out.print(f"Read {counted(read, 'briefing')}; {backlog.remaining()} left.")
    return 0


def planned(sources: list[str]) -> int | None:
    """How many briefings the sources hold, for the progress bar (a .jsonl file's lines, one
    for any other source); None when stdin is among them."""
    total = 0
    for source in expand_sources(list(sources)):
        if source == "-":
            return None
        path = Path(source)
        if path.suffix.lower() == ".jsonl" and path.is_file():
            try:
                with path.open("rb") as f:
                    total += sum(1 for line in f if line.strip())
            except OSError:
                total += 1  # its failure is one result
        else:
            total += 1
    return total


def hand_to_bot(run: Invocation) -> int:
    """Ingest while the bot holds the data directory: load here, write a job to its inbox."""
    settings, out = run.settings, run.out
    briefings, failed = [], 0
    with build_fetcher(settings) as fetcher:
        for source in expand_sources(list(run.args.sources)):
            try:
                briefings += load_source(source, fetcher=fetcher, stdin=sys.stdin)
            except BriefbotError as e:
                failed += 1
                out.print(f"[red]failed[/red]  {escape(str(e))}")
    if briefings:
        job = hand_over(settings.data_dir, briefings)
        out.print(
            f"The data directory {settings.data_dir} is in use by the running bot, so "
            f"{counted(len(briefings), 'briefing')} {'was' if len(briefings) == 1 else 'were'} "
            "handed to it "
            f"({job.relative_to(settings.data_dir)}). It adds them within "
            f"{settings.inbox_interval:g} s and alerts the chats that follow their topics "
            "(/list in Telegram shows them).",
            markup=False,
        )
    out.print(f"{len(briefings)} handed to the bot, {failed} failed")
    return 1 if failed else 0


def cmd_ask(run: Invocation) -> int:
    """Answer one question (an empty one is a usage error, exit code 2)."""
    if not run.args.question.strip():
        print(
            'usage: briefbot ask QUESTION, e.g. briefbot ask "What did Russia propose?"',
            file=sys.stderr,
        )
        return 2
    services = run.services()
    question = Question(text=run.args.question, as_of=run.args.as_of)
    if run.args.json:
        answer = services.ask(question)
        print(json.dumps(answer_json(answer), ensure_ascii=False, indent=2))
    else:
        print_answer(streamed(partial(services.ask, question), run.out), run.out)
    return 0


def cmd_who(run: Invocation) -> int:
    """What a person said, newest first; 1 when the briefings quote no one of that name."""
    name = " ".join(run.args.name.split())
    if not name:
        print("usage: briefbot who NAME, e.g. briefbot who Medinsky", file=sys.stderr)
        return 2
    said = statements_by(run.services().store, name, max(1, run.args.limit))
    if run.args.json:
        answer = Answer(question=name, text="", citations=tuple(said), abstained=not said)
        print(json.dumps(answer_json(answer)["citations"], ensure_ascii=False, indent=2))
    elif not said:
        run.out.print(f"The briefings quote no one called {name}.", markup=False)
    else:
        print_answer(Answer(question=name, text="", citations=tuple(said)), run.out)
    return 0 if said else 1


def cmd_timeline(run: Invocation) -> int:
    """A topic's dated statements, oldest first; 1 when the briefings do not cover it."""
    topic = " ".join(run.args.topic.split())
    if not topic:
        print("usage: briefbot timeline TOPIC, e.g. briefbot timeline ceasefire", file=sys.stderr)
        return 2
    entries = run.services().timeline(topic, run.args.as_of)
    if run.args.json:
        print(json.dumps(timeline_json(topic, entries), ensure_ascii=False, indent=2))
    elif not entries:
        run.out.print(f"The briefings hold no dated statements on {topic}.", markup=False)
    else:
        print_timeline(entries, run.out)
    return 0 if entries else 1


def cmd_list(run: Invocation) -> int:
    """List stored briefings."""
    records = run.services().store.records()
    if not run.args.json:
        print_list(records, run.out)
        return 0
    listing = [
        {
            "id": r.id,
            "title": r.title,
            "date": r.published.isoformat() if r.published else None,
            "url": r.url,
            "source": r.source,
            "sentences": r.sentence_count,
        }
        for r in records
    ]
    print(json.dumps(listing, ensure_ascii=False, indent=2))
    return 0


def cmd_remove(run: Invocation) -> int:
    """Forget one briefing by id or unique id prefix."""
    store, prefix, out = run.services().store, run.args.id, run.out
    matches = store.find(prefix)
    if not matches:
        out.print(f"No briefing has the id {prefix}; `briefbot list` shows the ids.", markup=False)
        return 1
    if len(matches) > 1:
        out.print(
            f"{counted(len(matches), 'briefing')} start with {prefix}; give more of the id.",
            markup=False,
        )
        return 1
    store.remove(matches[0].id)
    out.print(f"Removed {matches[0].id}: {matches[0].title}", markup=False)
    return 0


def cmd_start(run: Invocation) -> int:
    """Start the Telegram bot when a token is configured, otherwise the terminal chat."""
    if not run.settings.telegram_bot_token:
        from bot.cli.chat import cmd_chat

        return cmd_chat(run)
    from bot.telegram.application import run_bot  # the Telegram stack is loaded only when used

    services = run.services()
    mode = "webhook" if run.settings.telegram_webhook_url else "long polling"
    run.out.print(f"Starting the Telegram bot ({mode}); press Ctrl-C to stop it.")
    return run_bot(run.settings, services)
