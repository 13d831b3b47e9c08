"""Splitting text into sentences with exact character offsets."""

from __future__ import annotations

import re
from functools import lru_cache

MAX_SENTENCE_CHARS = 600
_LINE = re.compile(r"[^\n]+")


@lru_cache(maxsize=1)
def _segmenter():  # type: ignore[no-untyped-def]
    import pysbd

    return pysbd.Segmenter(language="en", clean=False)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Spans (start, end) of the sentences of text, so that text[start:end] is each sentence.

    Every line is split on its own, so a headline without a full stop stays one sentence and
    never runs into the paragraph below; within a line pysbd handles quotes, abbreviations and
    dates such as "Jun 2". Over-long runs are cut at a space so every piece can be embedded.
    """
    spans: list[tuple[int, int]] = []
    for line in _LINE.finditer(text):
        cursor = line.start()
        for piece in _segmenter().segment(line.group()):
            piece = piece.strip()
            if not piece:
                continue
            start = text.find(piece, cursor, line.end())
            if start < 0:  # pysbd altered the text; fall back to the rest of the line
                start, piece = cursor, text[cursor : line.end()].strip()
                start = text.find(piece, cursor, line.end())
            end = start + len(piece)
            spans.extend(_cap(text, start, end))
            cursor = end
    return [s for s in spans if _has_words(text[s[0] : s[1]])]


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
