"""Questions behind answers: an inline "More sources" button holds only a short id, so the
question (and which citations it already showed) is kept here and still works after a restart;
each chat's last question gives follow-ups their context."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.state.database import BotState

KEEP_QUESTIONS = 10_000  # older questions are pruned; their buttons then say "ask again"
KEEP_DAYS = 30.0  # QUESTION_RETENTION_DAYS: no question text is kept longer
DAY = 86_400.0
_COLUMNS = "id, chat_id, text, asked, root, asked_at, shown"


def question_id(chat_id: int, asked: str) -> str:
    """A short, stable id (16 hex digits): the same question in the same chat gets the same id."""
    return hashlib.sha256(f"{chat_id}\x1f{asked}".encode()).hexdigest()[:16]


@dataclass(frozen=True)
class AskedQuestion:
    """A question the bot answered, and the ids of the citations it has shown for it."""

    id: str
    chat_id: int
    text: str
    asked: str
    root: str
    asked_at: float
    shown: tuple[str, ...] = ()


def _question(row: tuple[Any, ...]) -> AskedQuestion:
    qid, chat_id, text, asked, root, asked_at, shown = row
    ids = tuple(i for i in str(shown).split("\n") if i)
    return AskedQuestion(qid, chat_id, text, asked, root, asked_at, ids)


def remember(
    state: BotState,
    chat_id: int,
    text: str,
    asked: str,
    root: str,
    shown: Sequence[str] = (),
    *,
    now: float | None = None,
    keep: int = KEEP_QUESTIONS,
    keep_days: float = KEEP_DAYS,
) -> AskedQuestion:
    """Record a question with the citations shown (again: the same id is refreshed); prune
    to the newest `keep` questions of at most `keep_days` days."""
    question = AskedQuestion(
        id=question_id(chat_id, asked),
        chat_id=chat_id,
        text=text,
        asked=asked,
        root=root,
        asked_at=time.time() if now is None else now,
        shown=tuple(shown),
    )
    with state.transaction() as db:
        db.execute(
            f"INSERT OR REPLACE INTO questions ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (question.id, chat_id, text, asked, root, question.asked_at, "\n".join(shown)),
        )
        _prune(db, keep, question.asked_at - keep_days * DAY)
    return question


def forget_old_questions(
    state: BotState, keep_days: float = KEEP_DAYS, *, now: float | None = None
) -> int:
    """Delete questions older than keep_days (at start-up: no question may be kept longer
    because none was asked since); how many went."""
    cutoff = (time.time() if now is None else now) - keep_days * DAY
    with state.transaction() as db:
        return _prune(db, KEEP_QUESTIONS, cutoff)


def _prune(db: Any, keep: int, cutoff: float) -> int:
    gone = db.execute("DELETE FROM questions WHERE asked_at < ?", (cutoff,)).rowcount
    gone += db.execute(
        "DELETE FROM questions WHERE id NOT IN "
        "(SELECT id FROM questions ORDER BY asked_at DESC LIMIT ?)",
        (keep,),
    ).rowcount
    return int(gone)


def mark_shown(state: BotState, qid: str, shown: Sequence[str]) -> None:
    """Add citation ids to those the question has shown."""
    with state.transaction() as db:
        row = db.execute("SELECT shown FROM questions WHERE id = ?", (qid,)).fetchone()
        if row is None:
            return
        ids = [i for i in str(row[0]).split("\n") if i]
        ids += [i for i in shown if i not in ids]
        db.execute("UPDATE questions SET shown = ? WHERE id = ?", ("\n".join(ids), qid))


def question(state: BotState, qid: str) -> AskedQuestion | None:
    """The question with this id, if still kept."""
    rows = state.rows(f"SELECT {_COLUMNS} FROM questions WHERE id = ?", (qid,))
    return _question(rows[0]) if rows else None


def last_question(state: BotState, chat_id: int) -> AskedQuestion | None:
    """The chat's most recent question."""
    rows = state.rows(
        f"SELECT {_COLUMNS} FROM questions WHERE chat_id = ? ORDER BY asked_at DESC LIMIT 1",
        (chat_id,),
    )
    return _question(rows[0]) if rows else None
