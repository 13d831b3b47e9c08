"""`briefbot bench` and `briefbot eval`: the commands that measure speed and answer quality."""

from __future__ import annotations

from rich.console import Console
from rich.progress import Progress, TimeElapsedColumn
from rich.table import Table

from bot.cli.app import Invocation
from bot.evaluation.bench import run_bench
from bot.evaluation.news_over_time import KINDS, NewsResult, evaluate_news
from bot.evaluation.qa_sets import METRIC_ROWS, SetResult, evaluate_sets, format_value
from bot.evaluation.real_pages import PAGES_SET, PagesResult, evaluate_pages


def cmd_bench(run: Invocation) -> int:
    """Speed and memory beside the plain baseline, in temporary stores (DATA_DIR is untouched)."""
    args, out = run.args, run.out
    for path in (args.documents, args.large):
        if path is not None and not path.exists():
            out.print(f"No such file: {path}", markup=False)
            return 1
    with Console(stderr=True).status("benchmarking…") as status:
        figures = run_bench(
            args.documents,
            sizes=args.sizes,
            questions=args.questions,
            ingest_documents=args.ingest_documents,
            large=args.large,
            large_documents=args.large_documents,
            progress=lambda stage: status.update(stage),
        )
    table = Table(title=f"briefbot bench: {args.documents}")
    for column in ("measure", "briefbot", "baseline", "briefbot / baseline"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    for figure in figures:
        table.add_row(figure.label, *figure.cells())
    out.print(table)
    return 0


def cmd_eval(run: Invocation) -> int:
    """Score each QA set with briefbot and the baseline; print a table per set."""
    args, out, settings = run.args, run.out, run.settings
    missing = [d for d in args.sets if not (d / "documents.jsonl").exists()]
    if missing:
        out.print(f"No documents.jsonl in {', '.join(map(str, missing))}.", markup=False)
        return 1
    with Progress(
        *Progress.get_default_columns(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("eval", total=None)

        def advance(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total)

        for result in evaluate_sets(
            args.sets, settings, args.out, limit=args.limit, progress=advance, build=run.build
        ):
            out.print(eval_table(result))
            out.print(curve_table(result))
            out.print(f"predictions: {result.predictions}", markup=False)
        bar.update(task, description="news over time", completed=0, total=None)
        out.print(news_table(evaluate_news(settings, build=run.build)))
        bar.update(task, description="real pages", completed=0, total=None)
        out.print(pages_table(evaluate_pages(settings, build=run.build)))
    return 0


def pages_table(result: PagesResult) -> Table:
    """Furniture quoted, duplicates stored and timelines on topic, beside the reading before
    issue 23 (bot/evaluation/real_pages.py)."""
    now, before = result.now, result.before
    table = Table(
        title=f"real pages ({PAGES_SET.name}): {result.documents} documents, "
        f"{now.questions} questions, {result.topics} timelines"
    )
    for column in ("measure", "briefbot", "before"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    rows = [
        ("citations on furniture lines", _share(now.furniture, now.citations),
         _share(before.furniture, before.citations)),
        ("first citation right", format_value(now.first_right / now.questions, "share"),
         format_value(before.first_right / before.questions, "share")),
        (f"duplicate briefings ({result.articles} articles)", str(result.duplicates),
         str(result.duplicates_before)),
        ("timeline entries on topic", _share(now.on_topic, now.entries),
         _share(before.on_topic, before.entries)),
        ("timeline milestones listed", f"{now.milestones_found}/{now.milestones}",
         f"{before.milestones_found}/{before.milestones}"),
    ]  # fmt: skip
    for row in rows:
        table.add_row(*row)
    return table


def news_table(result: NewsResult) -> Table:
    """First-citation accuracy on dated questions by kind, beside the ranking before."""
    table = Table(
        title="news over time: first citation right (bot/evaluation/news_over_time, "
        f"{sum(result.totals.values())} questions)"
    )
    table.add_column("questions")
    table.add_column("briefbot", justify="right")
    table.add_column("before time references and parties", justify="right")
    for kind in KINDS:
        total = result.totals[kind]
        before = result.before.get(kind)  # `who` has no ranking before to compare with
        table.add_row(
            f"{kind} ({total})",
            format_value(result.now[kind] / total if total else None, "share"),
            format_value(before / total if total and before is not None else None, "share"),
        )
    return table


def _share(part: int, whole: int) -> str:
    return f"{part}/{whole} ({part / whole:.3f})" if whole else "0/0"


def eval_table(result: SetResult) -> Table:
    """One set's metrics, briefbot beside the same-run baseline."""
    table = Table(
        title=f"{result.name}: {result.briefbot.questions} questions, "
        f"{result.documents} documents ingested in {result.ingest_seconds:.0f} s"
    )
    table.add_column("metric")
    table.add_column("briefbot", justify="right")
    table.add_column("baseline", justify="right")
    for label, attr, kind in METRIC_ROWS:
        table.add_row(
            label,
            format_value(getattr(result.briefbot, attr), kind),
            format_value(getattr(result.baseline, attr), kind),
        )
    if result.periods_off is not None:
        table.add_row(
            f"abstain-wrong, times ignored ({result.timed} name a time)",
            format_value(result.periods_off.abstain_wrong, "share"),
            "",
        )
    return table


def curve_table(result: SetResult) -> Table:
    """Abstention at other thresholds: what MIN_RELEVANCE trades (same run, same answers)."""
    table = Table(title=f"{result.name}: abstention if relevance < threshold")
    for column in ("threshold", "abstain-correct", "abstain-wrong"):
        table.add_column(column, justify="right")
    for threshold, correct, wrong in result.curve:
        table.add_row(
            f"{threshold:.2f}", format_value(correct, "share"), format_value(wrong, "share")
        )
    return table
