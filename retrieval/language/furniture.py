"""Page furniture: the sentences of a briefing that are not statements of its story.

Headings and section labels, media-player and promo lines, gallery captions and photo
credits, newsletter and live-blog filler, bylines, share prompts and copyright lines reach
the text from every input: trafilatura keeps some on HTML pages, and `.jsonl` records,
pasted text and feeds never pass it. They stay in the stored text (offsets and context
intact) but are never quoted, alerted or put on a timeline.

Each rule was written from real pages (trafilatura's test pages, tests/ingest/
furniture_examples.json) and checked against real body sentences that look like furniture
("Watch for black ice on bridges…", "By a majority of 107, peers backed…", "CNN has reached
out…"). What a rule cannot tell from the words, the parser's parts of speech do: a line with
no verb is a heading, a label or a caption, rarely an answer.

    kind       examples from real pages
    heading    "2. Sam Ponder", "RELATED STORIES", "What makes a group smart?", "A city upended"
    media      "Read more: …", "Watch: …", "Sign up for the CorkBeo newsletter", "Advertisement"
    caption    "… (AP Photo/Ted S. Warren)", "Photograph: Guy Smallman/Getty Images", "2/5"
    filler     "Updated 2010 GMT (0410 HKT) March 14, 2021", "From CNN's Jane Doe",
               "Thanks for following our live blog throughout the day."
    byline     "By Nada Tawfik, BBC News, New York", "Copy this link", "© 2020 CBS Interactive…"
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence

# A line of its own that does not end as a sentence does (a full stop, "!", or a colon that
# leads into what follows) is a heading, a label or a caption up to this many words; edited
# prose ends its paragraphs with a stop.
HEADLINE_WORDS = 15
NO_VERB_WORDS = 20  # a line of its own without a verb, up to this many words, is furniture
_WORD = re.compile(r"[^\W_]+(?:['’.-][^\W_]+)*")
_FINAL_STOP = re.compile(r"[.!…][\"'”’)\]]*$")

# "Label: …" at the start of a line or sentence; the label says what the rest is.
_LABELS = {
    "media": r"""watch|video|videos|listen|audio|podcast|read(?:\s+(?:more|also|next))?|
        also\s+read|related(?:\s+(?:stories|coverage|articles|content|links|reading))?|
        more(?:\s+(?:on|from|about)\b[^:]{0,40})?|see\s+also|check\s+out|recommended|
        slideshow|gallery|live(?:\s+updates)?|explainer|opinion|analysis|exclusive|
        breaking(?:\s+news)?|a\s+simple\s+guide|our\s+standards""",
    "caption": r"""photos?|photograph|pictures?|pictured|image(?:\s+(?:credit|caption|copyright))?|
        media\s+caption|caption|credits?|illustration|graphic|source|photo\s+credit""",
    "byline": r"""written\s+by|posted\s+by|article\s+by|words\s+by|reporting\s+by|edited\s+by""",
}
_LABEL = re.compile(
    r"^[\s\-–—•*]*(?:"
    + "|".join(f"(?P<{kind}>{pattern})" for kind, pattern in _LABELS.items())
    + r")\s*:",
    re.IGNORECASE | re.VERBOSE,
)

# Phrases that open a line or sentence of furniture, whatever follows.
_OPENINGS = {
    "media": r"""sign\s+up\b|subscribe\s+(?:now|to|for|today|here)\b|download\s+(?:the|our)\b|
        click\s+(?:here|to)\b|follow\s+(?:us|our)\b|listen\s+to\s+(?:this|the)\s+(?:article|story|
        episode|podcast)|watch\s+(?:video|live|the\s+video|the\s+full|more|now)\b|advertisement\s*$|
        story\s+continues|continue\s+reading|skip\s+advertisement|media\s+playback\s+is|
        this\s+is\s+a\s+preview\s+of|already\s+a\s+subscriber|we\s+want\s+to\s+hear\s+what\s+you|
        here['’]s\s+a\s+(?:short\s+|quick\s+)?(?:clip|look|video|photo|picture|map)\b|slideshow\b|
        hide\s+caption\b|show\s+all\s+\d+\s*$|image\s+caption|media\s+caption|image\s+copyright|
        submit\s+a\s+letter\b|(?-i:PREVIOUS|NEXT|UP\s+NEXT)\s""",
    "filler": r"""let['’]s\s+get\s+to\b|here['’]s\s+what\s+(?:you\s+need\s+to\s+know|we\s+know|
        happened|to\s+know)|catch\s+up\s+on\b|in\s+case\s+you\s+missed|
        this\s+(?:article|story|post|piece)\s+(?:originally\s+appeared|was\s+originally|first\s+
        appeared|has\s+been\s+updated|was\s+updated|is\s+developing|will\s+be\s+updated)|
        originally\s+published|thanks?\s+(?:you\s+)?for\s+(?:following|reading|joining|subscribing|
        watching)|welcome\s+(?:back\s+)?to\s+(?:our|the|future|today)|
        we(?:['’]re|\s+are|\s+will\s+be)\s+(?:logging\s+off|pausing|wrapping\s+up|ending|closing)|
        good\s*night\b|it['’]s\s+(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday),|
        (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|
        yesterday)['’]s\s+(?:updates?|news|headlines|briefing|newsletter|live\s+blog|top\s+stories)""",
    "byline": r"""(?:additional\s+)?(?:reporting|editing|writing|compiled|produced|edited)\s+by\b|
        ©|copyright\s+(?:©|\d{4})|share\s+this\b|copy\s+(?:this\s+)?link\b|
        click\s+to\s+share\b""",
}
_OPENING = re.compile(
    r"^[\s\-–—•*]*(?:"
    + "|".join(f"(?P<{kind}>{pattern})" for kind, pattern in _OPENINGS.items())
    + r")",
    re.IGNORECASE | re.VERBOSE,
)

_ANYWHERE = [
    ("byline", re.compile(r"\ball\s+rights\s+reserved\b|©\s*\d{4}", re.IGNORECASE)),
    ("media", re.compile(r"\bclick\s+here\b|\bdelivered\s+to\s+your\s+inbox\b", re.IGNORECASE)),
    ("media", re.compile(r"\bnewsletters?\b.*\b(?:sign\s+up|subscribe|inbox)\b", re.IGNORECASE)),
    ("media", re.compile(r"\b(?:will\s+soon\s+launch|sign\s+up\s+for)\b.*\bnewsletter\b", re.I)),
    ("byline", re.compile(r"\bcontributed\s+(?:to\s+this\s+report|reporting)\b", re.IGNORECASE)),
]

# A credit on a caption's line: "(AP Photo/…)", "(FILE)", "Photograph: …/Getty Images".
_CREDIT = re.compile(
    r"\((?:AP\s+|Reuters\s+|AFP\s+)?(?:photo|picture|image|credit|photograph|illustration|file|"
    r"getty)\b[^()]{0,80}\)\s*$|"
    r"(?:^|[.!?”’\"]\s*|\s)(?:photograph|photo|picture|image|credit|illustration)\s*:\s*[^.:]{2,80}$|"
    r"(?:\||/)\s*[^|/]{0,40}(?:getty\s+images|shutterstock|afp|reuters|ap|epa(?:-efe)?)\s*$|"
    r"\bgetty\s+images\s*$",
    re.IGNORECASE,
)
_GALLERY = re.compile(r"^\d{1,3}\s*(?:/|of)\s*\d{1,3}$|\bin\s+pictures$", re.IGNORECASE)

# Live-blog and article time stamps: "Updated 2010 GMT …", "Posted on", "18:28KEY EVENT".
_STAMP = re.compile(
    r"^(?:(?:last\s+|first\s+)?(?:updated|posted|published|modified)|latest\s+update)"
    r"(?=[\s:,\d]|$)(?:\s*(?:on|at))?[\s:,]*(?P<rest>.*)$",
    re.IGNORECASE,
)
_CLOCK = re.compile(
    r"^\d{1,2}[:.]\d{2}\s*(?:[ap]\.?m\.?)?\s*(?:[A-Z]{2,4}\b)?\s*(?P<rest>.*)$", re.IGNORECASE
)
_AGO = re.compile(r"^\d+\s*(?:mins?|minutes?|hours?|hrs?|days?)\s+ago$", re.IGNORECASE)
_MONTH = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\b|\d", re.IGNORECASE
)
# A live-blog entry's attribution: "From CNN's Jane Doe and John Smith".
_FROM = re.compile(r"^From\s+(?:[A-Z][\w.&-]*\s+){0,3}[A-Z][\w.&-]*['’]s\s+[A-Z]")

# Bylines, datelines and sign-offs alone on their line.
_BY = re.compile(r"^By(?=[A-Z])|^By\s+(?:[A-Z][\w.'’-]*\s*){1,4}(?:(?:,|\band\b|&|\|)\s*.{0,80})?$")
_DATELINE = re.compile(r"^[A-Z][A-Z .,'’-]{2,40}\s*[—–-]+\s*$")
_SIGNATURE = re.compile(
    r"^[—–-]+\s*[A-Z][\w'’.-]+(?:\s+[A-Z(@][\w'’.@)-]+){0,5}(?:\s+[A-Z][a-z]+\s+\d{1,2},\s+\d{4})?$"
)
_SIGN_OFF = re.compile(
    r"^(?:[A-Z][\w'’-]+\s+){1,3}(?:reports|has\s+more|has\s+the\s+story)\.?$|"
    r"^(?:[A-Z][\w'’-]+\s+){1,3}[A-Z][\w'’-]+,\s+(?:[A-Z][\w'’-]*\s+){0,3}"
    r"(?:News|Radio|TV|Television|Press)\.?$"
)
_NUMBERED = re.compile(r"^\d{1,2}[.)]\s+\S")


def kind_of(text: str, line: str, verb: bool | None = None) -> str:
    """The kind of furniture a sentence is ("heading", "media", "caption", "filler",
    "byline"), or "" when it may be quoted. `line`: the whole line that holds it (a caption's
    credit or a time stamp makes every sentence of its line furniture; a sentence that is its
    line's whole text may be a heading or a label); `verb`: whether the parser found a verb in
    it (None when not asked)."""
    text, line = text.strip(), line.strip()
    found = _by_words(text) or _by_line(line)
    if found or text != line:
        return found
    return _alone(line, verb)


def _by_words(line: str) -> str:
    """Furniture its words give away, wherever it stands."""
    for pattern in (_LABEL, _OPENING):
        match = pattern.match(line)
        if match:
            return next(kind for kind, value in match.groupdict().items() if value is not None)
    for kind, pattern in _ANYWHERE:
        if pattern.search(line):
            return kind
    return ""


@functools.lru_cache(maxsize=256)
def _by_line(line: str) -> str:
    """Furniture its whole line gives away: a caption's credit, a gallery's counter, a stamp.
    Remembered for the last lines seen: every sentence of a paragraph asks about the same line,
    and the credit's pattern costs time in proportion to the line's length."""
    if _CREDIT.search(line) or _GALLERY.search(line):
        return "caption"
    stamp = _STAMP.match(line)
    dated = stamp is not None and (not stamp["rest"] or _MONTH.search(stamp["rest"]))
    return "filler" if dated and len(_WORD.findall(line)) <= 14 else ""


def _alone(line: str, verb: bool | None) -> str:
    """Furniture that is a line of its own: labels, stamps, bylines, headings."""
    words = _WORD.findall(line)
    stopped = bool(_FINAL_STOP.search(line))
    clock = _CLOCK.match(line)
    if clock and len(_WORD.findall(clock["rest"])) <= 4 and not stopped:
        return "filler"
    if _AGO.match(line) or (_FROM.match(line) and len(words) <= 14 and not stopped):
        return "filler"
    if _SIGN_OFF.match(line) or _DATELINE.match(line) or _SIGNATURE.match(line):
        return "byline"
    if _BY.match(line) and verb is not True and not stopped:
        return "byline"
    if not stopped and not line.endswith((":", ";")):
        if len(words) <= HEADLINE_WORDS or _all_capitals(line):
            return "heading"
        if _NUMBERED.match(line) and len(words) <= 12:
            return "heading"
    if verb is False and len(words) <= NO_VERB_WORDS:
        return "caption" if stopped else "heading"
    return ""


def _all_capitals(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return len(letters) >= 6 and sum(c.isupper() for c in letters) >= 0.9 * len(letters)


def needs_verb(text: str, line: str) -> bool:
    """Whether the verb rule may decide this sentence: its line's whole text, short, and not
    already furniture by its words."""
    text = text.strip()
    return (
        text == line.strip()
        and len(_WORD.findall(text)) <= NO_VERB_WORDS
        and not kind_of(text, line)
    )


def kinds(
    texts: Sequence[str], lines: Sequence[str], verbs: Callable[[list[str]], list[bool]] | None
) -> list[str]:
    """The furniture kind of each sentence ("" for citable ones), given the line that holds
    each; `verbs` tells, for the sentences that need it, whether each has a verb (the
    parser's tagger); without it (a bulk import) the words and the line decide alone."""
    pairs = list(zip(texts, lines, strict=True))
    asked = [i for i, (text, line) in enumerate(pairs) if needs_verb(text, line)] if verbs else []
    has_verb = dict(
        zip(asked, verbs([texts[i] for i in asked]) if verbs and asked else [], strict=True)
    )
    return [kind_of(text, line, has_verb.get(i)) for i, (text, line) in enumerate(pairs)]
