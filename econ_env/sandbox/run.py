"""One-shot sandboxed Python: :func:`run_python` and the mapping of outcomes to a status.

``run_python(code, limits=...)`` makes a fresh temporary directory, writes ``files`` and the
code (``main.py``) into it, runs ``python -I -B guard.py WORKDIR main.py`` through
:func:`~econ_env.sandbox.spawn.spawn`, and removes the directory afterwards. The outcome
(:func:`classify`):

* ``timeout``: the wall clock ran out (the tree was killed) or the CPU limit was hit (SIGXCPU,
  or SIGKILL at the hard CPU limit);
* ``blocked``: the guard stopped a call (exit status 86, ``blocked: <event> <detail>``);
* ``memory``: a ``MemoryError`` ended the script;
* ``passed``: exit status 0; ``failed``: another nonzero exit status (an uncaught exception such
  as ``AssertionError``; the reason is the traceback's last line);
* ``crashed``: killed by another signal (e.g. SIGSEGV at the address-space limit).
"""

from __future__ import annotations

import os
import shutil
import signal
import stat
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

from econ_env.sandbox.limits import Limits, SandboxResult
from econ_env.sandbox.spawn import DEFAULT_OUTPUT_CAP, communicate, spawn

__all__ = ["GUARD_PATH", "classify", "run_python"]

GUARD_PATH = Path(__file__).with_name("guard.py")
"""The guard script run in the child (:mod:`econ_env.sandbox.guard`)."""
BLOCKED_EXIT = 86
_SCRIPT = "main.py"
_MAX_FILES = 64
_MAX_FILE_BYTES = 16 * 2**20


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1][:500] if lines else ""


def _signal_name(num: int) -> str:
    try:
        return signal.Signals(num).name
    except ValueError:
        return f"signal {num}"


def classify(
    returncode: int | None, stderr: str, timed_out: bool, limits: Limits
) -> tuple[str, str]:
    """``(status, reason)`` of a finished run (rules in the module docstring).

    A return code of ``128 + n`` is read as signal ``n`` too (the namespace wrappers report a
    killed child that way).
    """
    if timed_out:
        return "timeout", f"wall time limit of {limits.wall_s:g} s exceeded (process tree killed)"
    if returncode is None:
        return "crashed", "the process did not start"
    sig = -returncode if returncode < 0 else returncode - 128 if 128 < returncode < 160 else 0
    last = _last_line(stderr)
    if returncode == BLOCKED_EXIT and last.startswith("blocked:"):
        return "blocked", last
    if sig == signal.SIGXCPU:
        return "timeout", f"CPU time limit of {limits.cpu_s:g} s exceeded (SIGXCPU)"
    if "MemoryError" in last or last.startswith("MemoryError"):
        return "memory", f"memory limit of {limits.memory_bytes} bytes: {last}"
    if sig == signal.SIGKILL:
        return "timeout", f"killed (SIGKILL) at the hard CPU time limit of {limits.cpu_s:g} s"
    if sig == signal.SIGXFSZ:
        return "failed", f"file size limit of {limits.file_bytes} bytes exceeded (SIGXFSZ)"
    if sig:
        return "crashed", f"killed by {_signal_name(sig)}" + (f": {last}" if last else "")
    if returncode == 0:
        return "passed", "exit status 0"
    return "failed", last or f"exit status {returncode}"


def _remove_tree(path: str) -> None:
    def onerror(func, p, _exc):
        try:
            os.chmod(p, stat.S_IRWXU)
            parent = os.path.dirname(p)
            os.chmod(parent, stat.S_IRWXU)
            func(p)
        except OSError:
            pass

    shutil.rmtree(path, onerror=onerror)


def _write_files(workdir: str, files: Mapping[str, str]) -> None:
    if len(files) > _MAX_FILES:
        raise ValueError(f"files: at most {_MAX_FILES} files, got {len(files)}")
    for name, text in files.items():
        if (
            not isinstance(name, str)
            or not name
            or name.startswith("/")
            or ".." in name.split("/")
            or name == _SCRIPT
        ):
            raise ValueError(
                f"files: {name!r} must be a relative path inside the work directory "
                f"(no '..', not {_SCRIPT!r})"
            )
        if not isinstance(text, str) or len(text) > _MAX_FILE_BYTES:
            raise ValueError(f"files[{name!r}] must be a str of at most {_MAX_FILE_BYTES} chars")
        target = os.path.join(workdir, name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w", encoding="utf-8") as f:
            f.write(text)


def run_python(
    code: str,
    *,
    limits: Limits | None = None,
    files: Mapping[str, str] | None = None,
    isolation: str | None = None,
    output_cap: int = DEFAULT_OUTPUT_CAP,
    stdin: str | None = None,
) -> SandboxResult:
    """Run ``code`` once in a fresh sandbox and return what happened (never raises for
    anything the code does).

    Args:
        code: the Python source of the script (run as ``__main__``).
        limits: resource limits (default :class:`Limits`()).
        files: extra files written into the work directory first (relative path -> text).
        isolation: force ``"bwrap"`` / ``"unshare"`` / ``"none"``; ``None``: the strongest.
        output_cap: bytes of stdout / stderr kept.
        stdin: text fed to the script's standard input (default: none, stdin closed).
    """
    if not isinstance(code, str):
        raise ValueError(f"code must be a str, got {type(code).__name__}")
    if len(code) > _MAX_FILE_BYTES:
        raise ValueError(f"code must be at most {_MAX_FILE_BYTES} characters, got {len(code)}")
    limits = limits if limits is not None else Limits()
    if not isinstance(output_cap, int) or output_cap <= 0:
        raise ValueError(f"output_cap must be an integer > 0, got {output_cap!r}")
    workdir = os.path.realpath(tempfile.mkdtemp(prefix="econ-sandbox-"))
    start = time.monotonic()
    mode = "none"
    try:
        _write_files(workdir, files or {})
        with open(os.path.join(workdir, _SCRIPT), "w", encoding="utf-8") as f:
            f.write(code)
        argv = [sys.executable, "-I", "-B", str(GUARD_PATH), workdir, _SCRIPT]
        try:
            proc = spawn(argv, workdir=workdir, limits=limits, isolation=isolation)
        except OSError as exc:
            return SandboxResult("crashed", f"could not start: {exc}", None, "", "", 0.0, mode)
        mode = proc.sandbox_isolation  # type: ignore[attr-defined]
        data = stdin.encode("utf-8") if stdin is not None else None
        out, err, timed_out = communicate(
            proc, wall_s=limits.wall_s, cap=output_cap, stdin_data=data
        )
        stderr = err.decode("utf-8", "replace")
        status, reason = classify(proc.returncode, stderr, timed_out, limits)
        return SandboxResult(
            status=status,
            reason=reason,
            returncode=proc.returncode,
            stdout=out.decode("utf-8", "replace"),
            stderr=stderr,
            wall_s=time.monotonic() - start,
            isolation=mode,
        )
    finally:
        _remove_tree(workdir)
