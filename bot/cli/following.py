"""`briefbot follow` and `unfollow`: a Telegram chat's topics, in state.db only (so they work
while the bot runs; a channel, which cannot send commands, follows this way)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.alerts.digest import parse_hour, preview
from bot.alerts.topics import follow, following, unfollow
from bot.cli.app import Invocation
from bot.services import open_state
from bot.state.digests import digest_of, set_digest, stop_digest
from retrieval.index.catalogue import Catalogue


def cmd_follow(run: Invocation) -> int:
    """Follow a topic in a chat, or list the chat's topics."""
    args, out = run.args, run.out
    state = open_state(run.settings)
    try:
        if args.topic:
            subscription, created = follow(state, args.chat, args.topic)
            verb = "now follows" if created else "already follows"
            out.print(f"Chat {args.chat} {verb}: {subscription.topic.text}", markup=False)
            if subscription.topic.keywords:
                out.print(f"required words: {', '.join(subscription.topic.keywords)}", markup=False)
            return 0
        topics = following(state, args.chat)
        if not topics:
            out.print(f"Chat {args.chat} follows no topics.")
        for n, s in enumerate(topics, start=1):
            out.print(f"{n}. {s.topic.text}", markup=False)
        return 0
    finally:
        state.close()


def cmd_digest(run: Invocation) -> int:
    """Set, stop or show a chat's daily digest (state.db and the catalogue only, so it works
    while the bot runs)."""
    args, out, settings = run.args, run.out, run.settings
    state = open_state(settings)
    try:
        if args.preview:
            return _preview(run, args.chat)
        if args.off:
            stopped = stop_digest(state, args.chat)
            out.print(f"Chat {args.chat} {'gets no more' if stopped else 'had no'} digest.")
            return 0
        if args.at is None:
            row = digest_of(state, args.chat)
            shown = f"a daily digest at {row.at}" if row else "no daily digest"
            out.print(f"Chat {args.chat} gets {shown} ({settings.digest_timezone}).")
            return 0
        hour = parse_hour(args.at)
        if hour is None:
            out.print(f"{args.at} is no time of day; give it as HH:MM, e.g. 08:00.", markup=False)
            return 2
        if not following(state, args.chat):
            out.print(f"Chat {args.chat} follows no topics; `briefbot follow` adds one first.")
            return 1
        catalogue = Catalogue(settings.catalogue_path)
        try:
            now = datetime.now(ZoneInfo(settings.digest_timezone))
            set_digest(state, args.chat, hour, catalogue.newest_commit(), now)
        finally:
            catalogue.close()
        out.print(f"Chat {args.chat} gets a daily digest at {hour} ({settings.digest_timezone}).")
        return 0
    finally:
        state.close()


def _preview(run: Invocation, chat_id: int) -> int:
    """The chat's next digest as it would be sent now; nothing is claimed or marked."""
    services, out = run.services(), run.out
    found = preview(services.store, services.state, chat_id)
    if found is None:
        out.print(f"Chat {chat_id} gets no daily digest; `--at HH:MM` sets one.")
        return 1
    if not found.lines:
        out.print(f"Nothing new on chat {chat_id}'s topics since its last digest.")
        return 0
    out.print(f"Preview of chat {chat_id}'s next daily digest:", markup=False)
    topics = dict.fromkeys(line.topic for line in found.lines)
    number = 1
    for topic in topics:
        out.print(f"\n{topic}", markup=False)
        for line in (entry for entry in found.lines if entry.topic == topic):
            c = line.citation
            when = f", {c.published.isoformat()}" if c.published else ""
            out.print(f"[{number}] {c.sentence} — {c.title}{when}", markup=False)
            number += 1
    return 0


def cmd_unfollow(run: Invocation) -> int:
    """Stop following a chat's topic by its number."""
    args, out = run.args, run.out
    state = open_state(run.settings)
    try:
        gone = unfollow(state, args.chat, args.number)
    finally:
        state.close()
    if gone is None:
        out.print(
            f"Chat {args.chat} has no topic {args.number}; `briefbot follow --chat "
            f"{args.chat}` lists them.",
            markup=False,
        )
        return 1
    out.print(f"Chat {args.chat} no longer follows: {gone.topic.text}", markup=False)
    return 0
