"""Start a command in the sandbox (:func:`spawn`), read its output capped (:func:`communicate`)
and kill its whole tree (:func:`kill_tree`).

A spawned process is never the caller's: it is a new process in its own session and process
group, with rlimits set in the child before ``exec``, a minimal environment, the work directory
as cwd and ``HOME``, and the namespaces of :func:`~econ_env.sandbox.isolation.isolation` around
it. :func:`communicate` reads stdout and stderr with one ``selectors`` loop keeping at most
``cap`` bytes of each (the rest is drained and dropped), kills the tree at the wall-clock
deadline and always reaps, so no zombie or stray process group is left.
"""

from __future__ import annotations

import contextlib
import math
import os
import resource
import selectors
import signal
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from econ_env.sandbox.isolation import resolve_isolation, wrap_argv
from econ_env.sandbox.limits import Limits

__all__ = ["DEFAULT_OUTPUT_CAP", "communicate", "kill_tree", "minimal_env", "spawn"]

DEFAULT_OUTPUT_CAP = 64 * 1024
"""Bytes of stdout / stderr kept by :func:`communicate` by default."""
_PIPE = subprocess.PIPE


def minimal_env(workdir: Path | str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The child's environment: PATH, HOME and TMPDIR (the work directory), LANG,
    PYTHONHASHSEED=0, OMP_NUM_THREADS=1, plus ``extra``."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(workdir),
        "TMPDIR": str(workdir),
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "OMP_NUM_THREADS": "1",
    }
    if extra:
        env.update({str(k): str(v) for k, v in extra.items()})
    return env


def _preexec(limits: Limits):
    cpu = max(1, math.ceil(limits.cpu_s))
    pairs = (
        (resource.RLIMIT_CPU, (cpu, cpu + 1)),
        (resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes)),
        (resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes)),
        (resource.RLIMIT_NPROC, (limits.nproc, limits.nproc)),
        (resource.RLIMIT_NOFILE, (limits.nofile, limits.nofile)),
        (resource.RLIMIT_CORE, (0, 0)),
    )

    def apply() -> None:  # runs between fork and exec: only async-signal-safe-ish calls
        for which, value in pairs:
            resource.setrlimit(which, value)

    return apply


def spawn(
    argv: list[str],
    *,
    workdir: Path | str,
    limits: Limits,
    stdin: int | IO[Any] | None = _PIPE,
    stdout: int | IO[Any] | None = _PIPE,
    stderr: int | IO[Any] | None = _PIPE,
    env: Mapping[str, str] | None = None,
    network: bool = False,
    isolation: str | None = None,
) -> subprocess.Popen:
    """Start ``argv`` sandboxed and return its ``Popen`` (the caller reaps it: :func:`communicate`
    or :func:`kill_tree`).

    Args:
        argv: the command (a non-empty list of strings).
        workdir: an existing directory: the cwd, ``HOME`` and the only writable place (where the
            isolation allows).
        limits: rlimits applied in the child; ``wall_s`` is the caller's to enforce
            (:func:`communicate` does).
        stdin, stdout, stderr: as for ``subprocess.Popen`` (default pipes).
        env: extra environment variables on top of :func:`minimal_env`.
        network: keep the host network (default: a fresh network namespace with no interfaces,
            where the isolation allows).
        isolation: ``"bwrap"``, ``"unshare"`` or ``"none"`` to force a layer (``RuntimeError``
            when it does not work here); ``None``: the strongest available.
    """
    if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
        raise ValueError(f"argv must be a non-empty list of strings, got {argv!r}")
    if not isinstance(limits, Limits):
        raise ValueError(f"limits must be a Limits, got {type(limits).__name__}")
    work = Path(workdir)
    if not work.is_dir():
        raise ValueError(f"workdir {str(work)!r} is not an existing directory")
    work = work.resolve()
    mode = resolve_isolation(isolation)
    full = wrap_argv(argv, workdir=str(work), mode=mode, network=network)
    proc = subprocess.Popen(
        full,
        stdin=stdin,
        stdout=stdout,
        stderr=stderr,
        cwd=str(work),
        env=minimal_env(work, env),
        start_new_session=True,
        preexec_fn=_preexec(limits),
        close_fds=True,
    )
    proc.sandbox_isolation = mode  # type: ignore[attr-defined]
    return proc


def _signal_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def kill_tree(proc: subprocess.Popen) -> None:
    """Kill ``proc``'s whole process group (its namespace dies with it) and reap ``proc``.

    Safe to call on a process that already exited. The group is signalled while ``proc`` is
    not yet reaped, so its id cannot have been reused.
    """
    if proc.returncode is None:
        _signal_group(proc.pid)
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
    proc.wait()
    for f in (proc.stdin, proc.stdout, proc.stderr):
        if f is not None:
            with contextlib.suppress(OSError):
                f.close()


def _exited_unreaped(pid: int) -> bool:
    """Whether ``pid`` has exited, without reaping it (so its group id stays reserved)."""
    try:
        info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return True
    return info is not None


def communicate(
    proc: subprocess.Popen,
    *,
    wall_s: float,
    cap: int = DEFAULT_OUTPUT_CAP,
    stdin_data: bytes | None = None,
) -> tuple[bytes, bytes, bool]:
    """Feed ``stdin_data`` (then close stdin), read stdout/stderr (at most ``cap`` bytes each
    kept) until both close or ``wall_s`` passes, then kill the group and reap.

    Returns ``(stdout, stderr, timed_out)``. The whole process group is killed in every case
    (after a normal exit too), so a background child the command left cannot outlive it.
    """
    deadline = time.monotonic() + wall_s
    if proc.stdin is not None:
        try:
            if stdin_data:
                proc.stdin.write(stdin_data[: 16 * 2**20])
            proc.stdin.close()
        except (BrokenPipeError, OSError):
            pass
    bufs: dict[int, bytearray] = {}
    sel = selectors.DefaultSelector()
    for f in (proc.stdout, proc.stderr):
        if f is not None:
            bufs[f.fileno()] = bytearray()
            sel.register(f, selectors.EVENT_READ)
    timed_out = False
    try:
        while sel.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            for key, _ in sel.select(timeout=min(left, 0.5)):
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    sel.unregister(key.fileobj)
                    continue
                buf = bufs[key.fd]
                if len(buf) < cap:
                    buf += chunk[: cap - len(buf)]
        while not timed_out and not _exited_unreaped(proc.pid):
            if time.monotonic() >= deadline:
                timed_out = True
                break
            time.sleep(0.005)
    finally:
        sel.close()
        out = bytes(bufs.get(proc.stdout.fileno(), b"")) if proc.stdout is not None else b""
        err = bytes(bufs.get(proc.stderr.fileno(), b"")) if proc.stderr is not None else b""
        _signal_group(proc.pid)  # before reaping: the group id is still reserved
        kill_tree(proc)
    return out, err, timed_out
