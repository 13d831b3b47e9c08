"""The ingest pipeline over many sources: summary per source, failures never stop the rest."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from ingest.fetch import UrlFetcher
from ingest.pipeline import BATCH_SIZE, Ingester
from tests.conftest import SAMPLE


def test_mixed_sources_report_each_outcome(ingester: Ingester, tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("# Ceasefire notes\n\nThe ceasefire held overnight.\n")
    (tmp_path / "photo.png").write_bytes(b"\x89PNG\r\n")
    (tmp_path / "empty.txt").write_text("   \n")
    with UrlFetcher() as fetcher:
        results = ingester.ingest_sources(
            [
                str(SAMPLE),
                str(tmp_path / "notes.md"),
                str(tmp_path / "photo.png"),
                str(tmp_path / "empty.txt"),
                str(tmp_path / "missing.txt"),
                str(SAMPLE),
            ],
            fetcher,
        )
    assert [r.status for r in results] == [
        "added",
        "added",
        "failed",
        "failed",
        "failed",
        "unchanged",
    ]
    failures = [r.error for r in results if r.status == "failed"]
    assert "photo.png" in failures[0] and ".png" in failures[0]
    assert "empty.txt" in failures[1]
    assert "missing.txt" in failures[2]
    assert results[1].briefing is not None and results[1].briefing.title == "Ceasefire notes"


def test_stdin_and_directories(ingester: Ingester, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Talks resumed in Istanbul on Monday.\n")
    (tmp_path / "b.txt").write_text("Prisoners were exchanged on Tuesday.\n")
    stdin = io.StringIO("date 2025-06-03 The ceasefire was extended by a day.")
    seen = []
    with UrlFetcher() as fetcher:
        results = ingester.ingest_sources(
            [str(tmp_path), "-"], fetcher, stdin=stdin, progress=seen.append
        )
    assert [r.status for r in results] == ["added", "added", "added"]
    assert seen == results
    assert results[2].briefing is not None and results[2].briefing.source == "stdin"
    assert str(results[2].briefing.published) == "2025-06-03"


def test_listeners_hear_only_new_or_changed_briefings(ingester: Ingester) -> None:
    heard = []
    ingester.on_ingested(heard.append)
    with UrlFetcher() as fetcher:
        ingester.ingest_sources([str(SAMPLE), str(SAMPLE)], fetcher)
    assert [r.status for r in heard] == ["added"]


def _archive(path: Path, count: int, bad_line: int | None = None) -> Path:
    rows = [
        json.dumps({"id": f"n{i}", "title": f"Note {i}", "text": f"Round {i} of talks ended."})
        for i in range(count)
    ]
    if bad_line is not None:
        rows[bad_line - 1] = "{not json"
    path.write_text("\n".join(rows) + "\n")
    return path


def test_a_jsonl_archive_is_read_as_it_is_stored(ingester: Ingester, tmp_path: Path) -> None:
    """Never the whole archive in memory: when the first batch's results come, the reader has
    read only that batch (and the check of the whole file before it)."""
    archive = _archive(tmp_path / "archive.jsonl", 3 * BATCH_SIZE + 5)
    handed: list[str] = []
    store = ingester.store
    original = store.write_many

    def write_many(batch: Any) -> Any:
        handed.extend(rows.record.id for rows in batch)
        return original(batch)

    store.write_many = write_many  # type: ignore[method-assign]
    with UrlFetcher() as fetcher:
        stream = ingester.stream_sources([str(archive)], fetcher)
        first = [next(stream) for _ in range(BATCH_SIZE)]
        assert len(handed) == BATCH_SIZE  # one batch stored, the rest not yet read
        rest = list(stream)
    assert [r.status for r in first + rest] == ["added"] * (3 * BATCH_SIZE + 5)
    assert len(handed) == 3 * BATCH_SIZE + 5
    assert store.record(f"n{3 * BATCH_SIZE + 4}") is not None


def test_a_bad_line_fails_the_archive_before_any_of_it_is_stored(
    ingester: Ingester, tmp_path: Path
) -> None:
    archive = _archive(tmp_path / "archive.jsonl", 2 * BATCH_SIZE, bad_line=2 * BATCH_SIZE - 1)
    with UrlFetcher() as fetcher:
        results = ingester.ingest_sources([str(archive), str(SAMPLE)], fetcher)
    assert [r.status for r in results] == ["failed", "added"]
    assert f"line {2 * BATCH_SIZE - 1}" in results[0].error
    assert ingester.store.record("n0") is None
