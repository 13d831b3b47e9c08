"""The Telegram front end (python-telegram-bot 22): thin handlers over `bot.services`.

    application.py  the Application, built in one place; polling or webhook; command menus
    context.py      what every handler reaches: BotDeps behind a typed context
    handlers/       one module per thing a user does: asking, ingesting, browsing, following,
                    feeds; errors (the access gate and the error handler); registration
    jobs.py         background jobs: the alert scan, the inbox, the feed polls
    alerting.py     sending alerts as Telegram messages (what `bot.alerts` decides to send)
    access.py       allowed chats and admins (ALLOWED_CHAT_IDS, ADMIN_USER_IDS)
    messages.py     every string the bot shows, as Telegram HTML (briefing text escaped)
    render.py       answers as Telegram HTML: escaping, citations, 4,096-character parts
    replies.py      answers as replies, and the "More sources" button
    streaming.py    a written answer streamed into one message, edited at a bounded rate
    rate_limits.py  questions and ingests per user and minute (RATE_LIMIT_*)
    followup.py     follow-up questions ("and what did Ukraine want?")
    uploads.py      ingest from a chat: links, uploaded files, message text
    chat_action.py  the "typing…" indicator
    redaction.py    keeping the bot token out of logs and reports

May import: `bot.services`, `bot.settings`, `bot.state`, `bot.alerts`, `bot.feeds`, `bot.inbox`,
`ingest`, `retrieval`. Nothing imports `bot.telegram` (the CLI's `start` loads it lazily).
"""
