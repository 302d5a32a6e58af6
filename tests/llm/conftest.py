"""Fixtures of the llm tests: a scripted OpenAI-compatible server on loopback (stdlib
``http.server`` in a thread) that answers each chat request with the next scripted answer, or a
valid one built from the request when the script is used up."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

MODEL = "fake-model"


def chat_answer(
    text: str = "The answer is \\boxed{4}.",
    prompt_tokens: Any = 12,
    completion_tokens: Any = 5,
    logprobs: list[Any] | None = None,
    top: list[Any] | None = None,
    finish_reason: str = "stop",
    model: str = MODEL,
) -> dict[str, Any]:
    """A well-formed chat.completions answer (override any field to break it)."""
    lps = [-0.25, -0.5] if logprobs is None else logprobs
    tops = [-0.1, -2.5] if top is None else top
    content = [
        {"token": "x", "logprob": lp, "top_logprobs": [{"token": "y", "logprob": t} for t in tops]}
        for lp in lps
    ]
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "logprobs": {"content": content},
                "finish_reason": finish_reason,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": 0,
        },
    }


class FakeOpenAI:
    """A loopback chat server answering with scripted ``(status, content_type, body)`` answers.

    ``script`` is consumed one answer per chat request; afterwards every request gets
    ``chat_answer(model=<the request's model>)``. ``bodies`` holds the JSON bodies received.
    """

    def __init__(self) -> None:
        self.script: list[tuple[int, str, bytes]] = []
        self.bodies: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep pytest output clean
                pass

            def _send(self, status: int, ctype: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                body = json.dumps({"object": "list", "data": [{"id": MODEL}]}).encode()
                self._send(200, "application/json", body)

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                request = json.loads(raw)
                with fake._lock:
                    fake.bodies.append(request)
                    scripted = fake.script.pop(0) if fake.script else None
                if scripted is None:
                    answer = chat_answer(model=request.get("model", MODEL))
                    scripted = (200, "application/json", json.dumps(answer).encode())
                self._send(*scripted)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    def answer(self, body: Any, status: int = 200, content_type: str = "application/json") -> None:
        """Script the next answer: bytes or str as they are, anything else as JSON (NaN and
        Infinity written as Python's ``json`` writes them)."""
        if not isinstance(body, (str, bytes)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        self.script.append((status, content_type, body))

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    """A fresh scripted OpenAI-compatible server on loopback."""
    server = FakeOpenAI()
    try:
        yield server
    finally:
        server.close()
