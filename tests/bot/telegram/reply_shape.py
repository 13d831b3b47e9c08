"""What an answer's reply looks like to a user: its quotes first, numbered from [1]."""

from __future__ import annotations

import re

_FIRST_QUOTE = re.compile(r"\[1\] |[^\n]*\n\[1\] ")


def quotes(text: str) -> bool:
    """Whether a reply is an answer's quotes: "[1] …" first, or after the one line of context
    the first quote leans on ("The two nations also agreed…" after the sentence before)."""
    return _FIRST_QUOTE.match(text) is not None
