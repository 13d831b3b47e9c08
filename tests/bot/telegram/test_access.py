"""Who the bot serves and who may ingest: ALLOWED_CHAT_IDS and ADMIN_USER_IDS."""

from __future__ import annotations

import pytest

from bot.settings import Settings
from bot.telegram.access import Access, parse_ids
from retrieval.errors import BriefbotError


def test_access_is_open_by_default() -> None:
    access = Access()
    assert access.chat_allowed(-100123) and access.is_admin(7) and access.first_admin is None


def test_access_limits_chats_and_admins() -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        allowed_chat_ids="-1001, 55",
        admin_user_ids="9,8",
    )
    access = Access.from_settings(settings)
    assert access.chat_allowed(-1001) and access.chat_allowed(55)
    assert not access.chat_allowed(56, 56)
    assert access.chat_allowed(9, 9)  # an admin's private chat
    assert not access.chat_allowed(-1002, 9)  # but not any group an admin is in
    assert access.is_admin(8) and not access.is_admin(55) and not access.is_admin(None)
    assert access.first_admin == 9


def test_bad_ids_name_the_setting() -> None:
    with pytest.raises(BriefbotError, match="ADMIN_USER_IDS .*'@alice' is not one"):
        parse_ids("12,@alice", "ADMIN_USER_IDS")
