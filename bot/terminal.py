"""Showing answers and briefings in the terminal (rich), and as JSON for machines."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from bot.services import Services
from retrieval.types import Answer


def answer_json(answer: Answer) -> dict:
    """The machine-readable form of an answer (`ask --json`)."""
    return {
        "question": answer.question,
        "answer": answer.text,
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
            }
            for c in answer.citations
        ],
    }


def print_answer(answer: Answer, out: Console) -> None:
    """An answer for people: numbered quotes, each with its title and date."""
    if answer.abstained:
        out.print(answer.text, highlight=False)
        return
    for n, c in enumerate(answer.citations, start=1):
        out.print(
            f"[bold][{n}][/bold] [italic]{_markup_safe(c.sentence)}[/italic]", highlight=False
        )
        when = f", {c.published.isoformat()}" if c.published else ""
        link = f"  {c.url}" if c.url else ""
        out.print(f"    — {_markup_safe(c.title)}{when}{link}", style="dim", highlight=False)


def _markup_safe(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def print_list(services: Services, out: Console) -> None:
    """A table of stored briefings, newest first."""
    records = services.store.records()
    if not records:
        out.print("No briefings yet. Add some with: briefbot ingest PATH|URL")
        return
    table = Table("id", "date", "title", "sentences", "source")
    for r in records:
        table.add_row(
            r.id,
            r.published.isoformat() if r.published else "",
            r.title,
            str(r.sentence_count),
            r.url or r.source,
        )
    out.print(table)
