"""`briefbot follow`, `unfollow` and `feed`: the alert and feed commands of the CLI."""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.table import Table

from bot.feeds_job import FeedRow, add_feed, list_feeds, poll_due, remove_feed
from bot.services import build_services
from bot.settings import Settings
from bot.state import BotState
from bot.subscriptions import follow, following, unfollow
from retrieval.errors import StoreLockedError


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
