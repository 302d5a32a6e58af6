"""Mathematical answer equivalence through the ``math-verify`` library (MATH-style LaTeX).

:func:`math_equal` tells whether a predicted answer equals a gold answer as mathematics
(``\\frac{1}{2}`` = ``0.5``, ``\\sqrt{2}/2`` = ``\\frac{\\sqrt2}{2}``, ``(1, 2]`` = ``(1,2]``,
``x+1`` = ``1+x``, sets in any order), using ``math_verify.parse`` / ``math_verify.verify``
(gold first: math-verify is not symmetric). Bare answers are wrapped in ``$...$`` before
parsing; text that already holds ``$``, ``\\(``, ``\\[`` or ``\\boxed`` is parsed as it is.
:func:`latex_equivalent` is the hook used by :func:`econ_env.tasks.answers.check_answer` for
``kind="latex"``: it returns ``None`` when math-verify is not installed (extra
``econ-env[datasets]``), so the string/number comparison stays the fallback.

Safety:

* exception-safe: anything math-verify or sympy raises (including its ``TimeoutException``,
  a ``BaseException``) means "not equal"; answers longer than :data:`MAX_ANSWER_CHARS` are not
  parsed at all;
* timeout-safe: math-verify bounds each parse/compare with ``signal.alarm``, which only works on
  the main thread. On the main thread it runs in-process, and a caller's own ``ITIMER_REAL``
  timer (e.g. pytest-timeout's) is re-armed afterwards with its remaining time instead of being
  cancelled by math-verify's ``alarm(0)``. On any other thread the check runs in one shared
  helper process (``python -c ...``, started on first use, serialised by a lock) whose main
  thread applies the timeouts; if it does not answer within ``3 * timeout_s + 2`` seconds it is
  killed (answer: not equal) and restarted on the next call; a forked child (e.g. a subprocess
  vector env) starts its own helper instead of sharing its parent's pipes;
* results are kept in an LRU cache keyed by ``(pred, gold, timeout_s)``.
"""

from __future__ import annotations

import atexit
import importlib.util
import json
import logging
import math
import os
import select
import signal
import subprocess
import sys
import threading
import time
from functools import lru_cache

__all__ = ["MAX_ANSWER_CHARS", "latex_equivalent", "math_equal", "math_verify_available"]

MAX_ANSWER_CHARS = 2000
_STARTUP_S = 120.0  # the helper imports sympy; generous on a loaded 2-core machine
_log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def math_verify_available() -> bool:
    """Whether ``math-verify`` is installed (``pip install 'econ-env[datasets]'``)."""
    return importlib.util.find_spec("math_verify") is not None


def _wrap(text: str) -> str:
    s = text.strip()
    if "$" in s or "\\boxed" in s or "\\(" in s or "\\[" in s:
        return s
    return f"${s}$"


def _verify_here(pred: str, gold: str, timeout_s: int) -> bool:
    """math-verify in this thread (must be a main thread for the alarm-based timeouts)."""
    from math_verify import parse, verify
    from math_verify.errors import TimeoutException

    try:
        g = parse(_wrap(gold), parsing_timeout=timeout_s)
        p = parse(_wrap(pred), parsing_timeout=timeout_s)
        if not g or not p:
            return False
        return bool(verify(g, p, timeout_seconds=timeout_s))
    except (Exception, TimeoutException):
        _log.debug("math-verify failed on %r vs %r", pred[:80], gold[:80], exc_info=True)
        return False


def _verify_main_thread(pred: str, gold: str, timeout_s: int) -> bool:
    if not hasattr(signal, "setitimer"):  # no SIGALRM: math-verify uses its own processes
        return _verify_here(pred, gold, timeout_s)
    delay, interval = signal.getitimer(signal.ITIMER_REAL)
    start = time.monotonic()
    try:
        return _verify_here(pred, gold, timeout_s)
    finally:
        if delay > 0:  # math-verify's alarm(0) cancelled the caller's timer: re-arm it
            left = delay - (time.monotonic() - start)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3), interval)


class _HelperFailed(RuntimeError):
    """The helper process could not answer (not cached: the next call retries)."""


class _HelperTimeout(_HelperFailed):
    """The helper process did not answer in time (it is killed)."""


class _Helper:
    """One ``python`` child that runs math-verify on its main thread, one request at a time."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._owner = os.getpid()

    def _forget_if_forked(self) -> None:
        """A forked child must not share (or kill) its parent's helper: it starts its own."""
        if self._owner != os.getpid():
            self._proc, self._lock, self._owner = None, threading.Lock(), os.getpid()

    def _readline(self, proc: subprocess.Popen[bytes], wait_s: float) -> str:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], wait_s)
        if not ready:
            raise _HelperTimeout(f"no answer within {wait_s:.0f} s")
        line = proc.stdout.readline()
        if not line:
            raise _HelperFailed("helper process exited")
        return line.decode().strip()

    def _start(self) -> subprocess.Popen[bytes]:
        code = "from econ_env.tasks.math_equiv import _serve; _serve()"
        proc = subprocess.Popen(
            [sys.executable, "-c", code],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")},
        )
        try:
            status = self._readline(proc, _STARTUP_S)
        except _HelperFailed:
            self._kill(proc)
            raise
        if status != "ready":
            self._kill(proc)
            raise _HelperFailed(f"helper process did not start: {status!r}")
        return proc

    @staticmethod
    def _kill(proc: subprocess.Popen[bytes]) -> None:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                pipe.close()

    def ask(self, pred: str, gold: str, timeout_s: int) -> bool:
        request = (json.dumps([pred, gold, timeout_s]) + "\n").encode()
        self._forget_if_forked()
        with self._lock:
            for attempt in (1, 2):  # a helper found dead is restarted once; a hung one is not
                if self._proc is None or self._proc.poll() is not None:
                    self._proc = self._start()
                proc = self._proc
                assert proc.stdin is not None
                try:
                    proc.stdin.write(request)
                    proc.stdin.flush()
                    return self._readline(proc, 3 * timeout_s + 2.0) == "1"
                except (OSError, _HelperFailed) as err:
                    self._kill(proc)
                    self._proc = None
                    if attempt == 2 or isinstance(err, _HelperTimeout):
                        raise _HelperFailed(str(err)) from None
        raise AssertionError("unreachable")

    def close(self) -> None:
        self._forget_if_forked()
        with self._lock:
            if self._proc is not None:
                self._kill(self._proc)
                self._proc = None

    @property
    def pid(self) -> int | None:
        """The helper's process id while it runs (for tests and diagnostics)."""
        self._forget_if_forked()
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None


_HELPER = _Helper()
atexit.register(_HELPER.close)


def _serve() -> None:
    """Helper-process loop: read ``[pred, gold, timeout_s]`` JSON lines, answer ``1``/``0``."""
    out = sys.stdout
    try:
        import math_verify  # noqa: F401
    except ImportError:
        out.write("math-verify is not installed\n")
        out.flush()
        return
    out.write("ready\n")
    out.flush()
    for line in sys.stdin:
        try:
            pred, gold, timeout_s = json.loads(line)
            ok = _verify_here(str(pred), str(gold), int(timeout_s))
        except Exception:
            ok = False
        out.write("1\n" if ok else "0\n")
        out.flush()


@lru_cache(maxsize=16384)
def _math_equal_cached(pred: str, gold: str, timeout_s: int) -> bool:
    if threading.current_thread() is threading.main_thread() or not hasattr(signal, "setitimer"):
        return _verify_main_thread(pred, gold, timeout_s)
    return _HELPER.ask(pred, gold, timeout_s)


def math_equal(pred: str | None, gold: str | None, *, timeout_s: float = 5) -> bool:
    """Whether ``pred`` equals ``gold`` as mathematics according to math-verify.

    ``None``, empty and over-long (> :data:`MAX_ANSWER_CHARS`) answers are never equal; errors
    and timeouts mean "not equal". ``timeout_s`` (> 0, rounded up to whole seconds) bounds each
    parse and comparison. Raises ``ImportError`` naming the extra when math-verify is missing.
    """
    if not isinstance(timeout_s, (int, float)) or not timeout_s > 0 or math.isinf(timeout_s):
        raise ValueError(f"timeout_s must be a finite number > 0, got {timeout_s!r}")
    if not math_verify_available():
        raise ImportError(
            "math_equal needs math-verify: pip install 'econ-env[datasets]' (or math-verify)"
        )
    if pred is None or gold is None:
        return False
    pred, gold = str(pred).strip(), str(gold).strip()
    if not pred or not gold or max(len(pred), len(gold)) > MAX_ANSWER_CHARS:
        return False
    try:
        return _math_equal_cached(pred, gold, math.ceil(timeout_s))
    except _HelperFailed as err:
        _log.warning("math-verify helper process failed (%s); answer counted as not equal", err)
        return False


def latex_equivalent(pred: str | None, gold: str | None) -> bool | None:
    """:func:`math_equal` with the default timeout, or ``None`` when math-verify is missing."""
    if not math_verify_available():
        return None
    return math_equal(pred, gold)
