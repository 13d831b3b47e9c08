"""Measuring the bot: answer quality on QA sets (`briefbot eval`) and speed (`briefbot bench`).

    qa_sets.py  run QA sets through the normal pipeline and chain, beside a plain baseline
    metrics.py  the metrics of ../shared/eval/README.md, and the one percentile function
    bench.py    ingest and question timings on a .jsonl corpus in a temporary store

May import: `bot.services`, `bot.settings`, `ingest`, `retrieval`. Never a front end.
"""
