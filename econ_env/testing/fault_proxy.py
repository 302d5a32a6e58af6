"""A loopback HTTP proxy that injects scripted faults, for testing clients of HTTP servers.

``FaultProxy(upstream, plan=["429", "500", "drop", "pass"])`` listens on ``127.0.0.1`` (a free
port) and answers the i-th request with ``plan[i]``; once the plan is used up every request
passes. Actions:

- ``"pass"``: forward the request to ``upstream`` and relay its response;
- ``"429"``, ``"500"``, ``"503"`` or any other HTTP status ``"NNN"``: answer with that status
  and a small JSON error body, without contacting the upstream;
- ``"drop"``: read the request, then close the connection without answering;
- ``"sleep:S"``: wait ``S`` seconds, then forward (to trigger client timeouts).

It is bounded and stops by itself: only loopback upstreams are accepted, the listener serves at
most ``max_requests`` requests and shuts down after ``lifetime`` seconds even if nobody stops
it. ``counts`` records how many requests got each action, ``requests`` how many arrived. Use it
as a context manager: ``with FaultProxy(url, plan=[...]) as proxy: proxy.base_url``.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections import Counter
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlparse

__all__ = ["FaultProxy"]

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
_HOP_HEADERS = {"host", "connection", "keep-alive", "transfer-encoding", "content-length"}


def _check_action(action: str) -> str:
    if action in ("pass", "drop"):
        return action
    if action.startswith("sleep:"):
        try:
            seconds = float(action[6:])
        except ValueError:
            seconds = -1.0
        if 0 <= seconds <= 60:
            return action
    elif action.isdigit() and 400 <= int(action) <= 599:
        return action
    raise ValueError(
        f"FaultProxy.plan: unknown action {action!r}; use 'pass', 'drop', 'sleep:S' (0-60) "
        "or an HTTP error status 400-599"
    )


class FaultProxy:
    """A threaded loopback proxy with a scripted fault plan (see the module docstring)."""

    def __init__(
        self,
        upstream: str,
        plan: Sequence[str] = (),
        *,
        lifetime: float = 300.0,
        max_requests: int = 10_000,
    ) -> None:
        url = urlparse(upstream)
        if url.scheme != "http" or url.hostname not in LOOPBACK_HOSTS or url.port is None:
            raise ValueError(
                f"FaultProxy.upstream must be an http URL on loopback with a port, got {upstream!r}"
            )
        if not 0 < lifetime <= 3600:
            raise ValueError(f"FaultProxy.lifetime must be in (0, 3600] seconds, got {lifetime}")
        if not 1 <= max_requests <= 1_000_000:
            raise ValueError(f"FaultProxy.max_requests must be in [1, 1e6], got {max_requests}")
        self.upstream_host, self.upstream_port = url.hostname, url.port
        self.upstream_path = url.path.rstrip("/")
        self.plan = [_check_action(a) for a in plan]
        self.lifetime, self.max_requests = float(lifetime), int(max_requests)
        self.counts: Counter[str] = Counter()
        self.requests = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._timer: threading.Timer | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FaultProxy is not running; call start() or use it in a with")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """The proxy's URL with the upstream's path, e.g. ``http://127.0.0.1:PORT/v1``."""
        return f"http://127.0.0.1:{self.port}{self.upstream_path}"

    def next_action(self) -> str | None:
        """The action for the next request (``None`` once ``max_requests`` were served)."""
        with self._lock:
            if self.requests >= self.max_requests:
                return None
            action = self.plan[self.requests] if self.requests < len(self.plan) else "pass"
            self.requests += 1
            self.counts[action] += 1
            return action

    def start(self) -> FaultProxy:
        """Start listening (idempotent)."""
        if self._server is not None:
            return self
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                action = proxy.next_action()
                if action is None or action == "drop":
                    self.close_connection = True
                    return
                if action.isdigit():
                    self._reply(int(action), {"error": {"message": f"injected {action}"}})
                    return
                if action.startswith("sleep:"):
                    threading.Event().wait(float(action[6:]))
                self._forward(body)

            def _reply(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _forward(self, body: bytes) -> None:
                conn = http.client.HTTPConnection(
                    proxy.upstream_host, proxy.upstream_port, timeout=proxy.lifetime
                )
                try:
                    headers = {
                        k: v for k, v in self.headers.items() if k.lower() not in _HOP_HEADERS
                    }
                    conn.request(self.command, self.path, body=body or None, headers=headers)
                    resp = conn.getresponse()
                    data = resp.read()
                    self.send_response(resp.status)
                    for k, v in resp.getheaders():
                        if k.lower() not in _HOP_HEADERS:
                            self.send_header(k, v)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    self.close_connection = True  # upstream gone: the client sees a drop
                finally:
                    conn.close()

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        self._timer = threading.Timer(self.lifetime, self.stop)
        self._timer.daemon = True
        self._timer.start()
        return self

    def stop(self) -> None:
        """Stop listening (idempotent; also called by the lifetime timer)."""
        server, self._server = self._server, None
        if self._timer is not None and self._timer is not threading.current_thread():
            self._timer.cancel()
        if server is not None:
            server.shutdown()
            server.server_close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
