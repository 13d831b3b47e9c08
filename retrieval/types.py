"""Domain types shared by every package: plain frozen dataclasses, no framework objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


def parse_day(value: str | None) -> date | None:
    """The date a text starting "YYYY-MM-DD" names (an ISO date, or the date of an ISO time);
    None for no text or another form. The one reading of dates in files, feeds and rows."""
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


@dataclass(frozen=True)
class Briefing:
    """One news briefing: its text and where it came from."""

    id: str
    title: str
    text: str
    source: str
    url: str | None = None
    published: date | None = None
    author: str | None = None
    site: str | None = None
    # Other ids it was given: a .jsonl record's own id when its id comes from its URL.
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reading:
    """What the parser read in a sentence besides its speaker (retrieval/language/parser.py),
    names as the sentence writes them; the catalogue gives each its canonical entity."""

    speaker_kind: str = ""  # "person", "group" (an institution or place) or "role"; "" if none
    acts: tuple[tuple[str, str], ...] = ()  # (who acts, the verb's lemma): "Moscow", "offer"
    mentions: tuple[tuple[str, str], ...] = ()  # (name, PERSON | ORG | GPE | NORP | LOC)
    members: tuple[tuple[str, str], ...] = ()  # (a person, the group named with them)


@dataclass(frozen=True)
class Act:
    """Who did what in a stored sentence: the actor's entity key, the party it belongs to
    ("" when unknown) and the verb's lemma."""

    actor: str
    party: str
    lemma: str


@dataclass(frozen=True)
class Sentence:
    """A sentence of a briefing, with its character offsets into the briefing's text."""

    id: str
    briefing_id: str
    index: int
    text: str
    start: int
    end: int
    speaker: str = ""  # who said it, when it reports someone's words (language/speakers.py)
    reading: Reading = field(default_factory=Reading)  # set at ingest; not read back
    # The day the sentence dates its own event when not its briefing's ("on March 4"):
    # timelines and periods file it there (language/periods.event_day).
    event: date | None = None
    # Page furniture (a heading, caption, promo, stamp, byline: language/furniture.py) is
    # stored for context but never quoted; "" for a sentence that may be.
    furniture: str = ""


@dataclass(frozen=True)
class Chunk:
    """A window of whole consecutive sentences, embedded as the sentences' context."""

    id: str
    briefing_id: str
    index: int
    text: str
    first_sentence: int
    last_sentence: int


@dataclass(frozen=True)
class BriefingRecord:
    """What the registry knows about a stored, complete briefing."""

    id: str
    title: str
    source: str
    version: str
    sentence_count: int
    url: str | None = None
    published: date | None = None
    added_at: str = ""
    text_key: str = ""  # the same words in the same order, the same key (index/articles.py)
    # The story it belongs to: the id of the first briefing of a group of near-duplicate
    # texts (two outlets' copies of one wire report; index/stories.py).
    story: str = ""


@dataclass(frozen=True)
class Citation:
    """A cited sentence: always the stored sentence verbatim, never model-written text."""

    sentence: str
    doc_id: str
    title: str
    start: int
    end: int
    published: date | None = None
    url: str | None = None
    score: float = 0.0
    sentence_id: str = ""  # `briefing_id:sN`: which stored sentence this is
    speaker: str = ""  # who said it, when known
    # The same statement in other briefings (another outlet's copy of the story), not repeated.
    also: tuple[Citation, ...] = ()
    # The sentence before, verbatim, when this one leans on it ("They seized the plant"):
    # shown as context, never as the quote.
    context: str = ""


@dataclass(frozen=True)
class Answer:
    """The reply to a question; an abstained answer has no citations."""

    question: str
    text: str
    citations: tuple[Citation, ...] = field(default_factory=tuple)
    abstained: bool = False
    # How well the briefings cover the question; below the policy's threshold it abstains.
    relevance: float = 0.0
    # Written by a language model from the citations (retrieval/answering/generation.py), checked;
    # otherwise `text` is the cited sentences themselves.
    generated: bool = False
    note: str = ""  # a line for the user above the answer, e.g. why the quotes are shown


@dataclass(frozen=True)
class Question:
    """A question as asked: `as_of` hides briefings published after that day; `max_citations`
    asks for more (or fewer) citations than the answer policy's default."""

    text: str
    as_of: date | None = None
    max_citations: int | None = None
