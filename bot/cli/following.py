"""`briefbot follow` and `unfollow`: a Telegram chat's topics, in state.db only (so they work
while the bot runs; a channel, which cannot send commands, follows this way)."""

from __future__ import annotations

from bot.alerts.topics import follow, following, unfollow
from bot.cli.app import Invocation
from bot.services import open_state


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
