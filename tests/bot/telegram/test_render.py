"""bot.render: escaping, links, numbering, dates and the 4,096-character split, without PTB."""

from __future__ import annotations

import random
import re
from datetime import date
from html import unescape
from html.parser import HTMLParser

import pytest

from bot.telegram.render import (
    TELEGRAM_LIMIT,
    format_date,
    render_answer_html,
    render_answer_messages,
    render_answer_text,
    safe_url,
    split_html_messages,
)
from retrieval.types import Answer, Citation

TELEGRAM_TAGS = {"b", "i", "a", "code", "blockquote", "pre", "u", "s"}
NAMED_ENTITIES = {"lt", "gt", "amp", "quot"}


class TelegramHTMLCheck(HTMLParser):
    """Collects every way a string is not balanced, Telegram-safe HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.hrefs: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in TELEGRAM_TAGS:
            self.problems.append(f"unsupported tag <{tag}>")
        if tag == "a":
            self.hrefs.append(dict(attrs).get("href") or "")
        self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.problems.append(f"self-closing <{tag}/>")

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if "&" in data or "<" in data:
            self.problems.append(f"bare & or < in {data[:40]!r}")
        self.text.append(data)

    def handle_entityref(self, name: str) -> None:
        if name not in NAMED_ENTITIES:
            self.problems.append(f"entity &{name};")

    def handle_charref(self, name: str) -> None:
        pass

    def handle_comment(self, data: str) -> None:
        self.problems.append("comment")

    def handle_decl(self, decl: str) -> None:
        self.problems.append("declaration")


def check_html(text: str) -> TelegramHTMLCheck:
    """Parse `text` and fail the test unless every tag closes and every & starts an entity."""
    checker = TelegramHTMLCheck()
    checker.feed(text)
    checker.close()
    assert not checker.problems, (checker.problems, text[:300])
    assert not checker.stack, f"unclosed {checker.stack}"
    # entities must be complete: '&' only ever as the start of &name; or &#...;
    assert not re.search(r"&(?!(?:[a-z]+|#\d+|#x[0-9a-f]+);)", text, re.IGNORECASE)
    return checker


def cite(
    sentence: str = "Russia proposed new talks.",
    *,
    title: str = "Morning briefing",
    url: str | None = "https://news.example/briefing-1",
    published: date | None = date(2025, 6, 2),
    doc_id: str | None = None,
    speaker: str = "",
) -> Citation:
    return Citation(
        sentence=sentence,
        doc_id=doc_id or f"doc-{sentence}",  # each quote its own briefing unless given
        speaker=speaker,
        title=title,
        start=0,
        end=len(sentence),
        published=published,
        url=url,
        score=0.9,
    )


def answer(*citations: Citation) -> Answer:
    return Answer(
        question="what did Russia propose?",
        text=" ".join(c.sentence for c in citations),
        citations=citations,
    )


def numbers(parts: list[str]) -> list[int]:
    return [int(n) for part in parts for n in re.findall(r"^\[(\d+)\] ", part, re.MULTILINE)]


# ---- layout ------------------------------------------------------------------------------------


def test_one_citation_layout() -> None:
    html = render_answer_html(answer(cite()))
    assert html == (
        "[1] <i>Russia proposed new talks.</i>\n"
        '— <a href="https://news.example/briefing-1">Morning briefing</a> · news.example, '
        "2 Jun 2025"
    )
    check_html(html)


def test_another_outlets_copy_of_the_statement_is_named_not_quoted() -> None:
    from dataclasses import replace

    copy = cite(url="https://www.usatoday.com/story/1", doc_id="usa")
    wire = cite(title="Wire <copy>", url=None, doc_id="wire")
    html = render_answer_html(answer(replace(cite(), also=(copy, wire))))
    assert html.startswith(
        "[1] <i>Russia proposed new talks.</i> (also: usatoday.com, Wire &lt;copy&gt;)\n"
    )
    check_html(html)
    assert "(also: usatoday.com, Wire <copy>)" in render_answer_text(
        answer(replace(cite(), also=(copy, wire)))
    )


def test_the_sentence_a_quote_leans_on_comes_before_it_set_apart() -> None:
    from dataclasses import replace

    leaning = replace(
        cite("Russian forces seized control of the plant."),
        context="Troops reached the Chernobyl <zone> on Thursday.",
    )
    html = render_answer_html(answer(leaning))
    assert html.startswith(
        "<blockquote>Troops reached the Chernobyl &lt;zone&gt; on Thursday.</blockquote>\n"
        "[1] <i>Russian forces seized control of the plant.</i>\n"
    )
    check_html(html)
    assert numbers([html]) == [1]
    text = render_answer_text(answer(leaning))
    assert text.startswith("(Troops reached the Chernobyl <zone> on Thursday.)\n[1] Russian")


def test_items_are_numbered_from_first() -> None:
    html = render_answer_html(answer(cite("One."), cite("Two.")), first=4)
    assert numbers([html]) == [4, 5]
    assert "\n\n[5] <i>Two.</i>" in html


def test_quotes_of_one_briefing_share_its_source_line() -> None:
    html = render_answer_html(
        answer(
            cite("One.", doc_id="a", speaker="Medinsky"),
            cite("Two.", doc_id="a"),
            cite("Three.", doc_id="b", title="Evening briefing"),
        )
    )
    link = '<a href="https://news.example/briefing-1">'
    assert html == (
        "[1] <i>One.</i> (Medinsky)\n[2] <i>Two.</i>\n"
        f"— {link}Morning briefing</a> · news.example, 2 Jun 2025\n\n"
        f"[3] <i>Three.</i>\n— {link}Evening briefing</a> · news.example, 2 Jun 2025"
    )
    text = render_answer_text(answer(cite("One.", doc_id="a"), cite("Two.", doc_id="a")))
    assert text == (
        "[1] One.\n[2] Two.\n"
        "— Morning briefing · news.example, 2 Jun 2025 <https://news.example/briefing-1>"
    )


def test_quotes_of_one_briefing_too_long_together_keep_a_source_line_each() -> None:
    long = "Talks went on. " * 150  # two of these exceed one message
    parts = render_answer_messages(answer(cite(long, doc_id="a"), cite(long + "!", doc_id="a")))
    assert len(parts) == 2
    assert all("\n— " in part and len(part) <= TELEGRAM_LIMIT for part in parts)


def test_title_not_linked_without_url_and_date_omitted_when_unknown() -> None:
    html = render_answer_html(answer(cite(url=None, published=None)))
    assert html.endswith("\n— Morning briefing")
    assert "<a " not in html


def test_missing_title_gets_a_placeholder() -> None:
    html = render_answer_html(answer(cite(title="  ")))
    assert '">Untitled briefing</a>' in html


@pytest.mark.parametrize(
    ("day", "text"),
    [
        (date(2025, 6, 2), "2 Jun 2025"),
        (date(2024, 12, 31), "31 Dec 2024"),
        (date(2026, 1, 9), "9 Jan 2026"),
    ],
)
def test_date_format(day: date, text: str) -> None:
    assert format_date(day) == text
    assert render_answer_html(answer(cite(published=day))).endswith(f", {text}")


def test_abstained_answer_is_its_escaped_text() -> None:
    abstained = Answer(question="q?", text="I found nothing about <that> & more.", abstained=True)
    assert render_answer_html(abstained) == "I found nothing about &lt;that&gt; &amp; more."
    assert render_answer_messages(abstained) == [render_answer_html(abstained)]
    assert render_answer_text(abstained) == "I found nothing about <that> & more."


def test_answer_text_can_lead_the_citations() -> None:
    lead = Answer(question="q", text="Talks <soon> [1].", citations=(cite(),))
    html = render_answer_html(lead, include_text=True)
    assert html.startswith("Talks &lt;soon&gt; [1].\n\n[1] <i>")
    assert render_answer_html(lead).startswith("[1] <i>")


def test_whitespace_inside_a_sentence_becomes_single_spaces() -> None:
    html = render_answer_html(answer(cite("Talks\n  resumed\tin Geneva.")))
    assert html.startswith("[1] <i>Talks resumed in Geneva.</i>\n")


# ---- escaping and links --------------------------------------------------------------------------


def test_everything_from_briefings_is_escaped() -> None:
    nasty = cite(
        '<script>alert("x")</script> & co',
        title='Tom & Jerry\'s "<b>news</b>"',
        url='https://news.example/a?x=1&y="2"&z=<3>',
    )
    html = render_answer_html(answer(nasty))
    checker = check_html(html)
    assert "<script>" not in html and "<b>" not in html
    assert '&lt;script&gt;alert("x")&lt;/script&gt; &amp; co' in html
    assert 'Tom &amp; Jerry\'s "&lt;b&gt;news&lt;/b&gt;"' in html
    assert 'href="https://news.example/a?x=1&amp;y=&quot;2&quot;&amp;z=&lt;3&gt;"' in html
    # the parser gives back exactly the original URL and text
    assert checker.hrefs == ['https://news.example/a?x=1&y="2"&z=<3>']


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        " JavaScript:alert(1)",
        "data:text/html,<b>x</b>",
        "tg://resolve?domain=x",
        "ftp://files.example/a",
        "//news.example/no-scheme",
        "/relative/path",
        "https://",
        "https://news.example/with space",
        "",
    ],
)
def test_only_http_urls_are_linked(url: str) -> None:
    html = render_answer_html(answer(cite(url=url, title="T <1>")))
    assert "<a " not in html
    assert html.endswith("— T &lt;1&gt;, 2 Jun 2025")
    assert safe_url(url) is None
    check_html(html)


def test_http_and_https_are_linked() -> None:
    assert safe_url("http://a.example/x") == "http://a.example/x"
    assert safe_url("  HTTPS://a.example/x ") == "HTTPS://a.example/x"


# ---- plain text ----------------------------------------------------------------------------------


def test_plain_text_has_the_same_numbering_and_no_markup() -> None:
    text = render_answer_text(answer(cite("One & <two>."), cite("Three.", url="javascript:x")))
    assert text == (
        "[1] One & <two>.\n"
        "— Morning briefing · news.example, 2 Jun 2025 <https://news.example/briefing-1>\n\n"
        "[2] Three.\n— Morning briefing, 2 Jun 2025"
    )


# ---- splitting -----------------------------------------------------------------------------------


def many_citations(count: int = 60) -> Answer:
    return answer(
        *[
            cite(
                f'Item {i}: officials said talks & "ceasefire" <terms> would resume '
                + "after further consultations with partners " * 3,
                title=f"Briefing {i} & <friends>",
                url=f"https://news.example/{i}?a=1&b=2",
            )
            for i in range(1, count + 1)
        ]
    )


def test_a_long_answer_splits_into_valid_parts_with_continuous_numbering() -> None:
    long_answer = many_citations()
    assert len(render_answer_html(long_answer)) > 10_000
    parts = render_answer_messages(long_answer)
    assert len(parts) >= 3
    for part in parts:
        assert len(part) <= TELEGRAM_LIMIT
        check_html(part)
        assert part.startswith("[")  # parts start at an item, never mid-item
    assert numbers(parts) == list(range(1, 61))


def test_one_enormous_sentence_is_trimmed_cleanly() -> None:
    sentence = "Talks & <terms> " * 1000  # 16,000 characters, 20,000 once escaped
    parts = render_answer_messages(answer(cite(sentence), cite("Short one.")))
    assert [len(part) <= TELEGRAM_LIMIT for part in parts] == [True, True]
    first = check_html(parts[0])
    assert parts[0].startswith("[1] <i>Talks &amp; &lt;terms&gt; Talks")
    assert '…</i>\n— <a href="https://news.example/briefing-1">Morning briefing</a>' in parts[0]
    assert "".join(first.text).count("…") == 1
    assert parts[1] == render_answer_html(answer(cite("Short one.")), first=2)


def test_an_enormous_title_and_url_still_fit() -> None:
    huge = cite("A" * 5000, title="T&" * 3000, url="https://news.example/" + "x" * 5000)
    parts = render_answer_messages(answer(huge))
    assert len(parts) == 1 and len(parts[0]) <= TELEGRAM_LIMIT
    check_html(parts[0])
    assert parts[0].startswith("[1] <i>AAAA")


def test_an_enormous_abstention_is_trimmed() -> None:
    parts = render_answer_messages(Answer("q", "nothing & " * 2000, abstained=True))
    assert len(parts) == 1 and len(parts[0]) <= TELEGRAM_LIMIT
    check_html(parts[0])
    assert parts[0].endswith("…")


def test_short_answers_are_one_message() -> None:
    short = answer(cite("One."), cite("Two."))
    assert render_answer_messages(short) == [render_answer_html(short)]


def test_limit_below_minimum_is_refused() -> None:
    with pytest.raises(ValueError, match="at least"):
        render_answer_messages(answer(cite()), limit=10)


def test_split_html_between_items_of_a_rendered_answer() -> None:
    html = render_answer_html(many_citations())
    parts = split_html_messages(html)
    assert len(parts) >= 3
    for part in parts:
        assert len(part) <= TELEGRAM_LIMIT
        check_html(part)
        assert part.startswith("[")
    assert numbers(parts) == list(range(1, 61))
    assert "\n\n".join(parts) == html


def test_split_html_trims_a_single_enormous_line_keeping_its_tags() -> None:
    html = render_answer_html(answer(cite("Talks & <terms> " * 1000), cite("Short one.")))
    parts = split_html_messages(html)
    for part in parts:
        assert len(part) <= TELEGRAM_LIMIT
        check_html(part)
    assert parts[0].startswith("[1] <i>Talks &amp; ")
    assert parts[0].endswith("…</i>")
    assert numbers(parts) == [1, 2]


def test_split_html_carries_open_tags_across_parts() -> None:
    html = (
        "<blockquote>"
        + "".join(f"line {i} &amp; <b>bold</b>\n" for i in range(300))
        + "</blockquote>"
    )
    parts = split_html_messages(html, limit=1000)
    assert len(parts) > 5
    for part in parts:
        assert len(part) <= 1000
        check_html(part)
        assert part.startswith("<blockquote>") and part.endswith("</blockquote>")
    joined = "".join(parts).replace("</blockquote><blockquote>", "\n")
    assert joined == html


def test_split_html_never_cuts_inside_an_entity() -> None:
    html = "<b>" + "a&amp;b&#x27;c&lt; " * 2000 + "</b>"
    for limit in (100, 101, 102, 103, 555, 4096):
        for part in split_html_messages(html, limit=limit):
            assert len(part) <= limit
            check_html(part)


def test_split_html_makes_broken_input_valid() -> None:
    parts = split_html_messages("a < b & c <b>bold <i>both</b> tail</i>\n" * 3)
    assert len(parts) == 1
    check_html(parts[0])
    assert parts[0].startswith("a &lt; b &amp; c <b>bold <i>both</i></b> tail")


def test_split_html_prefers_paragraph_breaks() -> None:
    paragraphs = ["\n".join(f"p{p} line {i}" for i in range(5)) for p in range(40)]
    html = "\n\n".join(paragraphs)
    parts = split_html_messages(html, limit=300)
    assert all(len(part) <= 300 for part in parts)
    assert all(part.startswith("p") and part.endswith("line 4") for part in parts)
    assert "\n\n".join(parts) == html


def random_telegram_html(rng: random.Random) -> str:
    """Nested tags, entities, long and short lines, blank lines and stray characters."""
    words = ["talks", "Genève", "🕊️", "&amp;", "&lt;x&gt;", "&#39;", "&quot;", "a" * 300, "<", "&"]
    out: list[str] = []
    stack: list[str] = []
    for _ in range(rng.randint(1, 400)):
        roll = rng.random()
        if roll < 0.12:
            tag = rng.choice(["b", "i", "code", "blockquote", "a"])
            out.append('<a href="https://x.example/?a=1&amp;b=2">' if tag == "a" else f"<{tag}>")
            stack.append(tag)
        elif roll < 0.22 and stack:
            out.append(f"</{stack.pop()}>")
        elif roll < 0.32:
            out.append(rng.choice(["\n", "\n\n"]))
        else:
            out.append(rng.choice(words) + " ")
    out.extend(f"</{tag}>" for tag in reversed(stack))
    return "".join(out)


def visible_text(html: str) -> str:
    """What a reader sees, whitespace aside."""
    return "".join(unescape(re.sub(r"</?[a-z]+[^<>]*>", "", html)).split())


def test_split_html_fuzz() -> None:
    rng = random.Random(20250602)
    for _ in range(300):
        html = random_telegram_html(rng)
        limit = rng.choice([100, 150, 400, 1000, 4096])
        parts = split_html_messages(html, limit=limit)
        for part in parts:
            assert len(part) <= limit, (limit, part)
            check_html(part)
        if max(len(line) for line in html.split("\n")) < limit // 3:
            # nothing had to be trimmed, so nothing may be lost
            assert "".join(visible_text(part) for part in parts) == visible_text(html)


def test_render_answer_messages_fuzz() -> None:
    rng = random.Random(7)
    alphabet = ["a", " ", "&", "<", ">", '"', "'", "é", "🕊️", "\n", "word "]
    for _ in range(100):
        citations = [
            cite(
                "".join(rng.choices(alphabet, k=rng.choice([1, 50, 900, 6000]))) or "x",
                title="".join(rng.choices(alphabet, k=rng.choice([0, 10, 3000]))),
                url=rng.choice(
                    [None, "javascript:x", "https://n.example/?q=<&>", "https://" + "u" * 5000]
                ),
                published=rng.choice([None, date(2025, 1, 31)]),
            )
            for _ in range(rng.randint(1, 12))
        ]
        limit = rng.choice([100, 333, 4096])
        parts = render_answer_messages(answer(*citations), limit=limit)
        for part in parts:
            assert len(part) <= limit
            check_html(part)
        assert numbers(parts) == list(range(1, len(citations) + 1))
