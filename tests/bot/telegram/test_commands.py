"""Browsing and access in Telegram: /start, /help, /latest, /list, /forget, menus, allowed chats."""

from __future__ import annotations

from bot.telegram import messages
from tests.bot.telegram.botapi import BotAPIEmulator
from tests.bot.telegram.briefbot import Briefbot

USER = 1001
ADMIN = 4242
GROUP = -1002003004005
SAMPLE_TITLE = "The second round of talks between the Ukrainian and Russian delegations"
BROWSE = ["latest", "list", "who", "timeline", "following"]
USER_MENU = [*BROWSE, "follow", "unfollow", "digest", "help"]  # a private chat follows its own
ADMIN_MENU = [*USER_MENU, "ingest", "forget", "feed"]
GROUP_ADMIN = ["ingest", "forget", "follow", "unfollow", "digest", "feed"]
GROUP_ADMIN_MENU = ["ask", *BROWSE, "help", *GROUP_ADMIN]


async def test_start_and_help_explain_with_examples(briefbot: Briefbot) -> None:
    async with briefbot.polling():
        [private] = await briefbot.say(USER, "/start")
        [group] = await briefbot.say(
            GROUP, "/help@briefbot_test_bot", user_id=USER, chat_type="group"
        )
    assert "What did Russia propose?" in private.result["text"]
    assert "/latest" in private.result["text"] and "/ingest" in private.result["text"]
    assert "/ask What did Russia propose?" in group.result["text"]
    assert "@briefbot_test_bot where were the talks held?" in group.result["text"]


async def test_help_shows_each_person_the_commands_they_may_use(
    botapi: BotAPIEmulator, briefbot: Briefbot
) -> None:
    """Found by an outside test: a non-admin in a private chat was shown /follow, /digest and
    /feed add, then told that "only this chat's admins" could use them."""
    async with briefbot.polling(admin_user_ids=str(ADMIN)):
        [private] = await briefbot.say(USER, "/help")
        [_, follows] = await briefbot.say(USER, "/follow peace talks", count=2)
        [admin] = await briefbot.say(ADMIN, "/help")
        [group] = await briefbot.say(GROUP, "/help", user_id=USER, chat_type="group")
    mine = private.result["text"]
    assert "/follow peace talks" in mine and "/digest 08:00" in mine
    assert "/feed add" not in mine and "/ingest" not in mine
    assert follows.result["text"].startswith("Following peace talks")  # their own chat
    assert "/feed add" in admin.result["text"] and "/ingest" in admin.result["text"]
    theirs = group.result["text"]  # a member of a group, not one of its admins
    assert "/follow peace talks" not in theirs and "/feed add" not in theirs
    assert "The group's admins choose its topics" in theirs


async def test_latest_and_list_show_the_stored_briefings(
    botapi: BotAPIEmulator, briefbot: Briefbot
) -> None:
    async with briefbot.polling():
        asked = botapi.queue_message(USER, "/latest", user_id=USER)
        botapi.queue_message(USER, "/sources", user_id=USER)
        replies = await botapi.wait_sent_async("sendMessage", chat_id=USER, count=2, timeout=30)
    by_question = {c["reply_parameters"]["message_id"]: c.result["text"] for c in replies}
    latest = by_question.pop(asked["message"]["message_id"])
    [listing] = by_question.values()
    assert latest.startswith("The one briefing\n• " + SAMPLE_TITLE)
    assert latest.endswith("— 2 Jun 2025")
    assert listing.startswith("1 briefing, newest first\nt-")


async def test_forget_is_for_admins_and_takes_a_unique_id_prefix(briefbot: Briefbot) -> None:
    async with briefbot.polling(admin_user_ids=str(ADMIN)):
        [refused] = await briefbot.say(USER, "/forget t-")
        for count, text in enumerate(("/forget", "/forget x-nothing", "/forget t-", "/list"), 1):
            replies = await briefbot.say(ADMIN, text, count=count)  # one at a time: in order
    assert refused.result["text"] == messages.NOT_ADMIN
    texts = [r.result["text"] for r in replies]
    assert texts[0] == messages.USAGE_FORGET
    assert texts[1] == "No briefing has the id x-nothing; /list shows the ids."
    assert texts[2].startswith(f"Forgot {SAMPLE_TITLE}")
    assert texts[3] == messages.NO_BRIEFINGS


async def test_chats_not_allowed_get_a_polite_refusal_and_nothing_else(
    botapi: BotAPIEmulator, briefbot: Briefbot
) -> None:
    allowed_group = -100777
    async with briefbot.polling(allowed_chat_ids=f"{allowed_group}", admin_user_ids=str(ADMIN)):
        [refusal] = await briefbot.say(USER, "What did Russia propose?")
        botapi.queue_message(GROUP, "chatter", user_id=USER, chat_type="supergroup")
        [group_refusal] = await briefbot.say(GROUP, "/ask What did Russia propose?", user_id=USER)
        botapi.queue_message(ADMIN, "What did Russia propose?", user_id=ADMIN)  # admin, privately
        botapi.queue_message(
            allowed_group, "/ask How long did the negotiations last?", user_id=USER
        )
        await botapi.wait_sent_async("sendMessage", chat_id=ADMIN, timeout=30)
        await botapi.wait_sent_async("sendMessage", chat_id=allowed_group, timeout=30)
    assert refusal.result["text"] == (
        "Sorry, I only work in the chats my owner has allowed. This chat's id is 1001; "
        "the owner can add it to ALLOWED_CHAT_IDS."
    )
    assert "-1002003004005" in group_refusal.result["text"]
    assert len(botapi.sent("sendMessage", chat_id=GROUP)) == 1  # "chatter" got nothing
    assert not botapi.sent("sendChatAction", chat_id=USER)  # no work was done for them


async def test_command_menus_are_set_per_scope(botapi: BotAPIEmulator, briefbot: Briefbot) -> None:
    async with briefbot.polling(admin_user_ids=str(ADMIN)):
        pass

    def names(scope: dict[str, object]) -> list[str]:
        return [c["command"] for c in botapi.commands(scope)]

    assert names({"type": "all_private_chats"}) == USER_MENU
    assert names({"type": "all_group_chats"}) == ["ask", *BROWSE, "help"]
    assert names({"type": "chat", "chat_id": ADMIN}) == ADMIN_MENU


async def test_open_bots_offer_ingest_to_everyone(
    botapi: BotAPIEmulator, briefbot: Briefbot
) -> None:
    async with briefbot.polling():
        [unknown] = await briefbot.say(USER, "/nonsense")
    private = [c["command"] for c in botapi.commands({"type": "all_private_chats"})]
    admins = [c["command"] for c in botapi.commands({"type": "all_chat_administrators"})]
    assert "ingest" in private and "forget" in private
    assert admins == GROUP_ADMIN_MENU
    assert unknown.result["text"] == messages.UNKNOWN_COMMAND


async def test_who_shows_what_a_person_said_cited(
    botapi: BotAPIEmulator, briefbot: Briefbot
) -> None:
    async with briefbot.polling():
        [said] = await briefbot.say(USER, "/who keceli")
        [_, nobody] = await briefbot.say(USER, "/who Nobody <b>", count=2)
        [_, _, usage] = await briefbot.say(USER, "/who", count=3)
    lines = said.result["text"].split("\n")
    assert lines[0] == "What keceli said, newest first"
    assert lines[2].startswith("[1] Following the talks, Turkish Foreign Ministry spokesperson")
    assert lines[2].endswith("(Oncu Keceli)") and lines[3].startswith("— The second round")
    assert nobody.result["text"] == "The briefings quote no one called Nobody <b>."
    assert usage.result["text"] == messages.USAGE_WHO


async def test_timeline_lists_dated_statements_oldest_first(
    botapi: BotAPIEmulator, briefbot: Briefbot
) -> None:
    async with briefbot.polling():
        [shown] = await briefbot.say(USER, "/timeline prisoner exchange")
        [_, none] = await briefbot.say(USER, "/timeline football transfers", count=2)
        [_, _, usage] = await briefbot.say(USER, "/timeline", count=3)
    lines = shown.result["text"].split("\n")
    assert lines[0] == "Timeline: prisoner exchange, oldest first"
    # The first entry's quote, after the sentence it leans on when it does ("The two nations
    # also agreed…" comes after its context), then its source line.
    first = next(i for i, line in enumerate(lines) if line.startswith("[1] "))
    assert first in (2, 3) and ", 2 Jun 2025" in lines[first + 1]
    assert none.result["text"] == "The briefings hold no dated statements on football transfers."
    assert usage.result["text"] == messages.USAGE_TIMELINE
