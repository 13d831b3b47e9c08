"""Answers as Telegram HTML and plain text: escaping, numbered citations, 4,096-character parts.

Pure functions, no python-telegram-bot import. Everything that comes from a briefing (sentence,
title, URL) is escaped; only http(s) URLs become links.

Rendering builds one self-contained HTML block per citation and packs whole blocks into messages,
so `render_answer_messages` never has to parse HTML. `split_html_messages` is the general tool
for any other Telegram HTML: it splits between lines, carries open tags over to the next part,
and trims a line that alone is too long.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from html import escape, unescape

from bot.wording import also_in, outlet_of, safe_url
from retrieval.types import Answer, Citation

TELEGRAM_LIMIT = 4096
MIN_LIMIT = 100  # below this not even one citation's markup fits
ELLIPSIS = "…"
UNTITLED = "Untitled briefing"
BLOCK_SEPARATOR = "\n\n"
SOURCE_MARK = "\n— "  # between a quote and its briefing's title and date

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MAX_LINKED_URL = 2048
_CONTEXT_CHARS = 300  # the sentence a quote leans on is context: shortened beyond this


def format_date(day: date) -> str:
    """'2 Jun 2025': English month abbreviation whatever the locale."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def render_answer_html(answer: Answer, *, first: int = 1, include_text: bool = False) -> str:
    """The whole answer as one Telegram HTML string, citations numbered from `first`."""
    return BLOCK_SEPARATOR.join(_answer_blocks(answer, first=first, include_text=include_text))


def render_answer_messages(
    answer: Answer, limit: int = TELEGRAM_LIMIT, *, include_text: bool = False
) -> list[str]:
    """The answer as Telegram HTML messages of at most `limit` characters each."""
    _check_limit(limit)
    blocks = _answer_blocks(answer, first=1, include_text=include_text, limit=limit)
    return _pack(blocks, limit)


def render_answer_text(answer: Answer, *, include_text: bool = False) -> str:
    """Plain text for the terminal and logs, numbered like the HTML."""
    if answer.abstained or not answer.citations:
        return answer.text
    items = [answer.text] if include_text and answer.text else []
    number = 1
    for run in _runs(answer.citations):
        quotes = []
        for citation in run:
            who = f" ({_one_line(citation.speaker)})" if citation.speaker else ""
            also = f" (also: {also_in(citation)})" if citation.also else ""
            context = f"({_one_line(citation.context)})\n" if citation.context else ""
            quotes.append(f"{context}[{number}] {_one_line(citation.sentence)}{who}{also}")
            number += 1
        source = _source_text(run[0])
        url = safe_url(run[0].url)
        if url:
            source += f" <{url}>"
        items.append("\n".join(quotes) + SOURCE_MARK + source)
    return BLOCK_SEPARATOR.join(items)


def split_html_messages(html: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split Telegram HTML into valid parts of at most `limit` characters, between lines.

    Tags open across a split are closed at the end of a part and reopened at the start of the
    next; a line too long for a part of its own has its text trimmed with '…'. Stray '<' and '&'
    are escaped, unbalanced tags closed, so every part parses as balanced HTML.
    """
    _check_limit(limit)
    parts: list[str] = []
    current = _Part()
    for line in _parse_lines(html):
        if current.size_with(line) <= limit:
            current.add(line)
            continue
        if current.lines:
            keep, carry = current.break_at_paragraph(limit)
            parts.append(keep.html())
            current = carry if carry.size_with(line) <= limit else _Part()
            if carry.lines and not current.lines:
                parts.append(carry.html())
            if current.size_with(line) <= limit:
                current.add(line)
                continue
        parts.append(_trim_line(line, limit))  # too long even for a part of its own
    if current.lines:
        parts.append(current.html())
    return [part for part in parts if part.strip()]


# ---- answer blocks ---------------------------------------------------------------------------


def _answer_blocks(
    answer: Answer, *, first: int, include_text: bool, limit: int | None = None
) -> list[str]:
    if answer.abstained or not answer.citations:
        return [_fit_text(answer.text, limit)]
    blocks = [_fit_text(answer.text, limit)] if include_text and answer.text else []
    number = first
    for run in _runs(answer.citations):
        items = [_citation_block(number + n, c, limit) for n, c in enumerate(run)]
        grouped = _grouped(items)
        # Quotes of one briefing share its source line, unless together they are too long.
        blocks.extend([grouped] if limit is None or len(grouped) <= limit else items)
        number += len(run)
    return blocks


def _runs(citations: Sequence[Citation]) -> list[list[Citation]]:
    """Consecutive citations of the same briefing, together."""
    runs: list[list[Citation]] = []
    for citation in citations:
        if runs and runs[-1][0].doc_id == citation.doc_id:
            runs[-1].append(citation)
        else:
            runs.append([citation])
    return runs


def _grouped(blocks: list[str]) -> str:
    """One briefing's quote blocks as its quotes, then its source line once."""
    quotes = [block.split(SOURCE_MARK, 1)[0] for block in blocks]
    source = blocks[-1].split(SOURCE_MARK, 1)[1]
    return "\n".join(quotes) + SOURCE_MARK + source


@dataclass(frozen=True)
class _Item:
    number: int
    sentence: str
    title: str
    url: str | None
    published: date | None
    speaker: str = ""
    outlet: str = ""
    also: str = ""  # other outlets that report the same statement
    context: str = ""  # the sentence before, when the quote leans on it

    def html(self, sentence_html: str | None = None) -> str:
        if sentence_html is None:
            sentence_html = _escape(self.sentence)
        title = _escape(self.title)
        if self.url:
            title = f'<a href="{escape(self.url, quote=True)}">{title}</a>'
        when = f", {format_date(self.published)}" if self.published else ""
        who = f" ({_escape(self.speaker)})" if self.speaker else ""
        also = f" (also: {_escape(self.also)})" if self.also else ""
        outlet = f" · {_escape(self.outlet)}" if self.outlet else ""
        # The sentence the quote leans on comes first, set apart and shortened: context.
        context = f"<blockquote>{_escape(self.context)}</blockquote>\n" if self.context else ""
        return (
            f"{context}[{self.number}] <i>{sentence_html}</i>{who}{also}"
            f"{SOURCE_MARK}{title}{outlet}{when}"
        )


def _citation_block(number: int, citation: Citation, limit: int | None) -> str:
    item = _Item(
        number=number,
        sentence=_one_line(citation.sentence),
        title=_one_line(citation.title) or UNTITLED,
        url=safe_url(citation.url),
        published=citation.published,
        speaker=_one_line(citation.speaker),
        outlet=outlet_of(citation.url),
        also=also_in(citation),
        context=_trim_plain(_one_line(citation.context), _CONTEXT_CHARS),
    )
    rendered = item.html()
    if limit is None or len(rendered) <= limit:
        return rendered
    # Too long for one message: give up the link, then title length, before the sentence.
    if item.url and (len(item.url) > _MAX_LINKED_URL or len(item.html("")) > limit // 2):
        item = replace(item, url=None, outlet="")
    if len(item.html("")) > limit // 2:
        title = _trim_plain(item.title, limit // 4)
        item = replace(item, title=title)
    room = limit - len(item.html(""))
    return item.html(_trim_escaped(item.sentence, room))


def _fit_text(text: str, limit: int | None) -> str:
    escaped = _escape(text)
    if limit is None or len(escaped) <= limit:
        return escaped
    return _trim_escaped(text, limit)


def _pack(blocks: list[str], limit: int) -> list[str]:
    parts: list[str] = []
    current = ""
    for block in blocks:
        candidate = f"{current}{BLOCK_SEPARATOR}{block}" if current else block
        if len(candidate) <= limit:
            current = candidate
        else:
            if current:
                parts.append(current)
            current = block  # each block was already fitted to the limit
    if current:
        parts.append(current)
    return parts


def _source_text(citation: Citation) -> str:
    title = _one_line(citation.title) or UNTITLED
    outlet = outlet_of(citation.url)
    source = f"{title} · {outlet}" if outlet else title
    return f"{source}, {format_date(citation.published)}" if citation.published else source


def _escape(text: str) -> str:
    # Quotes need escaping only inside attributes (hrefs use escape(..., quote=True)).
    return escape(text, quote=False)


def _one_line(text: str) -> str:
    # Sentences keep their words verbatim; runs of whitespace (line breaks from the source
    # layout) become one space so that an item stays two lines.
    return " ".join(text.split())


def _trim_plain(text: str, room: int) -> str:
    """Plain text cut to at most `room` characters including the trailing ellipsis."""
    if len(text) <= room:
        return text
    return _cut_words(text, room - len(ELLIPSIS)) + ELLIPSIS


def _trim_escaped(text: str, room: int) -> str:
    """Escaped text cut so that it, with the ellipsis, is at most `room` characters."""
    escaped = _escape(text)
    if len(escaped) <= room:
        return escaped
    budget = room - len(ELLIPSIS)
    cut = used = 0
    while cut < len(text) and used + len(_escape(text[cut])) <= budget:
        used += len(_escape(text[cut]))
        cut += 1
    return _escape(_cut_words(text[:cut], cut)) + ELLIPSIS


def _cut_words(text: str, room: int) -> str:
    """Prefix of at most `room` characters, ending at a word boundary when that loses little."""
    text = text[: max(room, 0)]
    space = text.rfind(" ")
    if space >= max(len(text) - 40, 1):
        text = text[:space]
    return text.rstrip()


def _check_limit(limit: int) -> None:
    if limit < MIN_LIMIT:
        raise ValueError(f"limit must be at least {MIN_LIMIT} characters, got {limit}")


# ---- general splitter for Telegram HTML -------------------------------------------------------

_TOKEN = re.compile(
    r"(?P<tag></?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?>)"
    r"|(?P<entity>&(?:#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});)"
    r"|(?P<text>[^<&]+)"
    r"|(?P<stray>[<&])"
)
_TAG_NAME = re.compile(r"</?([A-Za-z][A-Za-z0-9-]*)")


@dataclass(frozen=True)
class _Token:
    kind: str  # "open", "close", "entity" or "text"
    raw: str
    name: str = ""


@dataclass(frozen=True)
class _Line:
    opened: tuple[_Token, ...]  # open tags carried in from earlier lines
    tokens: tuple[_Token, ...]
    closing: tuple[str, ...]  # names of the tags still open at the end of the line

    @property
    def body(self) -> str:
        return "".join(token.raw for token in self.tokens)


def _parse_lines(html: str) -> list[_Line]:
    """Tokenise into lines, normalising stray characters and unbalanced tags on the way."""
    lines: list[_Line] = []
    stack: list[_Token] = []
    opened = tuple(stack)
    tokens: list[_Token] = []

    def end_line() -> None:
        nonlocal opened, tokens
        lines.append(_Line(opened, tuple(tokens), tuple(t.name for t in stack)))
        opened = tuple(stack)
        tokens = []

    for match in _TOKEN.finditer(html):
        kind = match.lastgroup
        raw = match.group()
        if kind == "tag":
            name = _TAG_NAME.match(raw).group(1).lower()  # type: ignore[union-attr]
            if not raw.startswith("</"):
                token = _Token("open", raw, name)
                stack.append(token)
                tokens.append(token)
            elif any(open_tag.name == name for open_tag in stack):
                while stack:  # close anything left open inside it, then it
                    inner = stack.pop()
                    tokens.append(_Token("close", f"</{inner.name}>", inner.name))
                    if inner.name == name:
                        break
            # an end tag that closes nothing is dropped
        elif kind == "entity":
            tokens.append(_Token("entity", raw))
        elif kind == "stray":
            tokens.append(_Token("text", _escape(raw)))
        else:
            pieces = raw.split("\n")
            for index, piece in enumerate(pieces):
                if index:
                    end_line()
                if piece:
                    tokens.append(_Token("text", piece))
    while stack:
        inner = stack.pop()
        tokens.append(_Token("close", f"</{inner.name}>", inner.name))
    end_line()
    return lines


class _Part:
    """Consecutive lines that become one message; its size is kept as lines are added."""

    def __init__(self, lines: list[_Line] | None = None) -> None:
        self.lines: list[_Line] = []
        self._body = 0
        for line in lines or []:
            self.add(line)

    def add(self, line: _Line) -> None:
        self._body += len(line.body) + (1 if self.lines else 0)
        self.lines.append(line)

    def size_with(self, line: _Line) -> int:
        """Characters of this part's HTML if `line` were added (an upper bound)."""
        first = self.lines[0] if self.lines else line
        body = self._body + (1 if self.lines else 0) + len(line.body)
        return len(_opening(first)) + body + len(_closing(line))

    def html(self) -> str:
        body = "\n".join(line.body for line in self.lines)
        text = f"{_opening(self.lines[0])}{body}{_closing(self.lines[-1])}"
        return text.strip("\n")

    def break_at_paragraph(self, limit: int) -> tuple[_Part, _Part]:
        """Split at the last blank line if that keeps at least half of the lines here."""
        lines = self.lines
        for index in range(len(lines) - 1, max(len(lines) // 2, 1) - 1, -1):
            if not lines[index].body.strip():
                keep, carry = _Part(lines[:index]), _Part(lines[index + 1 :])
                if max(len(keep.html()), len(carry.html()) if carry.lines else 0) <= limit:
                    return keep, carry
                break
        return self, _Part()


def _opening(line: _Line) -> str:
    return "".join(token.raw for token in line.opened)


def _closing(line: _Line) -> str:
    return "".join(f"</{name}>" for name in reversed(line.closing))


def _trim_line(line: _Line, limit: int) -> str:
    """One over-long line as a part: all its tags kept, its text cut with an ellipsis."""
    opening, closing = _opening(line), _closing(line)
    markup = sum(len(token.raw) for token in line.tokens if token.kind in ("open", "close"))
    budget = limit - len(opening) - len(closing) - markup - len(ELLIPSIS)
    if budget < MIN_LIMIT // 4:
        # the tags themselves are too long (a huge href): fall back to the bare text
        text = "".join(token.raw for token in line.tokens if token.kind in ("text", "entity"))
        return _trim_escaped(unescape(text), limit)
    out: list[str] = []
    cut = False
    for token in line.tokens:
        if token.kind in ("open", "close"):
            out.append(token.raw)  # tags stay so that the part is balanced
        elif cut:
            continue
        elif len(token.raw) <= budget:
            out.append(token.raw)
            budget -= len(token.raw)
        else:
            cut = True
            if token.kind == "text":
                out.append(_trim_escaped(unescape(token.raw), budget + len(ELLIPSIS)))
            else:
                out.append(ELLIPSIS)
    return opening + "".join(out) + closing
