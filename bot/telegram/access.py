"""Who may use the bot: allowed chats (ALLOWED_CHAT_IDS) and admins (ADMIN_USER_IDS)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.settings import Settings
from retrieval.errors import BriefbotError


def parse_ids(text: str, setting: str) -> tuple[int, ...]:
    """Comma-separated Telegram ids, in order; a clear error names the setting otherwise."""
    ids: list[int] = []
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        try:
            ids.append(int(part))
        except ValueError:
            raise BriefbotError(
                f"{setting} must list numeric Telegram ids separated by commas "
                f"(e.g. 12345,-1001234567890); {part!r} is not one."
            ) from None
    return tuple(ids)


@dataclass(frozen=True)
class Access:
    """Empty lists mean open: every chat is served, everyone may ingest and forget."""

    allowed_chats: frozenset[int] = frozenset()
    admins: tuple[int, ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings) -> Access:
        """Access rules from ALLOWED_CHAT_IDS and ADMIN_USER_IDS."""
        return cls(
            allowed_chats=frozenset(parse_ids(settings.allowed_chat_ids, "ALLOWED_CHAT_IDS")),
            admins=parse_ids(settings.admin_user_ids, "ADMIN_USER_IDS"),
        )

    def chat_allowed(self, chat_id: int, user_id: int | None = None) -> bool:
        """Whether the bot serves this chat; an admin's private chat always is."""
        if not self.allowed_chats or chat_id in self.allowed_chats:
            return True
        return user_id is not None and chat_id == user_id and user_id in self.admins

    def is_admin(self, user_id: int | None) -> bool:
        """Whether this user may ingest and forget (everyone, when no admins are configured)."""
        return not self.admins or (user_id is not None and user_id in self.admins)

    @property
    def restricted(self) -> bool:
        """Whether ingest and forget are limited to configured admins."""
        return bool(self.admins)

    @property
    def first_admin(self) -> int | None:
        """The admin who receives error reports."""
        return self.admins[0] if self.admins else None
