"""The bot's own state in SQLite (DATA_DIR/state.db): SQL only, one module per table group.

    database.py       the connection (BotState): WAL, transactions, numbered migrations
    migrations.py     the schema, as numbered migrations applied in order
    questions.py      questions behind answers ("More sources", follow-ups)
    subscriptions.py  followed topics, briefing versions considered, alerts sent, disabled chats
    feeds.py          feeds, which chats read them, items seen

May import: the standard library, numpy and `retrieval` domain types. Nothing of `bot` but
itself: the alert, feed and front-end code above it calls these functions.
"""
