"""Feeding briefbot from a chat: /ingest links, uploaded files, replied-to text; admins only."""

from __future__ import annotations

import io
import threading
from http.server import BaseHTTPRequestHandler

from pytest import MonkeyPatch
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from bot.services import Services
from bot.telegram import messages
from tests.bot.telegram.botapi import BotAPIEmulator, Call
from tests.bot.telegram.briefbot import Briefbot, quotes
from tests.ingest.pageserver import PageServer

USER = 1001
ADMIN = 4242
GROUP = -1002003004005

ARTICLE = """<!doctype html><html><head>
<title>Lake Geneva water treaty signed | Alpine Wire</title>
<meta property="og:title" content="Lake Geneva water treaty signed">
<meta property="article:published_time" content="2025-06-05T09:00:00Z">
</head><body><nav>Home | World | Alps</nav><article>
<h1>Lake Geneva water treaty signed</h1>
<p>Switzerland and France signed a treaty on Thursday that caps how much water each side may draw
from Lake Geneva during droughts.</p>
<p>The treaty sets a joint commission in Lausanne that will publish the lake's level every week
and can order farms on both shores to stop irrigating when the level falls below the threshold.</p>
<p>Fishermen's unions welcomed the deal, saying low water had killed spawning grounds in 2022.</p>
</article><footer>© Alpine Wire</footer></body></html>"""

NOTE = """---
title: Orchard frost report
date: 2025-04-12
---
A late frost destroyed most of the apricot blossom in the Valais orchards overnight.
Growers in Saxon said they expected to lose four fifths of this year's apricot harvest."""


def pdf_bytes(lines: list[str]) -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    page.setTitle("Harbour dredging update")
    y = 800
    for line in lines:
        page.drawString(60, y, line)
        y -= 18
    page.save()
    return buffer.getvalue()


def edited(botapi: BotAPIEmulator, chat_id: int, status: Call) -> str:
    """The current text of a "Reading…" message after the bot edited it."""
    return str(botapi.message(chat_id, status.result["message_id"])["text"])


async def test_ingest_a_link_then_the_next_question_cites_it(
    botapi: BotAPIEmulator, briefbot: Briefbot, page_server: PageServer
) -> None:
    url = page_server.add("/alps/lake-geneva-treaty", ARTICLE)
    async with briefbot.polling():
        [status] = await briefbot.say(USER, f"/ingest {url}")
        [edit] = await botapi.wait_sent_async("editMessageText", chat_id=USER, timeout=30)
        [_, answer] = await briefbot.say(
            USER, "Who will publish the level of Lake Geneva?", count=2
        )
    assert status.result["text"] == messages.READING
    assert edit["message_id"] == status.result["message_id"]
    report = edited(botapi, USER, status)
    assert report.startswith("✅ Added Lake Geneva water treaty signed, 5 Jun 2025: ")
    assert "sentences (id u-" in report
    assert "joint commission in Lausanne" in answer.result["text"]
    links = [e["url"] for e in answer.result["entities"] if e["type"] == "text_link"]
    assert url in links


async def test_several_links_each_get_a_line_and_a_bad_one_says_why(
    botapi: BotAPIEmulator, briefbot: Briefbot, page_server: PageServer
) -> None:
    good = page_server.add("/treaty", ARTICLE)
    missing = page_server.url("/gone")
    async with briefbot.polling():
        [status] = await briefbot.say(USER, f"/ingest {good} {missing} {good}")
        await botapi.wait_sent_async("editMessageText", chat_id=USER, timeout=30)
    added, failed, again = edited(botapi, USER, status).split("\n")
    assert added.startswith("✅ Added Lake Geneva water treaty signed")
    assert failed.startswith(f"❌ Could not ingest {missing}") and "404" in failed
    assert again.startswith("Already known, unchanged: Lake Geneva water treaty signed")


async def test_only_links_are_taken_from_a_chat(
    botapi: BotAPIEmulator, briefbot: Briefbot, page_server: PageServer
) -> None:
    async with briefbot.polling():
        [refusal] = await briefbot.say(USER, "/ingest /etc/passwd -")
        [_, usage] = await briefbot.say(USER, "/ingest", count=2)
    assert refusal.result["text"].startswith("Only http(s) links can be ingested from a chat")
    assert "/etc/passwd" in refusal.result["text"]
    assert usage.result["text"] == messages.USAGE_INGEST
    assert not botapi.sent("editMessageText")


async def test_uploaded_txt_and_pdf_are_ingested(
    botapi: BotAPIEmulator, briefbot: Briefbot
) -> None:
    txt = botapi.add_file("f-txt", NOTE.encode(), file_name="frost.txt", mime_type="text/plain")
    pdf = botapi.add_file(
        "f-pdf",
        pdf_bytes(
            [
                "Dredging of the inner harbour at Ostend will start in September.",
                "The port authority said the channel must reach a depth of twelve metres.",
            ]
        ),
        file_name="harbour.pdf",
        mime_type="application/pdf",
    )
    async with briefbot.polling():
        botapi.queue_message(USER, user_id=USER, document=txt)
        botapi.queue_message(USER, user_id=USER, document=pdf)
        await botapi.wait_sent_async("editMessageText", chat_id=USER, count=2, timeout=30)
        botapi.queue_message(USER, "How deep must the Ostend channel be?", user_id=USER)
        botapi.queue_message(USER, "What happened to the apricot blossom?", user_id=USER)
        await botapi.wait_sent_async("sendMessage", chat_id=USER, count=4, timeout=30)
    statuses, answers = (
        botapi.sent("sendMessage", chat_id=USER)[:2],
        botapi.sent("sendMessage", chat_id=USER)[2:],
    )
    reports = sorted(edited(botapi, USER, s) for s in statuses)
    assert reports[0].startswith("✅ Added Harbour dredging update: 2 sentences")
    assert reports[1].startswith("✅ Added Orchard frost report, 12 Apr 2025: 2 sentences")
    assert {s.result["text"] for s in statuses} == {"Reading frost.txt…", "Reading harbour.pdf…"}
    texts = " ".join(a.result["text"] for a in answers)
    assert "twelve metres" in texts and "apricot blossom" in texts
    assert len(botapi.sent("downloadFile")) == 2


async def test_unsupported_and_oversized_uploads_are_refused_before_downloading(
    botapi: BotAPIEmulator, briefbot: Briefbot
) -> None:
    docx = botapi.add_file("f-docx", b"PK\x03\x04", file_name="minutes.docx")
    big = botapi.add_file("f-big", b"x" * 2000, file_name="big.txt", mime_type="text/plain")
    async with briefbot.polling(max_download_bytes=1000):
        botapi.queue_message(USER, user_id=USER, document=docx)
        await botapi.wait_sent_async("editMessageText", chat_id=USER, timeout=30)
        botapi.queue_message(USER, user_id=USER, document=big)
        await botapi.wait_sent_async("editMessageText", chat_id=USER, count=2, timeout=30)
    first, second = (edited(botapi, USER, s) for s in botapi.sent("sendMessage", chat_id=USER))
    assert first == (
        "❌ Could not ingest minutes.docx: unsupported file type .docx; "
        "send .txt, .md, .html or .pdf"
    )
    assert second.startswith("Could not ingest big.txt: it is 2 kB and the limit is 1 kB")
    assert not botapi.calls("getFile") and not botapi.calls("downloadFile")


async def test_ingest_as_a_reply_takes_the_replied_to_text(
    botapi: BotAPIEmulator, briefbot: Briefbot
) -> None:
    async with briefbot.polling():
        article = botapi.queue_message(GROUP, NOTE, user_id=USER, chat_type="supergroup")
        [status] = await briefbot.say(GROUP, "/ingest", user_id=USER, reply_to=article["message"])
        await botapi.wait_sent_async("editMessageText", chat_id=GROUP, timeout=30)
    assert edited(botapi, GROUP, status).startswith("✅ Added Orchard frost report")


async def test_group_uploads_need_a_caption_addressed_to_the_bot(
    botapi: BotAPIEmulator, briefbot: Briefbot
) -> None:
    quiet = botapi.add_file("f-1", NOTE.encode(), file_name="frost.txt", mime_type="text/plain")
    async with briefbot.polling():
        botapi.queue_message(GROUP, user_id=USER, document=quiet, chat_type="supergroup")
        [status] = await briefbot.say(GROUP, "/ingest", user_id=USER, document=quiet)
        await botapi.wait_sent_async("editMessageText", chat_id=GROUP, timeout=30)
    assert len(botapi.sent("sendMessage", chat_id=GROUP)) == 1  # the uncaptioned file: ignored
    assert edited(botapi, GROUP, status).startswith("✅ Added Orchard frost report")


async def test_non_admins_cannot_ingest(
    botapi: BotAPIEmulator, briefbot: Briefbot, page_server: PageServer
) -> None:
    url = page_server.add("/treaty", ARTICLE)
    upload = botapi.add_file("f-1", NOTE.encode(), file_name="frost.txt", mime_type="text/plain")
    async with briefbot.polling(admin_user_ids=f"{ADMIN}, 4343"):
        botapi.queue_message(USER, f"/ingest {url}", user_id=USER)
        refusals = await briefbot.say(USER, document=upload, count=2)
        botapi.queue_message(ADMIN, f"/ingest {url}", user_id=ADMIN)
        await botapi.wait_sent_async("editMessageText", chat_id=ADMIN, timeout=30)
    assert [r.result["text"] for r in refusals] == [messages.NOT_ADMIN] * 2
    assert page_server.hits["/treaty"] == 1  # fetched once: for the admin
    assert not botapi.calls("getFile")


async def test_a_crash_while_ingesting_still_ends_the_reading_message(
    botapi: BotAPIEmulator, briefbot: Briefbot, services: Services, monkeypatch: MonkeyPatch
) -> None:
    def crash(briefing: object) -> object:
        raise RuntimeError("disk full")

    monkeypatch.setattr(services.ingester, "ingest", crash)
    upload = botapi.add_file("f-1", NOTE.encode(), file_name="frost.txt", mime_type="text/plain")
    async with briefbot.polling():
        [status] = await briefbot.say(USER, document=upload)
        await botapi.wait_sent_async("editMessageText", chat_id=USER, timeout=30)
    # The "Reading…" message says it (once: no second apology), and the log has the failure.
    assert edited(botapi, USER, status) == messages.INGEST_CRASHED
    assert [c.result["text"] for c in botapi.sent("sendMessage", chat_id=USER)] == [
        messages.reading("frost.txt")
    ]


async def test_downloads_that_hang_leave_the_bot_answering_questions(
    botapi: BotAPIEmulator, briefbot: Briefbot, page_server: PageServer
) -> None:
    """More hanging /ingests than update slots and threads: a question is still answered."""
    release = threading.Event()

    def hang(request: BaseHTTPRequestHandler) -> None:
        release.wait(60)  # the server hangs until the test has its answer

    url = page_server.add_handler("/hangs", hang)
    hanging = 5
    try:
        async with briefbot.polling(
            telegram_concurrency=2, ingest_concurrency=1, rate_limit_ingests=0
        ):
            for n in range(hanging):
                await briefbot.say(ADMIN, f"/ingest {url}?n={n}")
            [answer] = await briefbot.say(USER, "What did Russia propose?")
            assert quotes(answer.result["text"])
            assert not botapi.sent("editMessageText", chat_id=ADMIN)  # still downloading
            release.set()
            await botapi.wait_sent_async(
                "editMessageText", chat_id=ADMIN, count=hanging, timeout=60
            )
    finally:
        release.set()
    reports = [c.result["text"] for c in botapi.sent("editMessageText", chat_id=ADMIN)]
    assert len(reports) == hanging and all(r.startswith("❌") for r in reports)


async def test_a_user_past_the_ingest_limit_is_told_to_wait(
    botapi: BotAPIEmulator, briefbot: Briefbot
) -> None:
    upload = botapi.add_file("f-2", NOTE.encode(), file_name="frost.txt", mime_type="text/plain")
    async with briefbot.polling(rate_limit_ingests=1):
        await briefbot.say(USER, document=upload)
        await botapi.wait_sent_async("editMessageText", chat_id=USER, timeout=30)
        [_, refused] = await briefbot.say(USER, document=upload, count=2)
    assert refused.result["text"] == messages.too_many_ingests(1)
