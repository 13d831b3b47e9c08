"""Every string the Telegram bot shows, as Telegram HTML; pure functions, no PTB import.

Constants are complete messages (placeholders are filled with escaped values by the functions
below). Anything that comes from a briefing, a user or an exception is escaped here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from html import escape
from urllib.parse import urlsplit

from bot.alerts.digest import DigestLine
from bot.telegram.render import (
    BLOCK_SEPARATOR,
    ELLIPSIS,
    format_date,
    render_answer_html,
    safe_url,
    split_html_messages,
)
from bot.wording import counted
from ingest.pipeline import IngestResult
from retrieval.types import Answer, BriefingRecord

# ---- commands (the menu set with set_my_commands) -------------------------------------------

COMMANDS: dict[str, str] = {
    "ask": "Ask a question about the briefings",
    "latest": "The newest briefings",
    "list": "Every stored briefing, with its id",
    "sources": "Same as /list",
    "help": "What I can do, with examples",
    "ingest": "Add briefings: /ingest URL, or reply /ingest to an article",
    "forget": "Remove a briefing: /forget ID",
    "follow": "Alert this chat to new briefings on a topic",
    "following": "The topics this chat follows",
    "who": "What a person said: /who NAME",
    "timeline": "How a topic moved: /timeline TOPIC",
    "unfollow": "Stop following a topic: /unfollow N",
    "digest": "A daily digest of the topics: /digest 08:00, /digest off",
    "feed": "Feeds: /feed add URL, /feed list, /feed remove N",
}
# Everyone sees what they may use: in a private chat one's own alerts and digest too; admins
# also see the commands that change the store (and, in groups, the chat's alerts).
PRIVATE_COMMANDS = (
    "latest",
    "list",
    "who",
    "timeline",
    "following",
    "follow",
    "unfollow",
    "digest",
    "help",
)
GROUP_COMMANDS = ("ask", "latest", "list", "who", "timeline", "following", "help")
ADMIN_COMMANDS = ("ingest", "forget", "follow", "unfollow", "digest", "feed")

# ---- asking ---------------------------------------------------------------------------------

USAGE_ASK = "Usage: /ask QUESTION, e.g. /ask What did Russia propose?"
USAGE_WHO = "Usage: /who NAME, e.g. /who Medinsky"
USAGE_TIMELINE = "Usage: /timeline TOPIC, e.g. /timeline ceasefire"


USAGE_DIGEST = (
    "Usage: /digest HH:MM for a daily digest of this chat's topics at that hour, "
    "/digest off to stop it, /digest preview to see what the next one would say, /digest alone "
    "to see its hour."
)
NO_TOPICS_FOR_DIGEST = "Follow a topic first (/follow TOPIC): a digest lists what is new on each."


def digest_set(at: str, timezone: str) -> str:
    """/digest HH:MM done."""
    return (
        f"Every day at {at} ({_e(timezone)}) this chat gets what is new on its topics; "
        "nothing is sent on days with nothing new."
    )


def digest_state(at: str | None, timezone: str) -> str:
    """/digest alone: whether the chat gets one."""
    if at is None:
        return "This chat gets no daily digest. " + USAGE_DIGEST.removeprefix("Usage: ")
    return f"This chat gets a daily digest at {at} ({_e(timezone)}). /digest off stops it."


DIGEST_STOPPED = "No more daily digests for this chat."
DIGEST_PREVIEW_EMPTY = (
    "Nothing is new on this chat's topics since its last digest, so the next one would not "
    "be sent yet."
)


def digest_parts(lines: Sequence[DigestLine], day: date, *, preview: bool = False) -> list[str]:
    """A digest as HTML messages: per topic its new stories, one cited sentence each; a preview
    says it is one (nothing is marked as sent)."""
    heading = "Preview of the next daily digest" if preview else "Daily digest"
    blocks = [f"<b>{heading}, {format_date(day)}</b>"]
    number = 1
    topics = list(dict.fromkeys(line.topic for line in lines))
    for topic in topics:
        cited = tuple(line.citation for line in lines if line.topic == topic)
        listing = Answer(question=topic, text="", citations=cited)
        blocks.append(f"<b>{_e(topic)}</b>\n{render_answer_html(listing, first=number)}")
        number += len(cited)
    return split_html_messages(BLOCK_SEPARATOR.join(blocks))


def timeline_heading(topic: str) -> str:
    """The heading above a timeline."""
    return f"<b>Timeline: {_e(topic)}, oldest first</b>"


def no_timeline(topic: str) -> str:
    """/timeline for a topic the briefings do not cover."""
    return f"The briefings hold no dated statements on {_e(topic)}."


def also_reported(titles: Sequence[str]) -> str:
    """The line under a timeline entry naming the other outlets that reported it."""
    return "<i>Also: " + "; ".join(_e(t) for t in titles) + "</i>"


def said_by(name: str) -> str:
    """The heading above what a person said."""
    return f"<b>What {_e(name)} said, newest first</b>"


def said_nothing(name: str) -> str:
    """/who for a name no briefing quotes."""
    return f"The briefings quote no one called {_e(name)}."


MORE_BUTTON = "More sources"
NO_MORE_SOURCES = "No further sources for this question."
QUESTION_EXPIRED = "I no longer have that question; please ask it again."
UNKNOWN_COMMAND = "I don't know that command. /help lists what I can do."

# ---- ingesting ------------------------------------------------------------------------------

USAGE_INGEST = (
    "Usage: /ingest URL [URL …], or reply /ingest to a message that holds the article text "
    "or a file."
)
READING = "Reading…"
MAX_LINKS = 10
TOO_MANY_LINKS = f"Send at most {MAX_LINKS} links at a time."
INGEST_CRASHED = "Sorry, something went wrong while reading that. It has been logged."
NOT_ADMIN = "Sorry, only this bot's admins can add or remove briefings. Ask one of them to do it."

# ---- browsing -------------------------------------------------------------------------------

NO_BRIEFINGS = "No briefings yet. An admin can add some with /ingest URL or by sending a file."
USAGE_FORGET = "Usage: /forget ID (a unique start of it is enough); /list shows the ids."
LATEST_COUNT = 5
LIST_LIMIT = 100

# ---- failures -------------------------------------------------------------------------------

SOMETHING_WENT_WRONG = (
    "Sorry, something went wrong while handling that. It has been logged; please try again later."
)
CHAT_NOT_ALLOWED_ALERT = "Sorry, I only work in the chats my owner has allowed."
TOKEN_REJECTED = (
    "Telegram rejected TELEGRAM_BOT_TOKEN. Copy the token again from @BotFather (/mybots → API "
    "Token) into .env."
)
BAD_WEBHOOK_SECRET = (
    "TELEGRAM_WEBHOOK_SECRET may only hold 1-256 of A-Z a-z 0-9 _ - (Telegram's rule); "
    "change it or leave it empty for a random one."
)

_TITLE_CHARS = 200
_ROOT_CHARS = 200
_DETAIL_CHARS = 500


def _e(text: str) -> str:
    return escape(text, quote=False)


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS


def help_text(username: str, *, group: bool, may_ingest: bool, may_follow: bool = True) -> str:
    """/start and /help: what the bot does, with examples; each person sees the commands they
    may use (`may_follow`: change what this chat follows; `may_ingest`: add briefings)."""
    me = f"@{_e(username)}"
    if group:
        how = (
            f"In this group, ask with <code>/ask What did Russia propose?</code>, mention me "
            f"(<code>{me} where were the talks held?</code>), or reply to one of my messages."
        )
    else:
        how = (
            "Just write a question, for example:\n"
            "• <code>What did Russia propose?</code>\n"
            "• <code>and what did Ukraine want?</code> (a follow-up uses your previous question)"
        )
    lines = [
        "I answer questions about the team's news briefings with the briefings' own sentences, "
        "each one cited with its briefing's title, date and link.",
        "",
        "<b>Ask</b>",
        how,
        "",
        "<b>Browse</b>",
        "/latest — the newest briefings",
        "/list — every briefing, with its id",
        "/who NAME — what a person said, newest first",
        "/timeline TOPIC — how a topic moved, oldest first",
        "",
        "<b>Alerts</b>",
    ]
    if may_follow:
        lines += [
            "/follow peace talks between Russia and Ukraine — post each new briefing on a topic "
            "here (+word makes a word required: <code>/follow talks +Istanbul</code>)",
            "/following — this chat's topics; /unfollow N stops one",
            "/digest 08:00 — every day at that hour, what is new on this chat's topics; "
            "/digest off; /digest preview",
        ]
    else:
        lines += [
            "/following — the topics this group follows; /digest preview — its next digest",
            "The group's admins choose its topics (/follow) and its daily digest (/digest).",
        ]
    if may_follow and may_ingest:
        lines.append("/feed add URL — read an RSS or Atom feed; /feed list, /feed remove N")
    else:
        lines.append("/feed list — the feeds this chat reads")
    if may_ingest:
        lines += [
            "",
            "<b>Add and remove briefings</b>",
            "/ingest https://example.org/article.html — one or more links",
            "/ingest as a reply to a message — that message's text, or its file",
            "Send a .txt, .md, .html or .pdf file"
            + (f" with the caption /ingest or {me}" if group else ""),
            "/forget ID — remove a briefing",
        ]
    return "\n".join(lines)


def chat_not_allowed(chat_id: int) -> str:
    """The refusal in a chat that is not in ALLOWED_CHAT_IDS."""
    return (
        "Sorry, I only work in the chats my owner has allowed. This chat's id is "
        f"<code>{chat_id}</code>; the owner can add it to ALLOWED_CHAT_IDS."
    )


def answer_note(note: str) -> str:
    """The line above an answer that says why it is the quotes alone (the model failed)."""
    return f"<i>{_e(note)}</i>"


def follow_up_note(root: str) -> str:
    """The line above an answer that used the previous question as context."""
    return f"<i>Following up on “{_e(_short(root, _ROOT_CHARS))}”</i>"


def not_a_link(arguments: Sequence[str]) -> str:
    """/ingest was given something other than http(s) links."""
    shown = ", ".join(_e(_short(a, 100)) for a in arguments)
    return (
        f"Only http(s) links can be ingested from a chat, not {shown}. "
        "To add a file, send it as a document."
    )


def too_many_questions(per_minute: int) -> str:
    """The reply to a user past RATE_LIMIT_QUESTIONS."""
    return (
        f"You are asking faster than I can answer (at most {counted(per_minute, 'question')} "
        "a minute). "
        "Please wait a moment."
    )


def too_many_ingests(per_minute: int) -> str:
    """The reply to a user past RATE_LIMIT_INGESTS."""
    return (
        f"That is more than I read at once (at most {per_minute} ingests a minute). "
        "Please wait a moment and send it again."
    )


def reading(name: str | None = None) -> str:
    """The message shown at once while a source is read."""
    return f"Reading {_e(_short(name, 100))}…" if name else READING


def size_text(size: int) -> str:
    """A byte count for people: '2.5 MB', '12 kB', '800 bytes'."""
    if size >= 1_000_000:
        return f"{size / 1e6:.1f} MB"
    return f"{size / 1e3:.0f} kB" if size >= 1000 else f"{size} bytes"


def file_too_big(name: str, size: int, limit: int) -> str:
    """An upload over MAX_DOWNLOAD_BYTES."""
    return (
        f"Could not ingest {_e(name)}: it is {size_text(size)} and the limit is "
        f"{size_text(limit)} (MAX_DOWNLOAD_BYTES). Send a smaller file or a link."
    )


def download_failed(name: str, detail: str) -> str:
    """Telegram would not hand over an uploaded file."""
    return f"Could not ingest {_e(name)}: Telegram did not deliver the file ({_e(detail)})."


def _titled(title: str, url: str | None) -> str:
    shown = _e(_short(title, _TITLE_CHARS)) or "Untitled briefing"
    link = safe_url(url)
    return f'<a href="{escape(link, quote=True)}">{shown}</a>' if link else shown


def ingest_line(result: IngestResult) -> str:
    """One line of an ingest report: what happened to one source."""
    if result.status == "failed" or result.briefing is None:
        return f"❌ {_e(_short(result.error or f'Could not ingest {result.source}.', 1000))}"
    b = result.briefing
    when = f", {format_date(b.published)}" if b.published else ""
    what = f"{_titled(b.title, b.url)}{when}"
    if result.status == "unchanged":
        return f"Already known, unchanged: {what} (id <code>{_e(b.id)}</code>)"
    verb = "Added" if result.status == "added" else "Updated"
    sentences = counted(result.sentence_count, "sentence")
    return f"✅ {verb} {what}: {sentences} (id <code>{_e(b.id)}</code>)"


def ingest_report(results: Sequence[IngestResult]) -> str:
    """The edit of the 'Reading…' message once ingest is done."""
    if not results:
        return "Nothing to ingest there."
    return "\n".join(ingest_line(r) for r in results)


def briefing_line(record: BriefingRecord, *, with_id: bool) -> str:
    """One briefing in /latest or /list."""
    when = f" — {format_date(record.published)}" if record.published else ""
    ident = f"<code>{_e(record.id)}</code> " if with_id else "• "
    return f"{ident}{_titled(record.title, record.url)}{when}"


def latest(records: Sequence[BriefingRecord]) -> str:
    """/latest: the newest briefings with dates and links."""
    if not records:
        return NO_BRIEFINGS
    shown = records[:LATEST_COUNT]
    if len(shown) == len(records):
        heading = "The one briefing" if len(records) == 1 else f"All {len(records)} briefings"
    else:
        heading = f"The {len(shown)} newest of {counted(len(records), 'briefing')}"
    lines = [f"<b>{heading}</b>"]
    lines += [briefing_line(r, with_id=False) for r in shown]
    return "\n".join(lines)


def listing(records: Sequence[BriefingRecord]) -> str:
    """/list: every briefing with its id (the first LIST_LIMIT), newest first."""
    if not records:
        return NO_BRIEFINGS
    lines = [f"<b>{counted(len(records), 'briefing')}, newest first</b>"]
    lines += [briefing_line(r, with_id=True) for r in records[:LIST_LIMIT]]
    if len(records) > LIST_LIMIT:
        more = len(records) - LIST_LIMIT
        lines.append(f"…and {more} more (<code>briefbot list</code> shows all).")
    return "\n".join(lines)


def no_such_briefing(prefix: str) -> str:
    """/forget with an id nothing starts with."""
    return f"No briefing has the id <code>{_e(prefix)}</code>; /list shows the ids."


def ambiguous_id(prefix: str, count: int) -> str:
    """/forget with a prefix shared by several briefings."""
    several = counted(count, "briefing")
    return f"{several} start with <code>{_e(prefix)}</code>; give more of the id."


def forgotten(record: BriefingRecord) -> str:
    """/forget succeeded."""
    return f"Forgot {_titled(record.title, record.url)} (id <code>{_e(record.id)}</code>)."


def error_report(kind: str, detail: str, where: str) -> str:
    """The short report sent to the first admin when handling an update failed."""
    return (
        f"⚠️ briefbot error while handling {_e(where)}:\n"
        f"<code>{_e(kind)}: {_e(_short(detail, _DETAIL_CHARS))}</code>\n"
        "The traceback is in the bot's log."
    )


# ---- alerts and feeds -----------------------------------------------------------------------

USAGE_FOLLOW = (
    "Usage: /follow TOPIC, e.g. /follow peace talks between Russia and Ukraine — add +word for "
    "a word every alerted briefing must contain: /follow talks +Istanbul"
)
USAGE_UNFOLLOW = "Usage: /unfollow N (the number /following shows)."
NOT_FOLLOWING = "This chat follows no topics. /follow TOPIC alerts it to new briefings on one."
USAGE_FEED = "Usage: /feed add URL, /feed list, or /feed remove N (the number /feed list shows)."
NO_FEEDS = "No feeds yet. /feed add URL adds an RSS or Atom feed."
NOT_CHAT_ADMIN = "Sorry, only this chat's admins can change the topics and feeds it follows."
ALERT_HINT = "<i>Ask me about it: reply to this message with a question.</i>"
_ALERT_SENTENCE_CHARS = 600


def _source_name(record: BriefingRecord) -> str:
    if record.url:
        host = urlsplit(record.url).hostname or record.url
        return host.removeprefix("www.")
    return record.source.rsplit("/", 1)[-1] or record.source


def alert(
    topic: str, record: BriefingRecord, sentences: Sequence[str], speakers: Sequence[str] = ()
) -> str:
    """A new briefing on a followed topic: its title (linked), date, source, the sentences most
    relevant to the topic (cited [n] to the briefing, in italics with their speakers, as an
    answer shows them) and a hint to ask about it."""
    when = f" — {format_date(record.published)}" if record.published else ""
    lines = [
        f"🔔 New on <b>{_e(_short(topic, _ROOT_CHARS))}</b>",
        f"{_titled(record.title, record.url)}{when} — {_e(_short(_source_name(record), 100))}",
        "",
    ]
    said = list(speakers) + [""] * (len(sentences) - len(speakers))
    for number, (sentence, speaker) in enumerate(zip(sentences, said, strict=False), start=1):
        who = f" ({_e(_short(speaker, 100))})" if speaker else ""
        lines.append(f"[{number}] <i>{_e(_short(sentence, _ALERT_SENTENCE_CHARS))}</i>{who}")
    title = _e(_short(record.title, _TITLE_CHARS)) or "Untitled briefing"
    cited = f", {format_date(record.published)}" if record.published else ""
    lines += [f"— {title}{cited}", "", ALERT_HINT]
    return "\n".join(lines)


def plain(text: str) -> str:
    """A plain one-line message (e.g. an error's text), escaped."""
    return _e(text)


def followed(topic: str, created: bool) -> str:
    """/follow succeeded."""
    if not created:
        return f"This chat already follows <b>{_e(topic)}</b>."
    return (
        f"Following <b>{_e(topic)}</b>: I will post each new briefing about it here, once per "
        "story. /following lists the topics, /unfollow N stops one."
    )


def following_list(topics: Sequence[str]) -> str:
    """/following: the chat's topics, numbered."""
    if not topics:
        return NOT_FOLLOWING
    lines = ["<b>This chat follows</b>"]
    lines += [f"{n}. {_e(t)}" for n, t in enumerate(topics, start=1)]
    lines.append("/unfollow N stops one.")
    return "\n".join(lines)


def unfollowed(topic: str | None, count: int) -> str:
    """/unfollow N: done, or N is not one of the numbers."""
    if topic is None:
        return (
            f"There is no topic with that number; this chat follows {counted(count, 'topic')}. "
            "/following lists them."
            if count
            else NOT_FOLLOWING
        )
    return f"Stopped following <b>{_e(topic)}</b>."


def feed_added(url: str, created: bool) -> str:
    """/feed add succeeded."""
    if not created:
        return f"I already read <code>{_e(url)}</code>."
    return (
        f"Added the feed <code>{_e(url)}</code>. I will read it shortly and then on a schedule; "
        "its new items are ingested and alert the chats that follow their topics."
    )


def feed_list(feeds: Sequence[tuple[str, str, str]]) -> str:
    """/feed list: (url, title, problem) per feed, numbered."""
    if not feeds:
        return NO_FEEDS
    lines = ["<b>Feeds</b>"]
    for n, (url, title, problem) in enumerate(feeds, start=1):
        name = f"{_e(_short(title, 100))} — " if title else ""
        trouble = f"\n   ⚠️ {_e(_short(problem, 300))}" if problem else ""
        lines.append(f"{n}. {name}<code>{_e(url)}</code>{trouble}")
    lines.append("/feed remove N removes one.")
    return "\n".join(lines)


def feed_removed(url: str | None) -> str:
    """/feed remove N: done, or no such number."""
    if url is None:
        return "There is no feed with that number; /feed list shows them."
    return f"Removed the feed <code>{_e(url)}</code>."


def feed_broken(url: str, error: str) -> str:
    """A feed stopped working (said once, to the chat that added it)."""
    return (
        f"⚠️ The feed <code>{_e(url)}</code> could not be read: {_e(_short(error, 500))}\n"
        "I will keep retrying, less and less often; /feed remove N stops it."
    )
