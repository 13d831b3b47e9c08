"""Telegram's text rules, as the Bot API applies them: entities and parse_mode=HTML.

`parse_telegram_html` turns HTML into text + entities and refuses what Telegram refuses
(unsupported tags, unbalanced tags, unknown entities), with Telegram's error wording, so that a
rendering bug fails in tests instead of in production. Deliberately stricter than Telegram: a bare
'&' that does not start an entity is refused. `detect_entities` adds the bot_command and mention
entities Telegram adds to a user's message. Offsets and lengths are in UTF-16 code units.
"""

from __future__ import annotations

import re
from typing import Any

JSON = dict[str, Any]

_COMMAND = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w/])")
_MENTION = re.compile(r"(?<![\w@/])@[A-Za-z0-9_]{3,32}(?!\w)")


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def detect_entities(text: str) -> list[JSON]:
    """bot_command and mention entities, as Telegram adds them to a user's message."""
    found = [("bot_command", m) for m in _COMMAND.finditer(text)]
    commands = [m.span() for _, m in found]
    for match in _MENTION.finditer(text):
        if not any(start <= match.start() < end for start, end in commands):
            found.append(("mention", match))
    found.sort(key=lambda item: item[1].start())
    return [
        {
            "type": kind,
            "offset": utf16_len(text[: match.start()]),
            "length": utf16_len(match.group()),
        }
        for kind, match in found
    ]


class TelegramHTMLError(ValueError):
    """Text that Telegram's HTML parse mode refuses."""


_HTML_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "code": "code",
    "pre": "pre",
    "a": "text_link",
    "blockquote": "blockquote",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "tg-emoji": "custom_emoji",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HTML_TAG = re.compile(
    r"<(/?)([A-Za-z][A-Za-z0-9-]*)"
    r"((?:\s+[A-Za-z-]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'>]+))?)*)\s*>"
)
_HTML_ATTR = re.compile(r"([A-Za-z-]+)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s\"'>]+))?")
_HTML_ENTITY = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]*);")


def parse_telegram_html(source: str) -> tuple[str, list[JSON]]:
    """Text and entities for parse_mode=HTML, refusing what Telegram refuses."""
    out: list[str] = []
    entities: list[JSON] = []
    stack: list[tuple[str, int, dict[str, str]]] = []  # tag, utf-16 start, attributes
    position = 0  # in UTF-16 code units of the output

    def where(index: int) -> str:
        return f"at byte offset {len(source[:index].encode())}"

    index = 0
    while index < len(source):
        char = source[index]
        if char == "<":
            match = _HTML_TAG.match(source, index)
            if match is None:
                raise TelegramHTMLError(f"Unexpected character '<' {where(index)}")
            closing, name, raw_attrs = match.group(1), match.group(2).lower(), match.group(3)
            if not closing:
                if name not in _HTML_ENTITY_TYPES:
                    raise TelegramHTMLError(f'Unsupported start tag "{name}" {where(index)}')
                attrs = {
                    key.lower(): _decode_html_entities(value.strip("\"'"), where(index))
                    for key, value in _HTML_ATTR.findall(raw_attrs)
                }
                if name == "span" and attrs.get("class") != "tg-spoiler":
                    raise TelegramHTMLError(
                        f'Tag "span" must have class "tg-spoiler" {where(index)}'
                    )
                stack.append((name, position, attrs))
            else:
                if not stack:
                    raise TelegramHTMLError(f'Unexpected end tag "{name}" {where(index)}')
                open_name, start, attrs = stack.pop()
                if open_name != name:
                    raise TelegramHTMLError(
                        f'Unmatched end tag {where(index)}, expected "</{open_name}>", '
                        f'found "</{name}>"'
                    )
                entity = _html_entity(name, start, position - start, attrs, stack)
                if entity:
                    entities.append(entity)
            index = match.end()
            continue
        if char == "&":
            match = _HTML_ENTITY.match(source, index)
            if match is None:
                raise TelegramHTMLError(f"Character '&' is not part of an entity {where(index)}")
            char = _decode_html_entities(match.group(), where(index))
            index = match.end()
        else:
            index += 1
        out.append(char)
        position += utf16_len(char)
    if stack:
        raise TelegramHTMLError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _decode_html_entities(text: str, where: str) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith(("#x", "#X")):
            return chr(int(name[2:], 16))
        if name.startswith("#"):
            return chr(int(name[1:]))
        if name not in _NAMED_ENTITIES:
            raise TelegramHTMLError(f'Unsupported HTML entity "&{name};" {where}')
        return _NAMED_ENTITIES[name]

    return _HTML_ENTITY.sub(one, text)


def _html_entity(
    name: str,
    offset: int,
    length: int,
    attrs: dict[str, str],
    parents: list[tuple[str, int, dict[str, str]]],
) -> JSON | None:
    kind = _HTML_ENTITY_TYPES[name]
    if name == "code" and parents and parents[-1][0] == "pre":
        language = attrs.get("class", "")
        if language.startswith("language-"):
            parents[-1][2]["language"] = language[len("language-") :]
            return None  # <pre><code class="language-x"> is one pre entity
    if length == 0:
        return None
    entity: JSON = {"type": kind, "offset": offset, "length": length}
    if name == "a":
        href = attrs.get("href", "")
        if not href:
            return None
        if href.startswith("tg://user?id="):
            user_id = int(href.split("=", 1)[1])
            entity.update(type="text_mention", user={"id": user_id, "is_bot": False})
            entity["user"]["first_name"] = ""
        else:
            entity["url"] = href
    elif name == "pre" and attrs.get("language"):
        entity["language"] = attrs["language"]
    elif name == "blockquote" and "expandable" in attrs:
        entity["type"] = "expandable_blockquote"
    elif name == "tg-emoji":
        entity["custom_emoji_id"] = attrs.get("emoji-id", "")
    return entity
