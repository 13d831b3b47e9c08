"""Daily digests in state.db: which chats want one at what hour, and what each was last sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.state.database import BotState


@dataclass(frozen=True)
class DigestRow:
    """A chat's digest: its hour ("HH:MM"), the last day one was done for (ISO date, "" for
    never) and the store commit it had read through."""

    chat_id: int
    at: str
    last_day: str
    through: int


def set_digest(state: BotState, chat_id: int, at: str, through: int, now: datetime) -> None:
    """Send the chat a digest every day at `at`, starting with what is newer than `through`
    (the store's newest commit now), so the first digest is not the whole store. It first runs
    at its next hour: set at 20:00 for 08:00 (`now` in the digests' time zone), today counts as
    done, so a briefing arriving this evening does not bring a digest within the minute."""
    day, time_of_day = now.date().isoformat(), now.strftime("%H:%M")
    done = day if at <= time_of_day else ""
    with state.transaction() as db:
        db.execute(
            "INSERT INTO digests (chat_id, at, last_day, through) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (chat_id) DO UPDATE SET at = excluded.at, "
            "last_day = max(last_day, excluded.last_day)",
            (chat_id, at, done, through),
        )


def stop_digest(state: BotState, chat_id: int) -> bool:
    """No more digests for the chat; whether it had one."""
    with state.transaction() as db:
        return db.execute("DELETE FROM digests WHERE chat_id = ?", (chat_id,)).rowcount > 0


def digest_of(state: BotState, chat_id: int) -> DigestRow | None:
    """The chat's digest, if it asked for one."""
    rows = state.rows(
        "SELECT chat_id, at, last_day, through FROM digests WHERE chat_id = ?", (chat_id,)
    )
    return DigestRow(*rows[0]) if rows else None


def due_digests(state: BotState, day: str, time_of_day: str) -> list[DigestRow]:
    """Digests whose hour has come on `day` (ISO) and that were not done for that day."""
    rows = state.rows(
        "SELECT chat_id, at, last_day, through FROM digests "
        "WHERE at <= ? AND last_day < ? ORDER BY chat_id",
        (time_of_day, day),
    )
    return [DigestRow(*row) for row in rows]


def claim_digest(state: BotState, chat_id: int, day: str, through: int) -> bool:
    """Record the chat's digest for `day` as done, reading through commit `through`, before it
    is sent: false if another process did so first, so no day gets two."""
    with state.transaction() as db:
        cursor = db.execute(
            "UPDATE digests SET last_day = ?, through = ? WHERE chat_id = ? AND last_day < ?",
            (day, through, chat_id, day),
        )
        return cursor.rowcount > 0
