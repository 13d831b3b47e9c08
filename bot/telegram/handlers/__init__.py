"""The Telegram handlers, one module per thing a user does, and their registration.

    asking.py       questions (private text, group mentions and replies, /ask), "More sources"
    ingesting.py    /ingest links or a replied-to text or file, uploaded files
    browsing.py     /start, /help, /latest, /list, /who, /timeline, /forget, unknown commands
    following.py    /follow, /following, /unfollow, /digest
    feeds.py        /feed add | list | remove
    errors.py       the access gate before every handler, and the error handler
    permissions.py  who may ingest, who may change what a chat follows

Each handler reads the update, runs the service off the event loop (`off_loop`), renders with
`bot.telegram.messages`/`render` and replies. May import the rest of `bot.telegram` (not
`application`), `bot.state`, `bot.alerts`, `ingest`, `retrieval`.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.telegram.handlers.asking import cmd_ask, on_group_text, on_more, on_private_text
from bot.telegram.handlers.browsing import (
    cmd_forget,
    cmd_help,
    cmd_latest,
    cmd_list,
    cmd_timeline,
    cmd_who,
    on_unknown_command,
)
from bot.telegram.handlers.errors import gate, on_error
from bot.telegram.handlers.feeds import cmd_feed
from bot.telegram.handlers.following import (
    cmd_digest,
    cmd_follow,
    cmd_following,
    cmd_unfollow,
)
from bot.telegram.handlers.ingesting import cmd_ingest, on_document
from bot.telegram.replies import MORE_PREFIX

NEW_MESSAGES = filters.UpdateType.MESSAGE  # edits of old messages are not asked again


def add_handlers(app: Application) -> None:  # type: ignore[type-arg]
    """Register every handler on the application, in the order they are tried."""
    app.add_handler(TypeHandler(Update, gate), group=-1)
    for names, callback in (
        (("start", "help"), cmd_help),
        (("ask",), cmd_ask),
        (("ingest",), cmd_ingest),
        (("latest",), cmd_latest),
        (("list", "sources"), cmd_list),
        (("who",), cmd_who),
        (("timeline",), cmd_timeline),
        (("forget",), cmd_forget),
        (("follow",), cmd_follow),
        (("following",), cmd_following),
        (("unfollow",), cmd_unfollow),
        (("digest",), cmd_digest),
        (("feed", "feeds"), cmd_feed),
    ):
        app.add_handler(CommandHandler(names, callback, filters=NEW_MESSAGES))
    app.add_handler(CallbackQueryHandler(on_more, pattern=f"^{MORE_PREFIX}"))
    app.add_handler(MessageHandler(NEW_MESSAGES & filters.Document.ALL, on_document))
    text = NEW_MESSAGES & filters.TEXT & ~filters.COMMAND
    app.add_handler(MessageHandler(text & filters.ChatType.PRIVATE, on_private_text))
    app.add_handler(MessageHandler(text & filters.ChatType.GROUPS, on_group_text))
    unknown = NEW_MESSAGES & filters.COMMAND & filters.ChatType.PRIVATE
    app.add_handler(MessageHandler(unknown, on_unknown_command))
    app.add_error_handler(on_error)
