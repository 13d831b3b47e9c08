"""`briefbot feed add URL | list | remove N | poll`: the command line sees every chat's feeds."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from bot.cli.app import Invocation
from bot.services import BOT_ROLE, open_state
from bot.state.feeds import FeedRow, add_feed, all_feeds, remove_feed
from ingest.links import is_http_url
from retrieval.errors import StoreLockedError


def cmd_feed(run: Invocation) -> int:
    """feed add URL | list | remove N (state.db only), or poll (reads every feed now)."""
    args, out = run.args, run.out
    if args.action in ("add", "remove") and not args.target:
        out.print(f"Usage: briefbot feed {args.action} {'URL' if args.action == 'add' else 'N'}")
        return 2
    if args.action == "poll":
        return poll_now(run)
    state = open_state(run.settings)
    try:
        if args.action == "add":
            if not is_http_url(args.target):
                out.print(f"{args.target} is not an http(s) link.", markup=False)
                return 1
            feed, created = add_feed(state, args.target, None)
            how = "added; the bot reads it at its next check" if created else "is already read"
            out.print(f"{feed.url} {how} (`briefbot feed poll` reads it now).", markup=False)
        elif args.action == "remove":
            gone = remove_feed(state, int(args.target)) if args.target.isdigit() else None
            if gone is None:
                out.print(
                    f"No feed number {args.target}; `briefbot feed list` shows them.", markup=False
                )
                return 1
            out.print(f"Removed {gone.url}", markup=False)
        else:
            print_feeds(all_feeds(state), out)
        return 0
    finally:
        state.close()


def print_feeds(feeds: list[FeedRow], out: Console) -> None:
    """A table of feeds, numbered as `feed remove N` expects, with the chats that read them."""
    if not feeds:
        out.print("No feeds yet. Add one with: briefbot feed add URL")
        return
    table = Table("n", "url", "title", "read by", "status")
    for n, f in enumerate(feeds, start=1):
        status = f"failing ({f.failures}x): {f.last_error}" if f.failures else "ok"
        readers = [*(["command line"] if f.from_cli else []), *(str(c) for c in f.chats)]
        table.add_row(str(n), Text(f.url), Text(f.title), ", ".join(readers), Text(status))
    out.print(table)


def poll_now(run: Invocation) -> int:
    """Read every feed once, now; while the bot holds the data directory it does that itself."""
    out, settings = run.out, run.settings
    try:
        services = run.services()
    except StoreLockedError as e:
        if e.role != BOT_ROLE:
            raise
        out.print(
            f"The running bot holds {settings.data_dir} and reads the feeds itself every "
            f"{settings.feed_interval:g} s (a feed just added at its next check, within a minute).",
            markup=False,
        )
        return 0
    outcomes = services.poller.poll_due(settings.feed_interval, every=True)
    for o in outcomes:
        if o.error:
            out.print(f"[red]failed[/red]  {escape(o.feed.url)}: {escape(o.error)}")
        else:
            what = "not modified" if o.not_modified else f"{o.added} new"
            if o.from_summary:
                what += f" ({o.from_summary} from the feed's summary: their page could not be read)"
            if o.retry:
                what += f"; {o.retry} to try again (page unreadable, no summary in the feed)"
            out.print(f"{o.feed.url}: {what}", markup=False)
    if not outcomes:
        out.print("No feeds yet. Add one with: briefbot feed add URL")
    return 1 if any(o.error for o in outcomes) else 0
