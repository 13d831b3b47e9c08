"""Questions are read as text: markup someone typed (or pasted) into one is not a question's
words. Scripts and styles go with their content, other tags go, entities are decoded."""

from __future__ import annotations

import html
import re

_HIDDEN = re.compile(r"<(script|style)\b[^>]*>.*?(?:</\1\s*>|$)", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"</?[A-Za-z!][^<>]*>")


def without_markup(text: str) -> str:
    """The text with HTML tags (scripts and styles with their content) removed and entities
    decoded, white space folded. Decoding runs first, so "&lt;b&gt;" is a tag too."""
    decoded = html.unescape(text)
    plain = _TAG.sub(" ", _HIDDEN.sub(" ", decoded))
    return " ".join(plain.split())
