"""`briefbot ingest` of an archive stays within 1.2 GB resident (issue 24), as a user runs it."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

from ingest.sentences import split_sentences
from tests.conftest import SAMPLE

BRIEFBOT = Path(sys.executable).parent / "briefbot"
LIMIT_KB = 1_200_000
RECORDS = 80  # three batches and more: memory that grew batch by batch would show
# Run the command and print the peak resident memory of its largest process, in kB.
PEAK = (
    "import resource, subprocess, sys; "
    "done = subprocess.run(sys.argv[1:]); "
    "print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def _archive(path: Path, records: int) -> Path:
    text = SAMPLE.read_text(encoding="utf-8")
    sentences = [text[a:b] for a, b in split_sentences(text)][1:]
    rng = random.Random(24)
    with path.open("w", encoding="utf-8") as f:
        for i in range(records):
            picked = rng.sample(sentences, min(12, len(sentences)))
            body = " ".join(f"{s} (item {i}.{j})" for j, s in enumerate(picked))
            f.write(json.dumps({"id": f"r{i}", "title": f"Talks, part {i}", "text": body}) + "\n")
    return path


def test_an_archive_is_ingested_within_the_memory_bound(
    tmp_path: Path, model_exports: Path
) -> None:
    archive = _archive(tmp_path / "archive.jsonl", RECORDS)
    shutil.copytree(model_exports, tmp_path / "data" / "models")  # as a store that has one
    env = {**os.environ, "DATA_DIR": str(tmp_path / "data"), "LOG_LEVEL": "WARNING"}
    done = subprocess.run(
        [sys.executable, "-c", PEAK, str(BRIEFBOT), "ingest", str(archive)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=900,
    )
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    summary, result = done.stdout.strip().splitlines()[-2:]
    code, peak_kb = (int(x) for x in result.split())
    assert code == 0 and summary.startswith(f"{RECORDS} added"), done.stdout[-500:]
    assert peak_kb < LIMIT_KB, f"peak resident memory {peak_kb / 1e6:.2f} GB"
