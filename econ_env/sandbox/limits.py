"""The sandbox's resource limits (:class:`Limits`) and one run's outcome (:class:`SandboxResult`).

``Limits`` is applied to the child as POSIX rlimits (``cpu_s`` -> ``RLIMIT_CPU``,
``memory_bytes`` -> ``RLIMIT_AS``, ``file_bytes`` -> ``RLIMIT_FSIZE``, ``nproc`` ->
``RLIMIT_NPROC``, ``nofile`` -> ``RLIMIT_NOFILE``, ``RLIMIT_CORE = 0``) plus a wall-clock
timeout (``wall_s``) after which the parent kills the child's whole process group/namespace.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["STATUSES", "Limits", "SandboxResult"]

STATUSES: tuple[str, ...] = ("passed", "failed", "timeout", "blocked", "memory", "crashed")
"""Every :attr:`SandboxResult.status`."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandboxed process (every field must be > 0).

    Attributes:
        cpu_s: CPU seconds (``RLIMIT_CPU``, rounded up to whole seconds; SIGXCPU, then SIGKILL).
        memory_bytes: address-space size (``RLIMIT_AS``).
        file_bytes: largest file the child may write (``RLIMIT_FSIZE``).
        nproc: processes of the user (``RLIMIT_NPROC``; not enforced for uid 0, where the pid
            namespace and the guard's fork block contain a fork bomb).
        nofile: open file descriptors (``RLIMIT_NOFILE``).
        wall_s: wall-clock seconds before the parent kills the process tree.
    """

    cpu_s: float = 10.0
    memory_bytes: int = 512 * 2**20
    file_bytes: int = 16 * 2**20
    nproc: int = 64
    nofile: int = 64
    wall_s: float = 20.0

    def __post_init__(self) -> None:
        for name in ("cpu_s", "wall_s"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"Limits.{name} must be a number > 0, got {value!r}")
            if not (math.isfinite(value) and 0 < value <= 86400):
                raise ValueError(f"Limits.{name} must be in (0, 86400] seconds, got {value!r}")
        for name in ("memory_bytes", "file_bytes", "nproc", "nofile"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"Limits.{name} must be an integer > 0, got {value!r}")
        if self.memory_bytes < 32 * 2**20:
            raise ValueError(
                f"Limits.memory_bytes must be >= 32 MiB (a Python interpreter needs it), "
                f"got {self.memory_bytes}"
            )
        if self.nofile < 16:
            raise ValueError(f"Limits.nofile must be >= 16, got {self.nofile}")

    def to_dict(self) -> dict[str, Any]:
        """The limits as a JSON-able dict (recorded in evaluation metadata)."""
        return asdict(self)


@dataclass(frozen=True)
class SandboxResult:
    """What happened to one sandboxed run.

    Attributes:
        status: ``"passed"`` (exit 0), ``"failed"`` (nonzero exit, e.g. an ``AssertionError``),
            ``"timeout"`` (wall or CPU limit), ``"blocked"`` (the guard stopped a forbidden
            call), ``"memory"`` (``MemoryError`` or killed at the address-space limit) or
            ``"crashed"`` (killed by another signal, or the sandbox could not start).
        reason: human-readable cause: which limit, which blocked call, or the last line of the
            traceback.
        returncode: the child's exit status (negative: killed by that signal), ``None`` when it
            never ran.
        stdout: the child's standard output, capped (decoded as UTF-8 with replacement).
        stderr: the child's standard error, capped.
        wall_s: wall-clock seconds from start to reaping.
        isolation: the OS isolation used (``"bwrap"``, ``"unshare"`` or ``"none"``).
    """

    status: str
    reason: str
    returncode: int | None
    stdout: str
    stderr: str
    wall_s: float
    isolation: str

    @property
    def passed(self) -> bool:
        """Whether the run exited with status 0."""
        return self.status == "passed"
