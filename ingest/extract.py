"""Getting plain text out of formats: readable article text from HTML, the text layer of a PDF."""

from __future__ import annotations

import io
import logging
import re
from urllib.parse import urlsplit, urlunsplit

import pypdf
import trafilatura
from trafilatura.settings import Document
from trafilatura.utils import load_html as parse_html

from ingest.errors import IngestError
from ingest.identity import briefing_id_for, normalise_url
from ingest.time_budget import EXTRACT_DEADLINE, within_deadline
from retrieval.types import Briefing, parse_day

logger = logging.getLogger(__name__)

TITLE_CHARS = 100
_SENTENCE_END = re.compile(r"[.!?…](?=[\"'”’)\]]*(?:\s|$))")
_TRAILING_SPACE = re.compile(r"[ \t\f\v]+$", re.MULTILINE)
_BLANK_LINES = re.compile(r"\n{3,}")
_PLACEHOLDER_TITLES = frozenset({"", "untitled", "untitled document"})


def normalise_text(text: str) -> str:
    """Fold line endings, strip trailing spaces on lines, collapse 3+ newlines to 2, strip."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    text = _TRAILING_SPACE.sub("", text)
    return _BLANK_LINES.sub("\n\n", text).strip()


def title_from_sentence(text: str, limit: int = TITLE_CHARS) -> str:
    """Return the text's first sentence as a title, shortened at a word boundary with "…"."""
    first_line = text.strip().split("\n", 1)[0].strip()
    match = _SENTENCE_END.search(first_line)
    sentence = first_line[: match.end()] if match else first_line
    if len(sentence) <= limit:
        return sentence.rstrip(".").strip()
    head = sentence[: limit + 1]
    if not head[-1].isspace() and " " in head:
        head = head.rsplit(None, 1)[0]  # drop the word cut in half
    return head[:limit].rstrip(" ,;:-–—(") + "…"


def _without_query(url: str) -> str:
    # trafilatura logs the URL it was given; the query may carry tokens, so it never sees one.
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _text_blocks(text: str) -> list[str]:
    return [line.strip() for line in normalise_text(text).split("\n") if line.strip()]


def extract_article(
    html: str | bytes, url: str | None, source: str, *, deadline: float = EXTRACT_DEADLINE
) -> Briefing:
    """Return the page's main article text and metadata as a Briefing; IngestError if none,
    or if reading a large page takes longer than `deadline` seconds."""
    result = within_deadline("read_article", (html, url, source), len(html), source, deadline)
    assert isinstance(result, Briefing)
    return result


def extract_pdf_text(
    data: bytes, source: str, *, deadline: float = EXTRACT_DEADLINE
) -> tuple[str, str | None]:
    """Return the text layer of a PDF and its metadata title; IngestError if unreadable, or
    if reading a large file takes longer than `deadline` seconds."""
    text, title = within_deadline("read_pdf_text", (data, source), len(data), source, deadline)
    return text, title


def read_article(html: str | bytes, url: str | None, source: str) -> Briefing:
    """extract_article in this process, however long it takes."""
    # Parse here so trafilatura and htmldate only ever see a tree, never something to download.
    tree = parse_html(html) if html else None
    document: Document | None = None
    if tree is not None:
        extracted = trafilatura.bare_extraction(
            tree,
            url=_without_query(url) if url else None,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            include_images=False,
            include_links=False,
        )
        # a Document unless as_dict=True is asked for (trafilatura 2's annotation is a union)
        document = extracted if isinstance(extracted, Document) else None
    blocks = _text_blocks(document.text or "") if document is not None else []
    title = (document.title or "").strip() if document is not None else ""
    if blocks and title and blocks[0].casefold() == title.casefold():
        blocks = blocks[1:]  # the headline is the title, not a sentence of the briefing
    # One block (paragraph, heading, list item) per paragraph, as in the text files.
    text = "\n\n".join(blocks)
    if not text:
        raise IngestError(
            source,
            "the page has no readable article text; send the article's own page or paste its text",
        )
    title = title or title_from_sentence(text)
    logger.debug("extracted %d characters of article text", len(text))
    return Briefing(
        id=briefing_id_for(url, text),
        title=title,
        text=text,
        source=source,
        url=normalise_url(url) if url else None,
        published=parse_day(document.date if document else None),
        author=((document.author if document else None) or "").strip() or None,
        site=((document.sitename if document else None) or "").strip() or None,
    )


def read_pdf_text(data: bytes, source: str) -> tuple[str, str | None]:
    """extract_pdf_text in this process, however long it takes."""
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise IngestError(
                source, "the PDF is password-protected; send an unlocked copy or paste its text"
            )
        pages = [page.extract_text() or "" for page in reader.pages]
        title = reader.metadata.title if reader.metadata else None
    except IngestError:
        raise
    except Exception as e:  # a broken PDF can fail pypdf in many ways; all mean "unreadable"
        reason = " ".join(str(e).split())[:120] or type(e).__name__
        raise IngestError(
            source, f"the PDF could not be read ({reason}); check that the file is a complete PDF"
        ) from e
    text = normalise_text("\n\n".join(pages))
    if not text:
        raise IngestError(
            source,
            "the PDF has no text layer; scanned PDFs are not supported, "
            "send a PDF with selectable text or paste the text",
        )
    title = (title or "").strip()
    # Tools stamp placeholder titles ("untitled"); those say nothing about the briefing.
    return text, title if title.casefold() not in _PLACEHOLDER_TITLES else None
