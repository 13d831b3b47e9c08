"""A real `briefbot ingest` killed with SIGKILL at points chosen by its progress, again and again:
nothing half-written is ever visible, a re-run completes without duplicates, `briefbot check`
finds nothing wrong and SQLite's integrity check passes.

`make test` kills it at 3 points; `make test-reliability` at 20 (CRASH_POINTS=20).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

BRIEFBOT = Path(sys.executable).parent / "briefbot"
BRIEFINGS = 100
POINTS = int(os.environ.get("CRASH_POINTS", "3"))


def corpus(path: Path) -> None:
    """BRIEFINGS dated briefings of three sentences each, as one .jsonl file."""
    with path.open("w", encoding="utf-8") as f:
        for n in range(BRIEFINGS):
            text = (
                f"Round {n} of the harbour talks opened in Istanbul on Monday. "
                f"The delegations discussed {n} proposals on shipping lanes. "
                f"Officials said round {n} would end on Friday."
            )
            row = {"id": f"round-{n:03}", "title": f"Round {n}", "text": text,
                   "date": f"2025-{1 + n % 12:02}-{1 + n % 28:02}"}  # fmt: skip
            f.write(json.dumps(row) + "\n")


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BRIEFBOT), *args], capture_output=True, text=True, env=env, timeout=300
    )


def ingest_until_killed(source: Path, env: dict[str, str], after: int) -> bool:
    """Start an ingest and SIGKILL it once it has logged `after` stored briefings (0: as soon
    as its services are ready, before any write). True if it was killed before it finished."""
    proc = subprocess.Popen(
        [str(BRIEFBOT), "ingest", str(source)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**env, "LOG_LEVEL": "INFO"},
    )
    assert proc.stderr is not None
    stored = 0
    killed = False
    for line in proc.stderr:
        if "briefing round-" in line:
            stored += 1
        if ("services ready" in line and after == 0) or (after and stored >= after):
            proc.send_signal(signal.SIGKILL)
            killed = True
            break
    proc.wait(timeout=300)
    proc.stderr.close()
    return killed


def listed(env: dict[str, str]) -> list[dict[str, object]]:
    done = run(["list", "--json"], env)
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout))


def test_sigkill_at_many_points_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    source = tmp_path / "rounds.jsonl"
    corpus(source)
    env = {**os.environ, "DATA_DIR": str(tmp_path / "data"), "CHROMA_HOST": ""}
    points = sorted({round(i * (BRIEFINGS - 1) / max(POINTS - 1, 1)) for i in range(POINTS)})
    kills = 0
    for after in points:
        kills += ingest_until_killed(source, env, after)
        records = listed(env)  # a fresh process: what a restart sees
        # Only whole briefings are visible: each listed one has all its sentences.
        assert all(r["sentences"] == 3 for r in records), records
        assert len({r["id"] for r in records}) == len(records)
        checked = run(["check"], env)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "catalogue: ok" in checked.stdout
    assert kills >= 1  # at least one point caught it mid-run
    final = run(["ingest", str(source)], env)
    assert final.returncode == 0, final.stdout + final.stderr
    records = listed(env)
    assert sorted(r["id"] for r in records) == [f"round-{n:03}" for n in range(BRIEFINGS)]
    checked = run(["check"], env)
    assert checked.returncode == 0
    assert "removed 0 unfinished or replaced writes and 0 rows of no briefing" in checked.stdout
    for name in ("catalogue.db", "state.db"):
        with sqlite3.connect(tmp_path / "data" / name) as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    answered = run(["ask", "What did round 42 discuss?", "--json"], env)
    assert answered.returncode == 0
    assert "round-042" in {c["doc_id"] for c in json.loads(answered.stdout)["citations"]}
