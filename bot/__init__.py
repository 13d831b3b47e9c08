"""briefbot's application layer: the front ends and the one composition root.

    settings.py    Settings: the only place configuration is read (environment, .env)
    services.py    build_services: every long-lived object, built once (the composition root)
    inbox.py       how `briefbot ingest` hands briefings to a running bot that holds the store
    cli/           front end: the `briefbot` command line
    telegram/      front end: the Telegram bot (handlers/ by what the user does)
    alerts/        which new briefing alerts which chat (topics, the matching rule, the scan)
    feeds/         polling RSS/Atom feeds into the store
    state/         the bot's SQLite state (SQL only, one module per table group)
    evaluation/    `briefbot eval` and `bench`: quality and speed, beside a baseline

Imports point down: front ends (cli, telegram) -> services -> alerts, feeds -> state; all of
them may use `ingest` and `retrieval`; nothing below a front end imports one
(tests/test_boundaries.py).
"""
