"""Splitting text into sentences with exact character offsets, and a briefing into the
sentences that are stored."""

from __future__ import annotations

import re
import threading

from retrieval.language import furniture
from retrieval.language.parser import parser
from retrieval.language.periods import event_day
from retrieval.language.speakers import readings
from retrieval.types import Briefing, Reading, Sentence

MAX_SENTENCE_CHARS = 600
# pysbd's time grows faster than the length of what it is given (a 40 KB line without full
# stops: 7 s; 200 KB: minutes), so longer lines are cut first, after a sentence's end if one
# is near, else at white space.
MAX_SEGMENT_CHARS = 4_000
_LINE = re.compile(r"[^\n]+")
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*\s")


_local = threading.local()


def _segmenter():  # type: ignore[no-untyped-def]
    """This thread's pysbd Segmenter: one keeps the text it is splitting on itself
    (`original_text`), so a Segmenter shared by two threads splits one text with the other's."""
    segmenter = getattr(_local, "segmenter", None)
    if segmenter is None:
        import pysbd

        segmenter = _local.segmenter = pysbd.Segmenter(language="en", clean=False)
    return segmenter


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Spans (start, end) of the sentences of text, so that text[start:end] is each sentence.

    Every line is split on its own, so a headline without a full stop stays one sentence and
    never runs into the paragraph below; within a line pysbd handles quotes, abbreviations and
    dates such as "Jun 2". Over-long runs are cut at a space so every piece can be embedded.
    """
    spans: list[tuple[int, int]] = []
    for line in _LINE.finditer(text):
        for first, last in _segments(text, line.start(), line.end()):
            cursor = first
            for piece in _segmenter().segment(text[first:last]):
                piece = piece.strip()
                if not piece:
                    continue
                start = text.find(piece, cursor, last)
                if start < 0:  # pysbd altered the text; fall back to the rest of the segment
                    start, piece = cursor, text[cursor:last].strip()
                    start = text.find(piece, cursor, last)
                end = start + len(piece)
                spans.extend(_cap(text, start, end))
                cursor = end
    return [s for s in spans if _has_words(text[s[0] : s[1]])]


def _segments(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """(start, end) pieces of a line, each at most MAX_SEGMENT_CHARS."""
    pieces = []
    while end - start > MAX_SEGMENT_CHARS:
        limit = start + MAX_SEGMENT_CHARS
        ends = [
            m.end() for m in _SENTENCE_END.finditer(text, limit - MAX_SEGMENT_CHARS // 4, limit)
        ]
        cut = ends[-1] if ends else text.rfind(" ", start + 1, limit)
        if cut <= start:
            cut = limit
        pieces.append((start, cut))
        start = cut
    pieces.append((start, end))
    return pieces


def _cap(text: str, start: int, end: int) -> list[tuple[int, int]]:
    pieces = []
    while end - start > MAX_SENTENCE_CHARS:
        cut = text.rfind(" ", start, start + MAX_SENTENCE_CHARS)
        if cut <= start:
            cut = start + MAX_SENTENCE_CHARS
        pieces.append((start, cut))
        start = cut
        while start < end and text[start].isspace():
            start += 1
    pieces.append((start, end))
    return pieces


def _has_words(piece: str) -> bool:
    return any(ch.isalnum() for ch in piece)


# A line break inside a sentence: the next line goes on in lower case, with a digit or with
# punctuation ("Oxygen gas (O" / "2) is..." in text copied from a page with subscripts).
_CONTINUES = re.compile(r"[a-z0-9)\],;:.%]")


def lines_of(text: str, spans: list[tuple[int, int]]) -> list[str]:
    """For each sentence span, the line of text that holds it (stripped), a line broken
    inside a sentence counted as one: what tells a heading or a caption's credit from a
    sentence of a paragraph (retrieval/language/furniture.py)."""
    found = []
    for start, end in spans:
        first = text.rfind("\n", 0, start) + 1
        while first > 0 and _CONTINUES.match(text, first):
            first = text.rfind("\n", 0, first - 1) + 1
        last = text.find("\n", end)
        while last >= 0 and _CONTINUES.match(text, last + 1):
            last = text.find("\n", last + 1)
        found.append(text[first : len(text) if last < 0 else last].strip())
    return found


def sentences_of(briefing: Briefing, *, read: bool = True) -> list[Sentence]:
    """The briefing's sentences with ids `briefing_id:sN`, offsets into its text, who said each
    one when it reports someone's words, what the parser read in it, and whether it is page
    furniture (a heading, caption, promo or byline: kept for context, never quoted).

    Without `read` (a bulk import) the parser is not run: no speakers, no readings, and
    furniture is judged by words and line alone; the reading backlog parses them later
    (retrieval/index/backlog.py)."""
    spans = split_sentences(briefing.text)
    texts = [briefing.text[start:end] for start, end in spans]
    lines = lines_of(briefing.text, spans)
    kinds = furniture.kinds(texts, lines, parser().verbs if read else None)
    found = readings(texts) if read else [("", Reading())] * len(texts)
    return [
        Sentence(
            id=f"{briefing.id}:s{i}",
            briefing_id=briefing.id,
            index=i,
            text=text,
            start=start,
            end=end,
            speaker=speaker,
            reading=reading,
            event=event_day(text, briefing.published) if briefing.published else None,
            furniture=kind,
        )
        for i, ((start, end), text, (speaker, reading), kind) in enumerate(
            zip(spans, texts, found, kinds, strict=True)
        )
    ]
