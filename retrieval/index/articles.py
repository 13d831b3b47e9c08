"""One article once: which stored briefing a briefing being ingested already is, and which
stored briefings turn out to be one article.

A briefing is the stored one with its id, or with that id among its earlier ids (aliases), or
with its canonical URL, or with the same words in the same order (`text_key`): the same page
under URL variants, or the same text pasted and uploaded. The URL rules live with ingest
(ingest/identity.py); when they change, `duplicate_groups` makes the stored URLs canonical
again and finds the briefings that are now one article, for the catalogue to merge.

Every function takes a connection; those that write run inside a write transaction.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Callable, Sequence
from typing import Literal

_WORDS = re.compile(r"\w+")

# How a briefing was found among the stored ones.
How = Literal["id", "url", "text"]


def text_key(text: str) -> str:
    """A key equal for texts with the same words in the same order, whatever their spacing,
    case or punctuation between words."""
    words = " ".join(_WORDS.findall(text.lower()))
    return hashlib.sha256(words.encode("utf-8")).hexdigest()[:32]


def matches(
    db: sqlite3.Connection, wanted: Sequence[tuple[str, str | None, str]]
) -> dict[str, tuple[str, How]]:
    """For each (id, canonical url, text key), the stored briefing it is and how it was found;
    briefings stored under none of these are left out."""
    found: dict[str, tuple[str, How]] = {}
    for bid, url, key in wanted:
        live = db.execute("SELECT id, text_key FROM briefings WHERE id = ?", (bid,)).fetchone()
        if live is None:
            live = db.execute(
                "SELECT b.id, b.text_key FROM aliases a JOIN briefings b ON b.id = a.briefing_id "
                "WHERE a.alias = ?",
                (bid,),
            ).fetchone()
        if live is None and url:
            live = db.execute(
                "SELECT id, text_key FROM briefings WHERE url = ? LIMIT 1", (url,)
            ).fetchone()
            how: How = "url"
        else:
            how = "id"
        if live is None and key:
            live = db.execute(
                "SELECT id, text_key FROM briefings WHERE text_key = ? LIMIT 1", (key,)
            ).fetchone()
        if live is not None:
            # Under another id with these very words: a copy, whatever found it.
            found[bid] = (live[0], "text" if live[0] != bid and live[1] == key else how)
    return found


def add_aliases(db: sqlite3.Connection, briefing_id: str, aliases: Sequence[str]) -> None:
    """Record ids under which this briefing was also given ("a-1" in a .jsonl, an id from
    older URL rules), so that they keep finding it."""
    db.executemany(
        "INSERT OR REPLACE INTO aliases VALUES (?, ?)",
        [(alias, briefing_id) for alias in aliases if alias != briefing_id],
    )


def redirect(db: sqlite3.Connection, merged: str, kept: str) -> None:
    """A briefing merged into another: its id and its aliases now name the kept one."""
    db.execute("UPDATE aliases SET briefing_id = ? WHERE briefing_id = ?", (kept, merged))
    add_aliases(db, kept, [merged])


def resolve(db: sqlite3.Connection, ids: Sequence[str]) -> dict[str, str]:
    """The live briefing each id names, directly or as an alias; unknown ids are left out."""
    found: dict[str, str] = {}
    for bid in dict.fromkeys(ids):
        match = matches(db, [(bid, None, "")]).get(bid)
        if match is not None:
            found[bid] = match[0]
    return found


def duplicate_groups(
    db: sqlite3.Connection, canonical_url: Callable[[str], str]
) -> list[tuple[str, list[str]]]:
    """Store every URL in today's canonical form, then the groups of live briefings that are
    one article (the same canonical URL, or the same words): (the one to keep, the others).
    The one kept is the newest version with a URL, so the link and latest text survive."""
    rows = db.execute("SELECT id, url, text_key, seq FROM briefings").fetchall()
    parent = {bid: bid for bid, *_ in rows}

    def root(bid: str) -> str:
        while parent[bid] != bid:
            parent[bid] = parent[parent[bid]]
            bid = parent[bid]
        return bid

    first: dict[tuple[str, str], str] = {}
    for bid, url, key, _ in rows:
        if url:
            canonical = canonical_url(url)
            if canonical != url:
                db.execute("UPDATE briefings SET url = ? WHERE id = ?", (canonical, bid))
            url = canonical
        for mark in (("url", url), ("text", key)):
            if not mark[1]:
                continue
            other = first.setdefault(mark, bid)
            if other != bid:
                parent[root(bid)] = root(other)
    groups: dict[str, list[tuple[bool, int, str]]] = {}
    for bid, url, _, seq in rows:
        groups.setdefault(root(bid), []).append((bool(url), seq, bid))
    merged = []
    for members in groups.values():
        if len(members) > 1:
            members.sort(reverse=True)
            merged.append((members[0][2], [bid for *_, bid in members[1:]]))
    return merged
