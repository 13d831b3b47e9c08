"""Loaders over real files: text rules, uploads, PDFs, JSON lines, sources, identities."""

from __future__ import annotations

import io
import json
import os
import re
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from ingest import time_budget
from ingest.errors import IngestError
from ingest.extract import extract_article, extract_pdf_text, read_article
from ingest.fetch import UrlFetcher
from ingest.identity import briefing_id_for, content_version, feed_url, normalise_url
from ingest.loaders import (
    expand_sources,
    load_bytes,
    load_file,
    load_jsonl,
    load_source,
    load_text,
)

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "2025-06-02-istanbul-talks.txt"


def make_pdf(lines: list[str], title: str | None = None, password: str | None = None) -> bytes:
    """A real one-page PDF with the given lines of text, made with reportlab."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, encrypt=password)
    if title:
        pdf.setTitle(title)
    y = 780
    for line in lines:
        pdf.drawString(72, y, line)
        y -= 18
    if not lines:
        pdf.rect(72, 600, 200, 100, fill=1)  # a drawing, no text: like a scan
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


# --- the plain-text rules ---------------------------------------------------------------


def test_sample_file_takes_its_leading_date_and_first_sentence_title():
    [briefing] = load_file(SAMPLE)

    assert briefing.published == date(2025, 6, 2)
    assert briefing.text.startswith("The second round of talks between the Ukrainian")
    assert "date 2025-06-02" not in briefing.text
    assert briefing.title == (
        "The second round of talks between the Ukrainian and Russian delegations on Monday "
        "(Jun 2) has…"
    )
    assert "Russia rejects unconditional ceasefire" in briefing.text
    assert briefing.source == str(SAMPLE)
    assert briefing.url is None
    assert briefing.id.startswith("t-")


def test_front_matter_gives_title_date_url_and_author(tmp_path):
    path = write(
        tmp_path,
        "truce.md",
        '---\ntitle: "Truce proposed"\ndate: 2025-06-03\nurl: https://News.example/truce/'
        "?utm_source=x\nauthor: Jane Doe\n---\n\nRussia proposed a truce of two to three days.\n",
    )

    [briefing] = load_file(path)

    assert briefing.title == "Truce proposed"
    assert briefing.published == date(2025, 6, 3)
    assert briefing.url == "https://news.example/truce"
    assert briefing.author == "Jane Doe"
    assert briefing.text == "Russia proposed a truce of two to three days."
    assert briefing.id == briefing_id_for("https://news.example/truce", "anything")


def test_front_matter_with_a_bad_date_is_refused_with_the_fix(tmp_path):
    path = write(tmp_path, "bad.md", "---\ntitle: T\ndate: June 3\n---\nSome text here.\n")

    with pytest.raises(IngestError) as caught:
        load_file(path)

    assert str(caught.value).startswith(f"Could not ingest {path}: ")
    assert "'June 3' is not a valid date; write it as YYYY-MM-DD" in str(caught.value)


def test_a_horizontal_rule_on_top_is_not_front_matter():
    briefing = load_text("---\nTalks resumed today.\n---\nMore text follows.", "pasted")

    assert "Talks resumed today." in briefing.text


def test_markdown_heading_becomes_the_title_and_leaves_the_body(tmp_path):
    path = write(tmp_path, "talks.md", "# Ceasefire talks\n\nRussia proposed a partial truce.\n")

    [briefing] = load_file(path)

    assert briefing.title == "Ceasefire talks"
    assert briefing.text == "Russia proposed a partial truce."
    assert briefing.published is None


def test_long_first_line_gives_a_shortened_title_and_the_text_is_kept_whole():
    first = (
        "Ukrainian and Russian negotiators met in Istanbul for a second round of direct talks "
        "and agreed on a large exchange of prisoners. Nothing else was settled."
    )
    briefing = load_text(f"{first}\n\nA third round may follow.", "pasted")

    assert len(briefing.title) <= 101
    assert briefing.title.endswith("…")
    assert briefing.title.startswith("Ukrainian and Russian negotiators met in Istanbul")
    assert not briefing.title[:-1].endswith(" ")
    assert briefing.text.startswith(first)


def test_a_single_short_line_is_both_title_and_text():
    briefing = load_text("Russia proposed a two-day truce.", "pasted")

    assert briefing.title == "Russia proposed a two-day truce"
    assert briefing.text == "Russia proposed a two-day truce."


def test_text_is_normalised():
    briefing = load_text(
        "Title line\r\n\r\nFirst paragraph.   \r\n\r\n\r\n\r\nSecond paragraph.\t\r\n", "pasted"
    )

    assert briefing.text == "First paragraph.\n\nSecond paragraph."


def test_leading_date_is_case_insensitive_and_explicit_arguments_win():
    briefing = load_text(
        "  DATE 2025-06-02\nHeadline here\nBody text.",
        "feed",
        title="Feed title",
        published=date(2025, 6, 1),
    )

    assert briefing.title == "Feed title"
    assert briefing.published == date(2025, 6, 1)
    assert briefing.text == "Headline here\nBody text."


@pytest.mark.parametrize("content", ["", "   \n\n  \n", "---\ntitle: Only a title\n---\n"])
def test_empty_file_is_refused(tmp_path, content):
    path = write(tmp_path, "empty.txt", content)

    with pytest.raises(IngestError) as caught:
        load_file(path)

    expected = f"Could not ingest {path}: the text is empty; send the briefing's text"
    assert str(caught.value) == expected


# --- files and uploads ------------------------------------------------------------------


def test_missing_file_is_named(tmp_path):
    path = tmp_path / "nowhere.txt"

    with pytest.raises(IngestError) as caught:
        load_file(path)

    assert str(caught.value) == f"Could not ingest {path}: no such file; check the path"


def test_a_directory_is_not_a_file(tmp_path):
    with pytest.raises(IngestError, match="it is a directory"):
        load_file(tmp_path)


def test_unsupported_extension_says_what_is_supported(tmp_path):
    path = write(tmp_path, "report.docx", b"PK\x03\x04")

    with pytest.raises(IngestError) as caught:
        load_file(path)

    assert f"Could not ingest {path}: unsupported file type .docx" in str(caught.value)
    with pytest.raises(IngestError) as upload:
        load_bytes(b"\x89PNG", "photo.png", "telegram upload photo.png")
    assert str(upload.value) == (
        "Could not ingest telegram upload photo.png: unsupported file type .png; "
        "send .txt, .md, .html or .pdf"
    )


def test_utf8_with_one_bad_byte_stays_utf8():
    text = "Zürich talks\n\nDelegates met in Zürich and Genève on the 3rd; the café was shut."
    data = text.encode("utf-8").replace(b"3rd", b"3\xffrd")

    briefing = load_bytes(data, "notes.txt", "notes.txt")

    assert briefing.title == "Zürich talks"
    assert briefing.text == (
        "Delegates met in Zürich and Genève on the 3\ufffdrd; the café was shut."
    )


def test_upload_falls_back_to_windows_1252():
    briefing = load_bytes(
        "Caf\u00e9 talks\n\nThe caf\u00e9 hosted \u201ctalks\u201d.".encode("cp1252"),
        "notes.TXT",
        "telegram upload notes.TXT",
    )

    assert briefing.title == "Caf\u00e9 talks"
    assert briefing.text == "The caf\u00e9 hosted \u201ctalks\u201d."
    assert briefing.source == "telegram upload notes.TXT"


def test_upload_of_binary_data_named_txt_is_refused():
    with pytest.raises(IngestError, match="looks like a binary file, not text"):
        load_bytes(b"\x00\x01\x02binary", "data.txt", "telegram upload data.txt")


def test_html_upload_is_extracted():
    html = (
        "<html><head><title>Port reopens</title></head><body><article>"
        "<p>The port of Odesa reopened on Tuesday after a week of closures.</p>"
        "<p>Grain ships were the first to leave the harbour.</p></article></body></html>"
    )
    briefing = load_bytes(html.encode(), "port.html", "telegram upload port.html")

    assert briefing.title == "Port reopens"
    assert "Grain ships were the first to leave the harbour." in briefing.text
    assert briefing.id.startswith("t-")


# --- PDFs -------------------------------------------------------------------------------


def test_pdf_uses_its_metadata_title(tmp_path):
    path = write(
        tmp_path,
        "brief.pdf",
        make_pdf(["Prisoner exchange agreed.", "Both sides will swap 6,000 bodies."], "PDF brief"),
    )

    [briefing] = load_file(path)

    assert briefing.title == "PDF brief"
    assert "Prisoner exchange agreed." in briefing.text
    assert "Both sides will swap 6,000 bodies." in briefing.text


def test_pdf_without_a_metadata_title_uses_the_text_rules(tmp_path):
    path = write(tmp_path, "brief.pdf", make_pdf(["Exchange agreed", "Both sides agreed."]))

    [briefing] = load_file(path)

    assert briefing.title == "Exchange agreed"
    assert briefing.text == "Both sides agreed."


def test_pdf_without_a_text_layer_is_refused(tmp_path):
    path = write(tmp_path, "scan.pdf", make_pdf([]))

    with pytest.raises(IngestError) as caught:
        load_file(path)

    assert f"Could not ingest {path}: the PDF has no text layer" in str(caught.value)
    assert "scanned PDFs are not supported" in str(caught.value)


def test_password_protected_pdf_is_refused():
    data = make_pdf(["Secret text."], password="secret")

    with pytest.raises(IngestError, match="password-protected; send an unlocked copy"):
        load_bytes(data, "locked.pdf", "telegram upload locked.pdf")


def test_broken_pdf_is_refused():
    with pytest.raises(IngestError) as caught:
        load_bytes(b"%PDF-1.4\nnot really a pdf", "broken.pdf", "telegram upload broken.pdf")

    assert str(caught.value).startswith("Could not ingest telegram upload broken.pdf: ")
    assert "the PDF could not be read" in str(caught.value)


# --- JSON lines (eval sets) -------------------------------------------------------------


def test_jsonl_keeps_ids_without_urls_dates_urls_and_text_verbatim(tmp_path):
    rows = [
        {
            "id": "Normans#0",
            "title": "Normans",
            "text": "The Normans were a people.\nIn France.",
            "date": "2022-11-10",
            "url": "https://example.org/normans",
        },
        {"id": "Normans#1", "title": "Normans", "text": "  Leading space kept."},
    ]
    path = write(tmp_path, "docs.jsonl", "\n".join(json.dumps(r) for r in rows) + "\n\n")

    briefings = load_file(path)

    # A record with a url is the page's briefing (its id from the URL, like any page); its own
    # id is kept as an alias. One without keeps its id.
    assert [b.id for b in briefings] == [briefing_id_for(rows[0]["url"], ""), "Normans#1"]
    assert [b.aliases for b in briefings] == [("Normans#0",), ()]
    assert briefings[0].published == date(2022, 11, 10)
    assert briefings[0].url == "https://example.org/normans"
    assert briefings[0].text == "The Normans were a people.\nIn France."
    assert briefings[1].text == "  Leading space kept."
    assert briefings[1].published is None
    assert all(b.source == str(path) for b in briefings)


def test_jsonl_bad_line_is_named(tmp_path):
    path = write(tmp_path, "docs.jsonl", '{"id": "a", "text": "ok"}\n{"id": "b", "text": \n')

    with pytest.raises(IngestError) as caught:
        load_jsonl(path)

    assert str(caught.value).startswith(f"Could not ingest {path}: line 2 is not valid JSON")


def test_jsonl_line_without_text_or_with_a_repeated_id_is_named(tmp_path):
    no_text = write(tmp_path, "a.jsonl", '{"id": "a", "title": "t"}\n')
    repeated = write(tmp_path, "b.jsonl", '{"id": "a", "text": "x"}\n{"id": "a", "text": "y"}\n')

    with pytest.raises(IngestError, match="line 1 has no 'text' string"):
        load_jsonl(no_text)
    with pytest.raises(IngestError, match="line 2 repeats the id 'a'"):
        load_jsonl(repeated)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"id": "a", "text": "x", "date": 20250603}, "line 1: 'date' must be a string, not int"),
        ({"id": "a", "text": "x", "title": ["t"]}, "line 1: 'title' must be a string, not list"),
        ({"id": "a", "text": "x", "url": "not a url"}, "line 1: url 'not a url' is not an http"),
        ({"id": "a", "text": "x", "url": "javascript:alert(1)"}, "is not an http"),
        ({"id": "a", "text": "x", "url": "tg://resolve?domain=x"}, "is not an http"),
    ],
)
def test_jsonl_fields_of_the_wrong_kind_are_that_line_s_clear_failure(tmp_path, row, message):
    path = write(tmp_path, "c.jsonl", json.dumps(row) + "\n")

    with pytest.raises(IngestError, match=re.escape(message)):
        load_jsonl(path)


# --- sources ----------------------------------------------------------------------------


def test_expand_sources_lists_supported_files_of_a_directory(tmp_path):
    for name in ("b.md", "a.txt", ".hidden.txt", "c.png", "d.jsonl", "e.PDF"):
        write(tmp_path, name, "x")
    (tmp_path / "sub").mkdir()
    url = "https://example.org/a"

    sources = expand_sources([str(tmp_path), "-", url, "missing.txt"])

    files = [str(tmp_path / n) for n in ("a.txt", "b.md", "d.jsonl", "e.PDF")]
    assert sources == [*files, "-", url, "missing.txt"]


def test_load_source_reads_stdin_and_files(tmp_path):
    path = write(tmp_path, "a.txt", "Headline\n\nBody sentence.")
    with UrlFetcher() as fetcher:
        [from_stdin] = load_source("-", fetcher=fetcher, stdin=io.StringIO("Pasted text."))
        [from_file] = load_source(str(path), fetcher=fetcher)

    assert from_stdin.source == "stdin"
    assert from_stdin.text == "Pasted text."
    assert from_file.title == "Headline"


@pytest.mark.parametrize("source", ["ftp://example.org/a.txt", "file:///etc/passwd"])
def test_load_source_refuses_other_url_schemes(source):
    with UrlFetcher() as fetcher, pytest.raises(IngestError) as caught:
        load_source(source, fetcher=fetcher)

    scheme = source.split(":")[0]
    assert str(caught.value) == (
        f"Could not ingest {source}: only http and https links are supported, not {scheme}:"
    )


# --- identity ---------------------------------------------------------------------------


def test_normalise_url_drops_noise_but_keeps_meaning():
    assert (
        normalise_url(
            "HTTPS://News.Example.COM:443/World/Story/?b=2&utm_source=tg&a=1&fbclid=x#top"
        )
        == "https://news.example.com/World/Story?b=2&a=1"
    )
    assert normalise_url("http://example.com") == "http://example.com/"
    assert normalise_url("http://example.com:8080/a/") == "http://example.com:8080/a"


def test_the_same_page_raw_or_percent_encoded_has_one_identity():
    raw = "https://example.com/café/~desk/a b?q=x%2fy"
    encoded = "https://example.com/caf%c3%a9/%7Edesk/a%20b?q=x%2Fy"

    assert normalise_url(raw) == normalise_url(encoded)
    assert normalise_url(raw) == "https://example.com/caf%C3%A9/~desk/a%20b?q=x%2Fy"
    assert briefing_id_for(raw, "") == briefing_id_for(encoded, "")


def test_feed_urls_lose_case_port_and_fragment_but_keep_their_path():
    assert feed_url("HTTP://Feeds.Example.COM:80/rss/#top") == "http://feeds.example.com/rss/"
    assert (
        feed_url("https://example.com/feed?lang=%c3%a9") == "https://example.com/feed?lang=%C3%A9"
    )


def test_same_url_with_tracking_or_fragment_keeps_the_id_even_with_new_text():
    base = briefing_id_for("https://example.com/story", "old text")

    assert briefing_id_for("https://EXAMPLE.com/story/?utm_medium=x#p2", "new text") == base
    assert briefing_id_for("https://example.com/story?gclid=1", "") == base
    assert briefing_id_for("https://example.com/other", "old text") != base


def test_text_ids_fold_whitespace_and_differ_for_different_text():
    same = briefing_id_for(None, "Russia proposed\n a truce.")

    assert same == briefing_id_for(None, "Russia  proposed a truce. ")
    assert same.startswith("t-") and len(same) == 18
    assert briefing_id_for(None, "Ukraine proposed a truce.") != same


def test_content_version_changes_with_title_text_or_date():
    briefing = load_text("Title\n\nSome text.", "pasted")

    assert content_version(briefing) == content_version(load_text("Title\n\nSome text.", "x"))
    assert content_version(replace(briefing, published=date(2025, 1, 1))) != content_version(
        briefing
    )
    assert content_version(replace(briefing, text="Other text.")) != content_version(briefing)


# --- files that are not what they seem --------------------------------------------------


def test_a_txt_link_to_a_device_is_refused_without_reading_it(tmp_path):
    link = tmp_path / "zero.txt"
    link.symlink_to("/dev/zero")

    with pytest.raises(IngestError, match="not a regular file"):
        load_file(link)


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    other = tmp_path / "pipe.jsonl"
    os.mkfifo(other)

    with pytest.raises(IngestError, match="not a regular file"):
        load_file(fifo)
    with pytest.raises(IngestError, match="not a regular file"):
        load_file(other)


def test_a_file_over_the_byte_cap_is_refused(tmp_path):
    big = write(tmp_path, "big.txt", "Talks went on. " * 1000)

    with pytest.raises(IngestError, match="larger than the 1,000-byte limit"):
        load_file(big, max_bytes=1000)
    assert load_file(big, max_bytes=20_000)[0].text.startswith("Talks went on.")


def test_stdin_over_the_cap_is_refused():
    fetcher = UrlFetcher(max_bytes=100)
    try:
        with pytest.raises(IngestError, match="longer than the 100-character limit"):
            load_source("-", fetcher=fetcher, stdin=io.StringIO("Words. " * 100))
        assert load_source("-", fetcher=fetcher, stdin=io.StringIO("Short talks."))[0].text
    finally:
        fetcher.close()


# --- the time budget for reading HTML and PDF -------------------------------------------


def _table_page(size: int) -> str:
    """A page of table rows: about 8 s of trafilatura per MB on this machine."""
    row = "<tr><td>Round</td><td>Russia proposed a ceasefire at the talks in Istanbul.</td></tr>"
    return "<html><body><table>" + row * (size // len(row)) + "</table></body></html>"


def test_a_large_page_is_read_in_a_child_and_gives_what_reading_it_here_gives():
    filler = "".join(
        f"<p>Delegates met for round {n} and discussed prisoner exchanges at length.</p>"
        for n in range(4000)
    )
    html = (
        "<html><head><title>Istanbul round</title></head><body><article>"
        f"<p>Russia proposed a ceasefire of thirty days.</p>{filler}</article></body></html>"
    )
    assert len(html) > time_budget.IN_PROCESS_BYTES  # so it is read in a child process

    child = extract_article(html, "https://example.org/a", "test")

    assert child == read_article(html, "https://example.org/a", "test")
    assert child.title == "Istanbul round"
    assert "Russia proposed a ceasefire of thirty days." in child.text


def test_reading_a_page_stops_at_its_deadline_with_a_clear_failure():
    html = _table_page(2_000_000)  # about 16 s to extract

    started = time.monotonic()
    with pytest.raises(IngestError) as caught:
        extract_article(html, "https://example.org/t", "https://example.org/t", deadline=2)

    assert time.monotonic() - started < 10
    assert str(caught.value) == (
        "Could not ingest https://example.org/t: reading it took longer than 2 s; "
        "send the article's own page or paste its text"
    )


def test_a_large_pdf_is_read_in_a_child_and_its_failures_stay_clear():
    lines = [f"Round {n}: the delegations exchanged drafts on prisoners." for n in range(40)]
    # bytes after %%EOF are ignored by readers: a PDF too large to read here
    data = make_pdf(lines) + b"%" + b"x" * time_budget.IN_PROCESS_BYTES
    text, _ = extract_pdf_text(data, "big.pdf")
    assert "Round 39: the delegations exchanged drafts on prisoners." in text

    broken = b"%PDF-1.4\n" + b"0" * (time_budget.IN_PROCESS_BYTES + 1)
    with pytest.raises(IngestError, match=r"^Could not ingest big\.pdf: the PDF could not be"):
        extract_pdf_text(broken, "big.pdf")
