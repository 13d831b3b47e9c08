"""What the bot says, without Telegram: strings, ingest reports, answer parts, menus, URLs."""

from __future__ import annotations

import logging
from datetime import date

import pytest

from bot.settings import Settings
from bot.telegram import messages
from bot.telegram.access import Access
from bot.telegram.application import api_urls, command_menus
from bot.telegram.redaction import REDACTED, protect_token, redact, secret_parts
from bot.telegram.render import TELEGRAM_LIMIT
from bot.telegram.replies import answer_parts, more_button, more_parts
from bot.telegram.uploads import upload_name
from ingest.links import is_http_url as is_link
from ingest.pipeline import IngestResult
from retrieval.types import Answer, Briefing, BriefingRecord, Citation
from tests.bot.telegram.telegram_text import parse_telegram_html

TOKEN = "987654321:AAHsecretSecretSecret_0123456789abcd"


def citation(n: int, sentence: str = "Talks ended <early> & calmly.") -> Citation:
    return Citation(
        sentence=f"{sentence} ({n})",
        doc_id="u-1",
        title="Talks & <b>news</b>",
        start=0,
        end=10,
        published=date(2025, 6, 2),
        url="https://example.org/a?x=1&y=2",
    )


def test_ingest_lines_escape_and_say_what_happened() -> None:
    briefing = Briefing(
        id="u-abc",
        title="Fees <b>up</b> & more",
        text="…",
        source="https://example.org/f",
        url="https://example.org/f?a=1&b=2",
        published=date(2025, 6, 5),
    )
    added = IngestResult(briefing.source, "added", briefing, 12)
    failed = IngestResult("x.pdf", "failed", error="Could not ingest x.pdf: <scanned> & empty")
    report = messages.ingest_report([added, failed])
    text, entities = parse_telegram_html(report)  # valid Telegram HTML
    assert text == (
        "✅ Added Fees <b>up</b> & more, 5 Jun 2025: 12 sentences (id u-abc)\n"
        "❌ Could not ingest x.pdf: <scanned> & empty"
    )
    assert {"type": "text_link", "offset": 8, "length": 21, "url": briefing.url} in entities


def test_lists_of_briefings_are_valid_html_with_dates() -> None:
    records = [
        BriefingRecord(f"t-{n}", f"Brief <{n}>", "s", "v", 3, None, date(2025, 6, n + 1))
        for n in range(7)
    ]
    latest, _ = parse_telegram_html(messages.latest(records))
    assert latest.splitlines()[0] == "The 5 newest of 7 briefings"
    assert latest.splitlines()[1] == "• Brief <0> — 1 Jun 2025"
    listing, _ = parse_telegram_html(messages.listing(records))
    assert listing.splitlines()[-1] == "t-6 Brief <6> — 7 Jun 2025"
    assert messages.latest([]) == messages.NO_BRIEFINGS


@pytest.mark.parametrize("group", [False, True])
def test_help_is_valid_html(group: bool) -> None:
    text, _ = parse_telegram_html(messages.help_text("my_bot", group=group, may_ingest=True))
    assert "/ingest" in text and ("@my_bot" in text) == group


def test_a_follow_up_note_keeps_the_first_part_within_the_limit() -> None:
    long = Answer("q", "t", tuple(citation(n, "word " * 700) for n in range(3)))
    note = messages.follow_up_note("What did <Russia> propose? " * 20)
    parts = answer_parts(long, note)
    assert parts[0].startswith(note + "\n\n[1] ")
    assert all(len(p) <= TELEGRAM_LIMIT for p in parts)
    for part in parts:
        parse_telegram_html(part)


def test_more_parts_number_on_after_the_shown_citations() -> None:
    [part] = more_parts([citation(n) for n in range(3, 5)], first=4)
    text, _ = parse_telegram_html(part)
    assert text.startswith("[4] Talks ended <early> & calmly. (3)")
    assert "[5] " in text and "[3] " not in text


def test_the_more_button_fits_telegrams_64_bytes() -> None:
    data = more_button("0123456789abcdef").inline_keyboard[0][0].callback_data
    assert data == "more:0123456789abcdef" and len(str(data).encode()) <= 64


def test_api_urls_for_telegram_and_a_local_server() -> None:
    def urls(base: str) -> tuple[str, str]:
        return api_urls(Settings(_env_file=None, telegram_base_url=base))  # type: ignore[call-arg]

    assert urls("") == ("https://api.telegram.org/bot", "https://api.telegram.org/file/bot")
    assert urls("http://127.0.0.1:8081/") == (
        "http://127.0.0.1:8081/bot",
        "http://127.0.0.1:8081/file/bot",
    )
    assert urls("http://127.0.0.1:8081/bot")[1] == "http://127.0.0.1:8081/file/bot"


def test_admin_commands_only_reach_configured_admins() -> None:
    menus = {
        (scope.type, getattr(scope, "chat_id", None)): [c.command for c in commands]
        for scope, commands in command_menus(Access(admins=(7, 8)))
    }
    assert "ingest" not in menus[("all_private_chats", None)]
    assert "forget" in menus[("chat", 7)] and "forget" in menus[("chat", 8)]
    assert ("all_chat_administrators", None) not in menus


def test_links_and_upload_names() -> None:
    assert is_link("https://example.org/a") and is_link("HTTP://example.org")
    assert not any(
        is_link(a) for a in ("/etc/passwd", "-", "file:///etc/passwd", "ftp://x", "http://")
    )
    assert upload_name("../../etc/report.PDF", None) == "report.PDF"
    assert upload_name(None, "application/pdf") == "upload.pdf"
    assert upload_name(None, "text/markdown") == "upload.md"


def test_redaction_hides_the_token_and_its_secret_half() -> None:
    assert secret_parts(TOKEN) == [TOKEN, TOKEN.split(":", 1)[1]]
    url = f"https://api.telegram.org/bot{TOKEN}/getMe"
    assert redact(url, secret_parts(TOKEN)) == f"https://api.telegram.org/bot{REDACTED}/getMe"
    half = f"token={TOKEN.split(':', 1)[1]}"
    assert REDACTED in redact(half, secret_parts(TOKEN))


def test_protected_tokens_are_scrubbed_from_every_log_record(
    caplog: pytest.LogCaptureFixture,
) -> None:
    protect_token(TOKEN)
    caplog.set_level(logging.DEBUG)
    log = logging.getLogger("some.library")
    log.debug("calling %s", f"https://api.telegram.org/bot{TOKEN}/getMe")
    try:
        raise RuntimeError(f"The token `{TOKEN}` was rejected by the server.")
    except RuntimeError:
        log.exception("startup failed")
    assert TOKEN.split(":", 1)[1] not in caplog.text
    assert caplog.text.count(REDACTED) == 2 and "RuntimeError" in caplog.text
    assert logging.getLogger("httpx").level >= logging.WARNING


def test_a_short_token_is_redacted_whatever_its_length(caplog: pytest.LogCaptureFixture) -> None:
    short = "7:tiny"  # a test deployment's token: still a secret
    assert secret_parts(short) == [short]
    protect_token(short)
    caplog.set_level(logging.DEBUG)
    logging.getLogger("telegram.ext").debug("Set Bot API URL: https://example.org/bot7:tiny")
    assert short not in caplog.text and f"/bot{REDACTED}" in caplog.text


def test_counts_are_in_words_one_helper_for_every_message() -> None:
    """Found by an outside test: "The 1 newest of 1 briefings"."""
    from bot.wording import counted

    assert counted(1, "briefing") == "1 briefing"
    assert counted(0, "briefing") == "0 briefings"
    assert counted(1_200, "entry", "entries") == "1,200 entries"
    record = BriefingRecord(id="t-1", title="Talks", source="x", version="v", sentence_count=1)
    assert messages.latest([record]).splitlines()[0] == "<b>The one briefing</b>"
    assert messages.latest([record, record]).splitlines()[0] == "<b>All 2 briefings</b>"
    assert messages.listing([record]).splitlines()[0] == "<b>1 briefing, newest first</b>"
    assert "1 question a minute" in messages.too_many_questions(1)
    assert "follows 1 topic." in messages.unfollowed(None, 1)


def test_an_alert_quotes_as_an_answer_does() -> None:
    """Found by an outside test: alerts wrapped quotes in extra typographic quotes and showed
    no speakers. Now: the sentence in italics, its speaker after it, as in answers."""
    record = BriefingRecord("t-1", "Talks resume", "s", "v", 2, None, date(2025, 6, 2))
    text = messages.alert(
        "talks",
        record,
        ["“We are ready,” Medinsky said.", "The talks began."],
        ["Vladimir Medinsky", ""],
    )
    lines = text.splitlines()
    assert "[1] <i>“We are ready,” Medinsky said.</i> (Vladimir Medinsky)" in lines
    assert "[2] <i>The talks began.</i>" in lines
    assert "<i>“The talks" not in text
