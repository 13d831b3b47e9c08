"""Page furniture is stored but never quoted (issue 23): each kind on real page fragments.

tests/ingest/furniture_examples.json holds lines from trafilatura's test pages (its `origin`
says which commit and how they were extracted), each with the lines around it: headings,
media and promo lines, captions and credits, live-blog and newsletter filler, bylines and
share prompts, and real body sentences that look like furniture and must stay citable.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ingest.pipeline import Ingester, sentences_of
from retrieval.types import Briefing, Question

EXAMPLES = json.loads((Path(__file__).parent / "furniture_examples.json").read_text())
KINDS = ("heading", "media", "caption", "filler", "byline")
# Furniture whose words and line do not give it away: captions written as sentences, a
# sub-heading written as one. Kept here so that a rule that starts catching them is seen.
NOT_CAUGHT = {"Humanity had a traumatic childhood."}
NOT_CAUGHT_PREFIX = ("Staff at Massy Stores Westmoorings wait outside",)


def _all_examples() -> list[dict[str, Any]]:
    return [*EXAMPLES["examples"], *EXAMPLES["made_up"]]


def _kinds_of_line(example: dict[str, Any]) -> list[str]:
    """The furniture kind of each sentence of the example's line, read in its page context
    (the line before and after it as paragraphs), as ingest reads it."""
    line = example["line"]
    text = "\n\n".join(x for x in (example.get("before"), line, example.get("after")) if x)
    start = text.index(line)
    briefing = Briefing(id="page", title="A page", text=text, source="test")
    return [
        s.furniture
        for s in sentences_of(briefing)
        if start <= s.start and s.end <= start + len(line)
    ]


def _missed(line: str) -> bool:
    return line in NOT_CAUGHT or line.startswith(NOT_CAUGHT_PREFIX)


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_of_furniture_on_real_pages_is_never_citable(kind: str) -> None:
    examples = [e for e in _all_examples() if e["kind"] == kind]
    assert len([e for e in examples if e["page"]]) >= 5  # real pages, not only made-up lines
    quoted = [e["line"] for e in examples if not _missed(e["line"]) and "" in _kinds_of_line(e)]
    assert quoted == []


def test_body_sentences_that_look_like_furniture_stay_citable() -> None:
    body = [e for e in _all_examples() if e["kind"] == "body"]
    assert len(body) >= 25
    flagged = [(e["line"], _kinds_of_line(e)) for e in body if any(_kinds_of_line(e))]
    assert flagged == []


def test_the_known_misses_are_still_missed() -> None:
    """When a rule starts catching one of these, move it out of NOT_CAUGHT."""
    missed = [e for e in _all_examples() if e["kind"] != "body" and _missed(e["line"])]
    assert len(missed) == len(NOT_CAUGHT) + len(NOT_CAUGHT_PREFIX)
    assert all("" in _kinds_of_line(e) for e in missed)


LIVE_BLOG = """Updated 10:32 a.m. ET, March 4, 2022

WHAT HAPPENED AT CHERNOBYL?

From CNN's Jane Doe

Russian forces seized the Chernobyl plant on Thursday after a day of fighting, officials said.

Photos: Chernobyl exclusion zone

A soldier walks past the reactor building at Chernobyl. (AP Photo/Efrem Lukatsky)

WATCH: What happened at Chernobyl in 1986

Sign up for our newsletter on the war in Ukraine.
"""


def test_a_live_blog_answers_from_its_story_not_its_furniture(
    ingester: Ingester, chain: Any
) -> None:
    ingester.ingest(
        Briefing(id="blog", title="Ukraine live", text=LIVE_BLOG, source="test", url=None)
    )
    answer = chain.invoke(Question("What happened at Chernobyl?", max_citations=5))
    quoted = [c.sentence for c in answer.citations]
    assert quoted and quoted[0].startswith("Russian forces seized the Chernobyl plant")
    assert all(
        not q.startswith(("WHAT", "WATCH", "Photos", "A soldier", "Sign up")) for q in quoted
    )
