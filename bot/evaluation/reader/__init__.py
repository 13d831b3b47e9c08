"""The reader's training and its report: kept apart from answering, which only loads a reader
(retrieval/ranking/reader.py).

    pairs.py     training pairs from the QA sets, the split by article, look-alike negatives
    training.py  the model from the bundled encoder, the training loop, saving with a card
    trainer.py   `make train-reader`: the command line around the two above
    report.py    `make reader-report`: a trained reader beside today's ranking on the
                 validation articles, with its weights and thresholds chosen on tune

May import: `bot.evaluation` (metrics, qa_sets), `bot.services`, `bot.settings`, `ingest`,
`retrieval`.
"""
