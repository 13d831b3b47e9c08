"""An OpenAI-compatible chat server on 127.0.0.1 that answers with scripted completions.

    with ScriptedLLM() as llm:
        llm.script(Reply("Russia proposed a ceasefire [1]."))
        ...  # LLM_BASE_URL=llm.base_url; the real langchain-openai client talks to it

Each request to /v1/chat/completions takes the next scripted Reply (the last one repeats):
its text streamed as server-sent events in `pieces` when the request asks to stream (as
ChatOpenAI's stream does), else as one JSON completion; or an error status; `delay` seconds
before the first byte and `pause` between pieces. Requests are kept in `requests`.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

from tests.httpserver import LocalHTTPServer, QuietHandler


@dataclass(frozen=True)
class Reply:
    """One scripted answer of the server."""

    text: str = ""
    status: int = 200
    pieces: int = 4  # how many pieces a streamed text is cut into
    delay: float = 0.0  # seconds before answering: a slow server
    pause: float = 0.0  # seconds between streamed pieces


class ScriptedLLM(LocalHTTPServer):
    """The server; `script` what it says next."""

    def __init__(self) -> None:
        super().__init__(_Handler, name="scripted-llm")
        self.requests: list[dict[str, Any]] = []
        self.stopping = threading.Event()
        self._replies: list[Reply] = [Reply("No script given [1].")]
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        """What LLM_BASE_URL is set to."""
        return self.origin + "/v1"

    def script(self, *replies: Reply) -> None:
        """Answer the next requests with these, in order; the last one repeats."""
        with self._lock:
            self._replies = list(replies)

    def next_reply(self, request: dict[str, Any]) -> Reply:
        with self._lock:
            self.requests.append(request)
            return self._replies.pop(0) if len(self._replies) > 1 else self._replies[0]

    def stop(self) -> None:
        """Release slow replies, then stop serving."""
        self.stopping.set()
        super().stop()


def _chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
    body = {
        "id": "chatcmpl-scripted",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "scripted",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(body)}\n\n".encode()


def _pieces(text: str, count: int) -> list[str]:
    size = max(1, -(-len(text) // max(1, count)))
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


class _Handler(QuietHandler):
    def do_POST(self) -> None:
        server: ScriptedLLM = self.owner
        length = int(self.headers.get("Content-Length") or 0)
        request = json.loads(self.rfile.read(length) or b"{}")
        reply = server.next_reply(request)
        if reply.delay and server.stopping.wait(reply.delay):
            return
        if reply.status != 200:
            error = {"error": {"message": "scripted failure", "type": "server_error"}}
            self.respond(reply.status, json.dumps(error).encode(), "application/json")
            return
        if not request.get("stream"):
            body = {
                "id": "chatcmpl-scripted",
                "object": "chat.completion",
                "created": 0,
                "model": "scripted",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": reply.text},
                        "finish_reason": "stop",
                    }
                ],
            }
            self.respond(200, json.dumps(body).encode(), "application/json")
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        self.wfile.write(_chunk({"role": "assistant", "content": ""}))
        for piece in _pieces(reply.text, reply.pieces):
            if reply.pause and server.stopping.wait(reply.pause):
                return
            self.wfile.write(_chunk({"content": piece}))
            self.wfile.flush()
        self.wfile.write(_chunk({}, "stop"))
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()
        self.close_connection = True
