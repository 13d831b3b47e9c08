"""Alerts: which new briefing should alert which chat, once per story. No Telegram in here.

    topics.py    a followed topic ("talks +Istanbul"): parsing it, following and unfollowing
    matching.py  the matching rule: is a briefing about a topic, are two briefings one story
    alerter.py   the scan of new briefing versions and the delivery loop around a `Deliver`
                 function that a front end supplies (bot/telegram/alerting.py sends messages)
    digest.py    the daily digest: per followed topic the day's new stories, one cited
                 sentence each, claimed per day in state.db before sending

May import: `bot.state`, `ingest`, `retrieval`. Never a front end (`bot.cli`, `bot.telegram`).
"""
