"""Start a real OpenAI-compatible server (llama-cpp-python's) on loopback, for tests and users.

``with llama_server(smollm2_gguf()) as base_url: ...`` runs
``python -m llama_cpp.server --model PATH --host 127.0.0.1 --port P --n_ctx N`` as a
subprocess on a free loopback port, waits (bounded by ``ready_timeout``) until
``GET /v1/models`` answers, yields ``http://127.0.0.1:P/v1`` and kills the server on exit.
:class:`LlamaServer` is the same thing as an object, for callers that need to stop the server
early (a test that kills it mid-episode) or read its log. Needs ``llama-cpp-python[server]``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType

__all__ = ["LlamaServer", "free_port", "llama_server"]


def free_port() -> int:
    """A TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LlamaServer:
    """A llama-cpp-python server subprocess on 127.0.0.1 (see the module docstring).

    Args:
        model_path: a GGUF file.
        port: the port (default: a free one).
        n_ctx: context length in tokens (>= 128).
        n_threads: CPU threads for generation and prompt processing (>= 1).
        ready_timeout: seconds to wait for the server to answer (> 0).
        extra_args: more command-line arguments for ``llama_cpp.server``.
    """

    def __init__(
        self,
        model_path: str | os.PathLike[str],
        *,
        port: int | None = None,
        n_ctx: int = 2048,
        n_threads: int = 1,
        ready_timeout: float = 120.0,
        extra_args: Sequence[str] = (),
    ) -> None:
        self.model_path = Path(model_path)
        if not self.model_path.is_file():
            raise FileNotFoundError(f"LlamaServer.model_path: no GGUF file at {self.model_path}")
        if port is not None and not 1 <= port <= 65535:
            raise ValueError(f"LlamaServer.port must be in [1, 65535], got {port}")
        if n_ctx < 128:
            raise ValueError(f"LlamaServer.n_ctx must be >= 128, got {n_ctx}")
        if n_threads < 1:
            raise ValueError(f"LlamaServer.n_threads must be >= 1, got {n_threads}")
        if not ready_timeout > 0:
            raise ValueError(f"LlamaServer.ready_timeout must be > 0, got {ready_timeout}")
        self.port = port or free_port()
        self.n_ctx, self.n_threads = n_ctx, n_threads
        self.ready_timeout = float(ready_timeout)
        self.extra_args = tuple(str(a) for a in extra_args)
        self.process: subprocess.Popen[bytes] | None = None
        self._log_path = ""

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def log_path(self) -> str:
        """The server's stdout/stderr log (empty before ``start``)."""
        return self._log_path

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(self.model_path),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--n_ctx",
            str(self.n_ctx),
            "--n_threads",
            str(self.n_threads),
            "--n_threads_batch",
            str(self.n_threads),
            *self.extra_args,
        ]

    def log_tail(self, chars: int = 2000) -> str:
        with contextlib.suppress(OSError):
            return Path(self.log_path).read_text(errors="replace")[-chars:]
        return ""

    def start(self) -> str:
        """Start the server and wait until it answers; returns the base URL."""
        if self.process is not None:
            return self.base_url
        env = {**os.environ, "OMP_NUM_THREADS": str(self.n_threads)}
        fd, self._log_path = tempfile.mkstemp(prefix="llama_server_", suffix=".log")
        try:
            self.process = subprocess.Popen(
                self.command(), stdout=fd, stderr=subprocess.STDOUT, env=env
            )
        finally:
            os.close(fd)
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                self.process = None
                raise RuntimeError(
                    f"llama_cpp.server exited with code {code} before answering on "
                    f"{self.base_url}; log {self.log_path}:\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(f"{self.base_url}/models", timeout=2.0) as resp:
                    if resp.status == 200:
                        return self.base_url
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        self.stop()
        raise TimeoutError(
            f"llama_cpp.server did not answer on {self.base_url} within {self.ready_timeout:g}s;"
            f" log {self.log_path}:\n{self.log_tail()}"
        )

    def stop(self, *, kill: bool = False) -> None:
        """Stop the server: SIGTERM then, after 10 s, SIGKILL (``kill=True``: SIGKILL at once)."""
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            proc.wait(timeout=10.0)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10.0)

    def __enter__(self) -> LlamaServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
        if exc_type is None and self._log_path:  # keep the log for a failed block
            with contextlib.suppress(OSError):
                os.unlink(self.log_path)


@contextlib.contextmanager
def llama_server(
    model_path: str | os.PathLike[str],
    *,
    port: int | None = None,
    n_ctx: int = 2048,
    n_threads: int = 1,
    ready_timeout: float = 120.0,
    extra_args: Sequence[str] = (),
) -> Iterator[str]:
    """Run a llama-cpp-python server for the ``with`` block; yields its base URL."""
    with LlamaServer(
        model_path,
        port=port,
        n_ctx=n_ctx,
        n_threads=n_threads,
        ready_timeout=ready_timeout,
        extra_args=extra_args,
    ) as server:
        yield server.base_url
