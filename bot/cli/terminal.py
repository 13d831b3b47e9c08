"""Showing answers and briefings in the terminal (rich), and as JSON for machines.

Nothing from a briefing is ever read as rich markup: it is escaped or printed with markup off.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from bot.wording import also_in
from retrieval.answering.timeline import TimelineEntry
from retrieval.types import Answer, BriefingRecord

# Lines written to a pipe or a file are not wrapped at 80 columns (one failure is one line).
UNWRAPPED_WIDTH = 240


def console(*, stderr: bool = False) -> Console:
    """A console for the CLI: the terminal's width there; elsewhere wide lines, unwrapped."""
    out = Console(stderr=stderr, highlight=False)
    if not out.is_terminal:
        out = Console(stderr=stderr, highlight=False, width=UNWRAPPED_WIDTH, soft_wrap=True)
    return out


def answer_json(answer: Answer) -> dict[str, Any]:
    """The machine-readable form of an answer (`ask --json`): `generated` says whether a
    language model wrote `answer` (checked against the citations) or it is their own words."""
    return {
        "question": answer.question,
        "answer": answer.text,
        "generated": answer.generated,
        "note": answer.note or None,
        "abstained": answer.abstained,
        "citations": [
            {
                "text": c.sentence,
                "doc_id": c.doc_id,
                "title": c.title,
                "date": c.published.isoformat() if c.published else None,
                "url": c.url,
                "start": c.start,
                "end": c.end,
                "speaker": c.speaker or None,
                "also": [{"doc_id": a.doc_id, "title": a.title, "url": a.url} for a in c.also],
                "context": c.context or None,
            }
            for c in answer.citations
        ],
    }


def streamed(ask: Callable[[Callable[[str], None] | None], Answer], out: Console) -> Answer:
    """Run `ask`, showing a written answer as it grows when `out` is a terminal. The growing
    text is cleared at the end: the checked answer (or the quotes) is printed in its place."""
    if not out.is_terminal:
        return ask(None)
    with Live(Text(""), console=out, transient=True, refresh_per_second=8) as live:
        return ask(lambda text: live.update(Text(text)))


def print_answer(answer: Answer, out: Console) -> None:
    """An answer for people: a written answer if there is one, then numbered quotes, each with
    its title and date."""
    if answer.note:
        out.print(answer.note, style="dim", markup=False, highlight=False)
    if answer.abstained:
        out.print(answer.text, markup=False, highlight=False)
        return
    if answer.generated:
        out.print(answer.text, markup=False, highlight=False)
    citations = answer.citations
    for n, c in enumerate(citations, start=1):
        who = f" ({escape(c.speaker)})" if c.speaker else ""
        also = f" (also: {escape(also_in(c))})" if c.also else ""
        quote = f"[bold][{n}][/bold] [italic]{escape(c.sentence)}[/italic]{who}{also}"
        if c.context:  # the sentence the quote leans on, as context
            out.print(f"    ({c.context})", style="dim", markup=False, highlight=False)
        out.print(quote, highlight=False)
        if n < len(citations) and citations[n].doc_id == c.doc_id:
            continue  # the next quote is from the same briefing: its source line comes once
        when = f", {c.published.isoformat()}" if c.published else ""
        link = f"  {c.url}" if c.url else ""
        out.print(f"    — {c.title}{when}{link}", style="dim", markup=False, highlight=False)


def print_timeline(entries: Sequence[TimelineEntry], out: Console) -> None:
    """A timeline for people: one dated line per story, its quote, its outlets."""
    for e in entries:
        c = e.citation
        who = f" ({escape(c.speaker)})" if c.speaker else ""
        out.print(f"[bold]{e.day.isoformat()}[/bold] [italic]{escape(c.sentence)}[/italic]{who}")
        others = "; also " + "; ".join(a.title for a in e.also) if e.also else ""
        link = f"  {c.url}" if c.url else ""
        out.print(f"    — {c.title}{others}{link}", style="dim", markup=False)


def print_list(records: Sequence[BriefingRecord], out: Console) -> None:
    """A table of stored briefings, newest first."""
    if not records:
        out.print("No briefings yet. Add some with: briefbot ingest PATH|URL")
        return
    table = Table("id", "date", "title", "sentences", "source")
    for r in records:
        table.add_row(
            Text(r.id),
            r.published.isoformat() if r.published else "",
            Text(r.title),
            str(r.sentence_count),
            Text(r.url or r.source),
        )
    out.print(table)
