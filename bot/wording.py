"""Counts in words, for every message the bot and the CLI show: "1 briefing", "2 briefings"."""

from __future__ import annotations


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """`count` and the noun in the number it takes ("1 sentence", "0 sentences"); `plural`
    for a noun that does not just add an s ("1 entry", "3 entries")."""
    return f"{count:,} {singular if count == 1 else plural or singular + 's'}"
