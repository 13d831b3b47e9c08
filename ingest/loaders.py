"""Turning sources (files, uploads, URLs, stdin, eval sets) into Briefings."""

from __future__ import annotations

import json
import logging
import os
import re
import stat
import sys
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import TextIO

from ingest.errors import IngestError
from ingest.extract import extract_article, extract_pdf_text, normalise_text, title_from_sentence
from ingest.fetch import UrlFetcher
from ingest.identity import briefing_id_for, normalise_url
from ingest.links import is_http_url, looks_like_http
from retrieval.types import Briefing, parse_day

logger = logging.getLogger(__name__)

TEXT_SUFFIXES = (".txt", ".md", ".markdown")
HTML_SUFFIXES = (".html", ".htm")
UPLOAD_SUFFIXES = (*TEXT_SUFFIXES, *HTML_SUFFIXES, ".pdf")
FILE_SUFFIXES = (*UPLOAD_SUFFIXES, ".jsonl")
TITLE_LINE_CHARS = 120

_FRONT_MATTER_KEYS = ("title", "date", "url", "author")
_FRONT_MATTER_LINE = re.compile(r"^[A-Za-z_][\w-]*\s*:")
_LEADING_DATE = re.compile(r"^\s*date:?[ \t]+(\d{4}-\d{2}-\d{2})(?!\d)[ \t]*", re.IGNORECASE)
_HEADING = re.compile(r"^#{1,6}\s+")
_URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")


def _split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """Split `---` key: value lines off the top; the text is unchanged when there are none."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return {}, text
    for end in range(1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            break
        if lines[end].strip() and not _FRONT_MATTER_LINE.match(lines[end]):
            return {}, text  # a horizontal rule above prose, not front matter
    else:
        return {}, text
    fields: dict[str, str] = {}
    for line in lines[1:end]:
        key, _, value = line.partition(":")
        key = key.strip().lower()
        if key in _FRONT_MATTER_KEYS:
            fields[key] = value.strip().strip("\"'").strip()
    return fields, "\n".join(lines[end + 1 :])


def _to_date(value: str, source: str, where: str) -> date:
    day = parse_day(value)
    if day is None:
        raise IngestError(source, f"{where} {value!r} is not a valid date; write it as YYYY-MM-DD")
    return day


def load_text(
    text: str,
    source: str,
    *,
    url: str | None = None,
    title: str | None = None,
    published: date | None = None,
) -> Briefing:
    """Build a Briefing from plain text or markdown; explicit arguments win over the text's own."""
    text = normalise_text(text)
    fields, text = _split_front_matter(text)
    author = fields.get("author") or None
    url = url or fields.get("url") or None
    title = title or fields.get("title") or None
    if published is None and fields.get("date"):
        published = _to_date(fields["date"], source, "the front matter date")
    match = _LEADING_DATE.match(text)
    if match:
        found = _to_date(match.group(1), source, "the leading date")
        published = published or found
        text = text[match.end() :]
    text = normalise_text(text)
    if title is None:
        first, newline, rest = text.partition("\n")
        first = _HEADING.sub("", first).strip()
        if newline and rest.strip() and first and len(first) <= TITLE_LINE_CHARS:
            title, text = first, normalise_text(rest)
    if not text:
        raise IngestError(source, "the text is empty; send the briefing's text")
    return Briefing(
        id=briefing_id_for(url, text),
        title=title or title_from_sentence(text),
        text=text,
        source=source,
        url=normalise_url(url) if url else None,
        published=published,
        author=author,
    )


def load_html(html: str | bytes, source: str, *, url: str | None = None) -> Briefing:
    """Build a Briefing from an HTML page's main article text and metadata."""
    return extract_article(html, url, source)


def load_pdf(data: bytes, source: str, *, url: str | None = None) -> Briefing:
    """Build a Briefing from a PDF's text layer; its metadata title is used when present."""
    text, title = extract_pdf_text(data, source)
    return load_text(text, source, url=url, title=title)


def decode_text(data: bytes, source: str, charset: str | None = None) -> str:
    """Decode text bytes: the given charset, else UTF-8 (BOM allowed), else Windows-1252.

    UTF-8 text with a few bad bytes stays UTF-8, the bad bytes shown as U+FFFD: read as
    Windows-1252 its every accented letter would turn into two wrong ones, and be quoted so.
    """
    if b"\x00" in data:
        raise IngestError(source, "this looks like a binary file, not text; send a text file")
    if not charset:
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            mended = data.decode("utf-8-sig", errors="replace")
            bad = mended.count("\ufffd")
            good = sum(1 for c in mended if ord(c) > 127 and c != "\ufffd")
            if good >= bad:  # mostly UTF-8: Windows-1252 bytes rarely form UTF-8 sequences
                logger.warning("%s: %d bytes that are not UTF-8 were replaced", source, bad)
                return mended
    # Without a charset, UTF-8 was tried above: only Windows-1252 is left.
    for encoding in (charset, "utf-8-sig", "cp1252") if charset else ("cp1252",):
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    raise IngestError(source, "the text is not in a known encoding; save it as UTF-8 and retry")


def load_bytes(data: bytes, filename: str, source: str) -> Briefing:
    """Build a Briefing from an uploaded file's bytes, by its extension."""
    suffix = Path(filename).suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return load_text(decode_text(data, source), source)
    if suffix in HTML_SUFFIXES:
        return load_html(data, source)
    if suffix == ".pdf":
        return load_pdf(data, source)
    kind = suffix or "(no extension)"
    raise IngestError(source, f"unsupported file type {kind}; send .txt, .md, .html or .pdf")


def load_jsonl(path: str | Path) -> list[Briefing]:
    """Load briefings from JSON lines {id, title, text, date?, url?}. A record with a url is
    identified by its canonical URL like every other page (so URL variants of one article are
    one briefing), its own id kept as an alias; one without keeps its id verbatim."""
    return list(iter_jsonl(path))


def iter_jsonl(path: str | Path) -> Iterator[Briefing]:
    """The briefings of a JSON lines file (as load_jsonl), read one line at a time so that a
    file of any size is held a batch at a time, never whole. The whole file is checked first:
    a bad line fails the file before any of its briefings is handed on, as load_jsonl does."""
    source = str(path)
    seen: set[str] = set()
    for number, line in _jsonl_lines(path, source):
        briefing = _jsonl_briefing(line, number, source)
        given = briefing.aliases[0] if briefing.aliases else briefing.id
        if given in seen:
            raise IngestError(source, f"line {number} repeats the id {given!r}")
        seen.add(given)
    del seen
    for number, line in _jsonl_lines(path, source):
        yield _jsonl_briefing(line, number, source)


def _jsonl_lines(path: str | Path, source: str) -> Iterator[tuple[int, str]]:
    """(number, line) of each line that is not blank."""
    try:
        with Path(path).open(encoding="utf-8-sig") as f:
            for number, line in enumerate(f, start=1):
                if line.strip():
                    yield number, line
    except FileNotFoundError as e:
        raise IngestError(source, "no such file; check the path") from e
    except (OSError, UnicodeDecodeError) as e:
        raise IngestError(source, f"the file could not be read ({e})") from e


def _jsonl_briefing(line: str, number: int, source: str) -> Briefing:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as e:
        raise IngestError(
            source, f"line {number} is not valid JSON ({e.msg}); write one object per line"
        ) from e
    if not isinstance(row, dict):
        raise IngestError(source, f"line {number} is not a JSON object")
    for key in ("id", "text"):
        if not isinstance(row.get(key), str) or not row[key].strip():
            raise IngestError(source, f"line {number} has no {key!r} string")
    for key in ("title", "date", "url"):
        if row.get(key) is not None and not isinstance(row[key], str):
            kind = type(row[key]).__name__
            raise IngestError(source, f"line {number}: {key!r} must be a string, not {kind}")
    url = row.get("url") or None
    if url is not None and not is_http_url(url):
        raise IngestError(
            source, f"line {number}: url {url[:200]!r} is not an http(s) link with a host"
        )
    published = _to_date(row["date"], source, f"line {number}: date") if row.get("date") else None
    # The text is kept verbatim: eval sets locate their answers by character offset.
    bid = briefing_id_for(url, row["text"]) if url else row["id"]
    return Briefing(
        id=bid,
        aliases=(row["id"],) if bid != row["id"] else (),
        title=(row.get("title") or "").strip() or title_from_sentence(row["text"]),
        text=row["text"],
        source=source,
        url=normalise_url(url) if url else None,
        published=published,
    )


DEFAULT_MAX_BYTES = 10_000_000  # as MAX_DOWNLOAD_BYTES


def read_capped(file: Path, source: str, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most max_bytes; IngestError for anything else.

    Opened without blocking and checked on the open file: a FIFO would wait for a writer for
    ever, and a `.txt` link to /dev/zero would never end. At most max_bytes + 1 bytes are read.
    """
    try:
        fd = os.open(file, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError as e:
        raise IngestError(source, "no such file; check the path") from e
    except OSError as e:
        raise IngestError(source, f"the file could not be read ({e.strerror or e})") from e
    with os.fdopen(fd, "rb") as f:
        mode = os.fstat(f.fileno()).st_mode
        if stat.S_ISDIR(mode):
            raise IngestError(source, "it is a directory; pass the files in it")
        if not stat.S_ISREG(mode):
            raise IngestError(source, "it is not a regular file (a device, pipe or socket)")
        try:
            data = f.read(max_bytes + 1)
        except OSError as e:
            raise IngestError(source, f"the file could not be read ({e.strerror or e})") from e
    if len(data) > max_bytes:
        raise IngestError(
            source,
            f"the file is larger than the {max_bytes:,}-byte limit; "
            "raise MAX_DOWNLOAD_BYTES to allow it",
        )
    return data


def load_file(path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES) -> list[Briefing]:
    """Load a file by its extension; a list because a .jsonl file holds many briefings.

    Only regular files; a text, HTML or PDF file of at most max_bytes (a .jsonl file is a
    batch of briefings and has no cap)."""
    source, file = str(path), Path(path)
    if not file.exists():
        raise IngestError(source, "no such file; check the path")
    if file.is_dir():
        raise IngestError(source, "it is a directory; pass the files in it")
    suffix = file.suffix.lower()
    if suffix == ".jsonl":
        if not file.is_file():
            raise IngestError(source, "it is not a regular file (a device, pipe or socket)")
        return load_jsonl(file)
    if suffix not in UPLOAD_SUFFIXES:
        raise IngestError(
            source,
            f"unsupported file type {suffix or '(no extension)'}; "
            "use .txt, .md, .html, .pdf or .jsonl",
        )
    return [load_bytes(read_capped(file, source, max_bytes), file.name, source)]


def load_url(url: str, fetcher: UrlFetcher) -> Briefing:
    """Fetch url and build a Briefing; its id and url come from the link as given, normalised."""
    page = fetcher.fetch(url)
    media = page.media_type
    if media in ("text/html", "application/xhtml+xml"):
        return extract_article(page.body, url, url)
    if media in ("text/plain", "text/markdown"):
        return load_text(decode_text(page.body, url, page.charset), url, url=url)
    if media == "application/pdf":
        return load_pdf(page.body, url, url=url)
    shown = media or "none given"
    raise IngestError(
        url, f"the link is not a text page (content type {shown}); send an article, text or PDF"
    )


def expand_sources(args: list[str]) -> list[str]:
    """Expand directories to their supported files (sorted, not hidden); keep "-" and URLs."""
    sources: list[str] = []
    for arg in args:
        folder = Path(arg)
        if arg == "-" or _URL_SCHEME.match(arg) or not folder.is_dir():
            sources.append(arg)
            continue
        found = sorted(
            p
            for p in folder.iterdir()
            if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in FILE_SUFFIXES
        )
        if not found:
            logger.warning("no supported files in directory %s", arg)
        sources.extend(str(p) for p in found)
    return sources


def load_source(source: str, *, fetcher: UrlFetcher, stdin: TextIO | None = None) -> list[Briefing]:
    """Load one source: "-" for stdin, an http(s) link, or a file path."""
    if source == "-":
        text = (stdin or sys.stdin).read(fetcher.max_bytes + 1)
        if len(text) > fetcher.max_bytes:
            raise IngestError(
                "stdin",
                f"the text is longer than the {fetcher.max_bytes:,}-character limit; "
                "raise MAX_DOWNLOAD_BYTES to allow it",
            )
        return [load_text(text, "stdin")]
    if looks_like_http(source):
        return [load_url(source, fetcher)]
    if _URL_SCHEME.match(source) and not Path(source).exists():
        scheme = source.split(":", 1)[0]
        raise IngestError(source, f"only http and https links are supported, not {scheme}:")
    return load_file(source, fetcher.max_bytes)


def stream_source(
    source: str, *, fetcher: UrlFetcher, stdin: TextIO | None = None
) -> Iterable[Briefing]:
    """As load_source, but a .jsonl file's briefings come one at a time (iter_jsonl), so that
    an archive of any size is never held whole."""
    file = Path(source)
    if source != "-" and file.suffix.lower() == ".jsonl" and file.is_file():
        return iter_jsonl(file)
    return load_source(source, fetcher=fetcher, stdin=stdin)
