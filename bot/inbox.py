"""The inbox: how `briefbot ingest` hands briefings to a bot that holds the data directory.

In embedded mode the running bot owns DATA_DIR/chroma (one process only). The command line then
loads its sources itself (files, stdin, URLs: errors are reported at once) and writes the
briefings to DATA_DIR/inbox/ as one JSON job file, atomically (a temporary file renamed into
place), so the bot never reads half a job. The bot checks the inbox every few seconds, ingests
each job through the normal pipeline (the alerts follow as for any other briefing) and deletes
it; a job it cannot read is moved to inbox/failed/. Re-reading a job after a crash is harmless:
ingesting the same content again changes nothing.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ingest.pipeline import Ingester, IngestResult
from retrieval.errors import BriefbotError, StoreError
from retrieval.types import Briefing, parse_day

log = logging.getLogger(__name__)

INBOX = "inbox"
JOB_SUFFIX = ".json"


def inbox_dir(data_dir: Path) -> Path:
    """DATA_DIR/inbox."""
    return data_dir / INBOX


def _briefing_json(briefing: Briefing) -> dict[str, Any]:
    fields = asdict(briefing)
    fields["published"] = briefing.published.isoformat() if briefing.published else None
    return fields


def _briefing_from(fields: dict[str, Any]) -> Briefing:
    published = fields.get("published")
    return Briefing(
        **{
            **fields,
            "published": parse_day(published),
            "aliases": tuple(fields.get("aliases") or ()),
        }
    )


def hand_over(data_dir: Path, briefings: list[Briefing]) -> Path:
    """Write the briefings as one job into the inbox, atomically; returns the job's path."""
    folder = inbox_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}{JOB_SUFFIX}"
    job = {"version": 1, "briefings": [_briefing_json(b) for b in briefings]}
    # The temporary file is hidden and has another suffix, so the bot never picks it up.
    fd, tmp = tempfile.mkstemp(prefix=".job-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(job, out, ensure_ascii=False)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, folder / name)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return folder / name


def pending_jobs(data_dir: Path) -> list[Path]:
    """Job files waiting in the inbox, oldest first."""
    folder = inbox_dir(data_dir)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix == JOB_SUFFIX and p.is_file())


def process_inbox(data_dir: Path, ingester: Ingester) -> list[IngestResult]:
    """Ingest every waiting job and delete it; unreadable jobs go to inbox/failed/."""
    results: list[IngestResult] = []
    for path in pending_jobs(data_dir):
        try:
            job = json.loads(path.read_text(encoding="utf-8"))
            briefings = [_briefing_from(b) for b in job["briefings"]]
        except (OSError, ValueError, KeyError, TypeError) as e:
            failed = path.parent / "failed"
            failed.mkdir(exist_ok=True)
            os.replace(path, failed / path.name)
            log.error("inbox job %s unreadable (%s); moved to %s", path.name, e, failed)
            continue
        for briefing in briefings:
            try:
                results.append(ingester.ingest(briefing))
            except StoreError:
                raise  # the store is down: keep the job for the next check
            except BriefbotError as e:
                log.warning("inbox job %s: %s", path.name, e)
                results.append(IngestResult(briefing.source, "failed", briefing, error=str(e)))
            except Exception:  # a bug must not lose the other briefings of the job
                log.exception("inbox job %s: unexpected failure", path.name)
                results.append(IngestResult(briefing.source, "failed", briefing, error="bug"))
        path.unlink(missing_ok=True)
        counts = {s: sum(r.status == s for r in results) for s in ("added", "updated", "failed")}
        log.info("inbox job %s done: %s", path.name, counts)
    return results
