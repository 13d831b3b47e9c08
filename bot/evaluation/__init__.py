"""Measuring the bot: answer quality on QA sets (`briefbot eval`) and speed (`briefbot bench`).

    qa_sets.py         run QA sets through the normal pipeline and chain, beside a plain baseline
    metrics.py         the metrics of ../shared/eval/README.md: the one normalisation and
                       answer rule (eval and the reader tools use it), the one percentile
    news_over_time.py  the made-up dated briefings and questions of the news-over-time table
    synthetic.py       made-up corpora of any size for the benchmarks
    bench.py           ingest and question timings on a .jsonl corpus in a temporary store
    bench_worker.py    the child process a benchmark measures
    reader/            the reader's training data, training loop, trainer and report

May import: `bot.services`, `bot.settings`, `ingest`, `retrieval`. Never a front end.
"""
