"""`briefbot chat`: an interactive loop over the same answer chain as every front end."""

from __future__ import annotations

from functools import partial

from rich.console import Console
from rich.markup import escape

from bot.cli.app import Invocation
from bot.cli.terminal import print_answer, print_list, streamed
from bot.services import Services
from bot.wording import counted
from retrieval.errors import BriefbotError

CHAT_HELP = """Type a question and press Enter. Commands:
  /ingest PATH|URL ...   add briefings
  /list                  list stored briefings
  /help                  this text
  /quit                  leave (or Ctrl-D)"""


def cmd_chat(run: Invocation) -> int:
    """An interactive loop over the same answer chain as every other front end."""
    services, out = run.services(), run.out
    services.backlog.start()  # briefings a bulk import left unread, parsed when idle
    count = len(services.store.records())
    out.print(
        f"briefbot chat: {counted(count, 'briefing')} stored. Ask a question, /help for commands, "
        "/quit to leave."
    )
    while True:
        try:
            line = input("question> ").strip()
        except EOFError:
            out.print()
            return 0
        if not line:
            continue
        if line in ("/quit", "/exit", "quit", "exit"):
            return 0
        try:
            chat_line(services, line, out)
        except BriefbotError as e:
            out.print(f"[red]error:[/red] {escape(str(e))}")


def chat_line(services: Services, line: str, out: Console) -> None:
    """Handle one line typed in the chat."""
    if line == "/help":
        out.print(CHAT_HELP, markup=False)
    elif line == "/list":
        print_list(services.store.records(), out)
    elif line.startswith("/ingest"):
        sources = line.split()[1:]
        if not sources:
            out.print("Usage: /ingest PATH|URL ...", markup=False)
            return
        for r in services.ingester.ingest_sources(sources, services.fetcher):
            title = r.briefing.title if r.briefing else ""
            out.print(r.error if r.status == "failed" else f"{r.status}: {title}", markup=False)
    elif line.startswith("/"):
        out.print(f"Unknown command {line.split()[0]}. Type /help for the commands.", markup=False)
    else:
        print_answer(streamed(partial(services.ask, line), out), out)
