"""The inbox through which `briefbot ingest` hands briefings to a running bot."""

from __future__ import annotations

import json
from pathlib import Path

from bot.inbox import hand_over, pending_jobs, process_inbox
from ingest.pipeline import Ingester
from tests.bot.alerts.alert_examples import briefing


def test_a_job_is_written_whole_and_ingested_once(tmp_path: Path, ingester: Ingester) -> None:
    items = [briefing("istanbul-a"), briefing("ecb-rates")]
    job = hand_over(tmp_path, items)
    assert pending_jobs(tmp_path) == [job]
    assert [p.name for p in job.parent.iterdir()] == [job.name]  # no temporary file left
    assert json.loads(job.read_text())["briefings"][0]["published"] == "2025-06-02"
    results = process_inbox(tmp_path, ingester)
    assert [r.status for r in results] == ["added", "added"]
    assert [r.briefing for r in results] == items  # every field survives the trip
    assert pending_jobs(tmp_path) == []
    assert process_inbox(tmp_path, ingester) == []


def test_an_unreadable_job_is_set_aside_and_the_next_one_still_runs(
    tmp_path: Path, ingester: Ingester
) -> None:
    (tmp_path / "inbox").mkdir()
    (tmp_path / "inbox" / "0-broken.json").write_text("{not json")
    (tmp_path / "inbox" / ".job-half.tmp").write_text("{")  # a job being written: ignored
    hand_over(tmp_path, [briefing("geneva-talks")])
    [result] = process_inbox(tmp_path, ingester)
    assert result.status == "added"
    assert (tmp_path / "inbox" / "failed" / "0-broken.json").exists()
    assert (tmp_path / "inbox" / ".job-half.tmp").exists()
