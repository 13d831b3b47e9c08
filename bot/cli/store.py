"""The store itself: `briefbot store-server`, Chroma's server on DATA_DIR/chroma, so that
several processes (the bot, command-line ingests, a second bot) share one store (it holds the
data directory's lock while it runs: no embedded process can open the directory under it); and
`briefbot check`, which sweeps what crashes left and verifies the store."""

from __future__ import annotations

from bot.cli.app import Invocation
from bot.settings import child_environment
from bot.wording import counted
from retrieval.index.chroma_client import serve


def cmd_store_server(run: Invocation) -> int:
    """Run the Chroma server until Ctrl-C; returns its exit code."""
    settings, args = run.settings, run.args
    if settings.chroma_host:
        run.out.print(
            f"CHROMA_HOST is set ({settings.chroma_host}): this process would use that server. "
            "Unset it to serve the local data directory.",
            markup=False,
        )
        return 1
    run.out.print(
        f"Serving {settings.chroma_path} on {args.host}:{args.port}; point every briefbot "
        f"process at it with CHROMA_HOST={args.host} CHROMA_PORT={args.port}. Ctrl-C stops it.",
        markup=False,
    )
    env = child_environment(ANONYMIZED_TELEMETRY="False")
    return serve(settings.chroma_path, args.host, args.port, env)


def cmd_check(run: Invocation) -> int:
    """Sweep crash leftovers, verify every briefing's rows; exit 1 if something is wrong."""
    found = run.services().store.check()
    run.out.print(
        f"{counted(found.briefings, 'briefing')}; removed "
        f"{counted(found.cleaned_writes, 'unfinished or replaced write')} and "
        f"{counted(found.orphan_rows, 'row')} of no briefing; catalogue: {found.integrity}",
        markup=False,
    )
    for briefing_id in found.incomplete:
        run.out.print(
            f"incomplete  {briefing_id}: rows are missing; ingest it again or remove it",
            markup=False,
        )
    return 0 if found.sound else 1
