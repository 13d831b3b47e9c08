"""The ingest pipeline over many sources: summary per source, failures never stop the rest."""

from __future__ import annotations

import io
from pathlib import Path

from ingest.fetch import UrlFetcher
from ingest.pipeline import Ingester
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
