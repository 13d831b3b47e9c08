"""The real-pages set (bot/evaluation/real_pages) is consistent: its labels name whole lines of
its documents, answers stand on lines that are not furniture, groups and timelines name its
documents. `make eval` prints what briefbot makes of it (bot/evaluation/real_pages.py)."""

from __future__ import annotations

import json
from typing import Any

from bot.evaluation.real_pages import PAGES_SET, on_furniture


def _rows(name: str) -> list[dict[str, Any]]:
    text = (PAGES_SET / name).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


DOCUMENTS = {d["id"]: d for d in _rows("documents.jsonl")}
FURNITURE = {r["doc_id"]: set(r["lines"]) for r in _rows("furniture.jsonl")}


def test_furniture_labels_are_whole_lines_and_answers_stand_on_body_lines() -> None:
    for doc_id, lines in FURNITURE.items():
        blocks = DOCUMENTS[doc_id]["text"].split("\n\n")
        assert lines <= set(blocks), doc_id
        assert not set(blocks) <= lines, doc_id  # every document has a story
    for q in _rows("questions.jsonl"):
        blocks = DOCUMENTS[q["doc_id"]]["text"].split("\n\n")
        body = [b for b in blocks if not on_furniture(b, FURNITURE.get(q["doc_id"], set()))]
        assert all(any(a in b for b in body) for a in q["answers"]), q["id"]


def test_duplicate_groups_and_timelines_name_documents_of_the_set() -> None:
    groups = json.loads((PAGES_SET / "duplicates.json").read_text(encoding="utf-8"))
    for group in groups["same_article"]:
        assert len({" ".join(DOCUMENTS[i]["text"].split()) for i in group}) == 1
    for group in groups["same_story"]:
        assert len(group) == 2 and all(i in DOCUMENTS for i in group)
    for t in _rows("timelines.jsonl"):
        assert set(t["milestones"]) <= set(t["on_topic"])
        assert all(DOCUMENTS[i]["date"] < t["as_of"] for i in t["on_topic"] + t["off_topic"])
