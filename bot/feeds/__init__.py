"""Feeds the bot reads: polling them on schedule and ingesting their new items.

    poller.py  FeedPoller: which feeds are due, one poll (conditional GET, new items ingested,
               back-off on failure), and which chats must be told that a feed broke

Parsing RSS/Atom and turning an item into a briefing is `ingest.feeds`; the rows are
`bot.state.feeds`. May import: `bot.state`, `ingest`, `retrieval`. Never a front end.
"""
