"""A time budget for reading HTML and PDF: large inputs are read in a child process that is
killed at the deadline.

trafilatura and pypdf are pure Python over lxml and zlib and cannot be interrupted in a
thread: a 2 MB page of table rows took 16 s to extract, a 30 MB one minutes, holding an ingest
thread all the while. Small inputs (most articles) are read in this process, where their
worst case is a second or two; anything larger is handed to `python -m ingest.time_budget`,
which gets the call on stdin and answers on stdout, and is killed when the deadline passes.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

from ingest.errors import IngestError

EXTRACT_DEADLINE = 60.0  # seconds to read one large page or PDF
IN_PROCESS_BYTES = 250_000  # inputs up to this size are read here, without a child
_ROOT = Path(__file__).resolve().parent.parent


def within_deadline(
    name: str, args: tuple[Any, ...], size: int, source: str, deadline: float
) -> Any:
    """Call ingest.extract's `name` with args: here if size is small, else in a child process
    given `deadline` seconds; IngestError when it runs out of time or the child fails."""
    from ingest import extract

    if size <= IN_PROCESS_BYTES:
        return getattr(extract, name)(*args)
    # The child gets no secrets, nor anything of this process's environment: its Python is
    # this one (sys.executable, which finds its own packages), this package is on PYTHONPATH,
    # and it reads and writes bytes only.
    env = {"PYTHONPATH": str(_ROOT)}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "ingest.time_budget"],
            input=pickle.dumps((name, args)),
            capture_output=True,
            timeout=deadline,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired as e:
        raise IngestError(
            source,
            f"reading it took longer than {deadline:g} s; "
            "send the article's own page or paste its text",
        ) from e
    except OSError as e:
        raise IngestError(source, f"it could not be read here ({e.strerror or e})") from e
    if done.returncode != 0 or not done.stdout:
        raise IngestError(
            source,
            f"reading it failed (the reader stopped with exit code {done.returncode}); "
            "send a smaller file or paste its text",
        )
    outcome, value = pickle.loads(done.stdout)  # written by the child below, not by a sender
    if outcome == "error":
        raise IngestError(source, value)
    return value


def _child() -> int:
    """Read one (name, args) call from stdin, write ("ok", result) or ("error", reason)."""
    from ingest import extract

    name, args = pickle.loads(sys.stdin.buffer.read())
    try:
        result: tuple[str, Any] = ("ok", getattr(extract, name)(*args))
    except IngestError as e:
        result = ("error", e.reason)
    except Exception as e:  # bad data can fail the parsers in many ways
        reason = " ".join(str(e).split())[:120] or type(e).__name__
        result = ("error", f"it could not be read ({reason})")
    sys.stdout.buffer.write(pickle.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(_child())
