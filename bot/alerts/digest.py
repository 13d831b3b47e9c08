"""The daily digest: per topic a chat follows, the stories new since its last digest, one cited
sentence each. Matching is the alerts' (bot/alerts/matching.py): the same threshold, required
keywords and story similarity, so a story reported by several outlets is one line.

Scheduling is the front end's (bot/telegram/jobs.py runs `due` every minute); state.db keeps
each chat's hour, the last day done and how far it read the store, so a restart neither
skips a day's digest nor sends it twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from bot.alerts.matching import matched, same_story, story_vector
from bot.alerts.topics import following
from bot.state.database import BotState
from bot.state.digests import claim_digest, digest_of, due_digests
from retrieval.answering.answer import citation_from
from retrieval.index.store import BriefingStore
from retrieval.types import BriefingRecord, Citation

STORIES_PER_TOPIC = 5
_HOUR = re.compile(r"^([01]?\d|2[0-3])[:.h]([0-5]\d)$")


def parse_hour(text: str) -> str | None:
    """ "8:00", "08.30" or "21h15" as "HH:MM"; None if it is no time of day."""
    match = _HOUR.match(text.strip())
    return f"{int(match.group(1)):02d}:{match.group(2)}" if match else None


@dataclass(frozen=True)
class DigestLine:
    """One new story on a topic, with its one cited sentence."""

    topic: str
    citation: Citation


@dataclass(frozen=True)
class Digest:
    """What one chat's digest says, and the store commit it read through."""

    chat_id: int
    through: int
    lines: tuple[DigestLine, ...]


def compose(store: BriefingStore, state: BotState, chat_id: int, since: int) -> Digest:
    """The chat's digest of what the store committed after commit `since`."""
    committed = store.records_since(since)
    through = committed[-1][0] if committed else since
    subscriptions = following(state, chat_id)
    if not committed or not subscriptions:
        return Digest(chat_id, through, ())
    latest: dict[str, BriefingRecord] = {}
    for _, record in committed:  # a briefing updated twice since: its last version
        latest[record.id] = record
    records = sorted(latest.values(), key=lambda r: (r.published or r.added_at, r.added_at))
    topics = [s.topic for s in subscriptions]
    vectors = store.embeddings.encode_query([t.query for t in topics])
    read = []  # each briefing read once, whatever the number of topics
    for record in records:
        rows = store.sentences_of(record)
        if rows:
            sentence_vectors = np.stack([vector for _, vector in rows])
            text = " ".join([record.title, *(s.sentence.text for s, _ in rows)])
            read.append((record, rows, sentence_vectors, text, story_vector(sentence_vectors)))
    lines: list[DigestLine] = []
    for topic, topic_vector in zip(topics, vectors, strict=True):
        stories: list[np.ndarray] = []
        listed: set[str] = set()  # story ids (index/stories.py)
        for record, rows, sentence_vectors, text, story in read:
            found = matched(topic, topic_vector, text, sentence_vectors, 1)
            if found is None:
                continue
            if record.story in listed or any(same_story(story, seen) for seen in stories):
                continue  # another outlet's report of a story already listed
            stories.append(story)
            listed.add(record.story)
            [best] = found[1]
            citation = citation_from(rows[best][0], record)
            lines.append(DigestLine(topic.text, citation))
            if len(stories) == STORIES_PER_TOPIC:
                break
    return Digest(chat_id, through, tuple(lines))


def preview(store: BriefingStore, state: BotState, chat_id: int) -> Digest | None:
    """What the chat's next digest would say if it were due now, or None when the chat gets no
    digest. Nothing is claimed or marked as sent: the digest itself still comes at its hour."""
    row = digest_of(state, chat_id)
    return None if row is None else compose(store, state, chat_id, row.through)


def due(store: BriefingStore, state: BotState, now: datetime) -> list[Digest]:
    """The digests due at `now` (the chats' local time), each claimed for today before it is
    returned: a digest with lines is to be sent, an empty one is not (nothing new), and
    neither comes again today, whichever process asks next."""
    day, time_of_day = now.date().isoformat(), now.strftime("%H:%M")
    ready = []
    for row in due_digests(state, day, time_of_day):
        digest = compose(store, state, row.chat_id, row.through)
        if claim_digest(state, row.chat_id, day, digest.through):
            ready.append(digest)
    return ready
