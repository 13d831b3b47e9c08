"""The `briefbot` command line: a front end, a thin shell over `bot.services`.

    app.py         the parser, `main`, and the Invocation each command gets (settings, output,
                   services built on first use and closed after)
    briefings.py   ingest (or hand over to the running bot), ask, who, timeline, list, remove,
                   start
    chat.py        the interactive terminal chat
    following.py   follow / unfollow a topic for a Telegram chat; a chat's daily digest
    feeds.py       feed add | list | remove | poll
    measuring.py   bench and eval
    store.py       store-server (a Chroma server on DATA_DIR/chroma, holding its lock), check
    terminal.py    rendering answers and lists with rich (briefing text is never markup)

May import: everything in `bot` but `bot.telegram` (loaded lazily by `start` only), `ingest`,
`retrieval`. Nothing imports `bot.cli`.
"""
