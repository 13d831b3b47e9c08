"""The labelled examples behind the alert thresholds (tests/bot/alert_examples.json)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from ingest.loaders import load_text
from retrieval.types import Briefing

EXAMPLES = Path(__file__).parent / "alert_examples.json"


def examples() -> dict[str, Any]:
    """briefings {key: {title, text}}, topics {topic: [matching keys]}, same_story [[a, b]]."""
    return json.loads(EXAMPLES.read_text(encoding="utf-8"))


def briefing(key: str, *, url: str | None = None, day: date | None = None) -> Briefing:
    """One example as a Briefing (url defaults to a per-example address on example.org)."""
    found = examples()["briefings"][key]
    return load_text(
        found["text"],
        f"test:{key}",
        url=url or f"https://news.example.org/{key}",
        title=found["title"],
        published=day or date(2025, 6, 2),
    )
