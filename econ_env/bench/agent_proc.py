"""The parent side of an agent evaluation: a submission's policy in a separate, sandboxed process.

:class:`AgentProcess` starts :mod:`econ_env.bench.agent_child` in the sandbox
(:func:`econ_env.sandbox.spawn`: its own process group, rlimits, no network and a writable
temporary directory only, where the OS allows) on a copy of the submission, and talks to it over
stdin/stdout, one JSON object per line. The child receives the env's public
:class:`~econ_env.core.spec.EnvSpec` and seed at each :meth:`~AgentProcess.reset` and one
agent's observation at each :meth:`~AgentProcess.act` — never the env, the gold, the item or
another agent's draft. Its answers are parsed strictly and bounded; actions are checked against
``spec.action_space`` (and the action mask) here, in the parent.

Limits (:class:`AgentLimits`): seconds per action, per reset and for start-up; seconds in all
(the time spent waiting for the agent, summed over the whole evaluation); address space (the
sandbox's ``RLIMIT_AS``); bytes per reply. On any breach, error or protocol violation the
child's process tree is killed and :class:`AgentError` is raised, naming the submission and,
in :attr:`AgentError.limit`, the limit that was hit.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from gymnasium import spaces

from econ_env.bench import agent_child
from econ_env.bench.agent_files import copy_submission, submission_digest
from econ_env.bench.runner import action_from_json
from econ_env.bench.safe_json import loads_bounded
from econ_env.core.spec import EnvSpec

__all__ = ["AgentError", "AgentLimits", "AgentProcess", "encode_obs"]

_STDERR_TAIL = 600


@dataclass(frozen=True)
class AgentLimits:
    """The limits an evaluated agent runs under (every field > 0; ``ValueError`` otherwise).

    Attributes:
        action_s: seconds to answer one ``act``.
        reset_s: seconds to build the policy for an episode.
        startup_s: seconds to start, load the code and the weights.
        total_s: seconds waiting for the agent, summed over the whole evaluation.
        memory_mb: the child's address space in MiB (``RLIMIT_AS``).
        message_bytes: longest reply line.
    """

    action_s: float = 1.0
    reset_s: float = 10.0
    startup_s: float = 60.0
    total_s: float = 1800.0
    memory_mb: int = 1024
    message_bytes: int = 1_000_000

    def __post_init__(self) -> None:
        for name in ("action_s", "reset_s", "startup_s", "total_s"):
            v = getattr(self, name)
            ok = type(v) in (int, float) and math.isfinite(v) and 0 < v <= 86400
            if not ok:
                raise ValueError(f"AgentLimits.{name} must be seconds in (0, 86400], got {v!r}")
        if type(self.memory_mb) is not int or not 64 <= self.memory_mb <= 1 << 20:
            raise ValueError(f"AgentLimits.memory_mb must be an int in [64, 2**20], got "
                             f"{self.memory_mb!r}")  # fmt: skip
        if type(self.message_bytes) is not int or not 1024 <= self.message_bytes <= 1 << 30:
            raise ValueError(f"AgentLimits.message_bytes must be an int in [1024, 2**30], got "
                             f"{self.message_bytes!r}")  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        """The limits as JSON (recorded in the evaluation metadata)."""
        return asdict(self)


class AgentError(RuntimeError):
    """The evaluated agent failed: ``limit`` names the limit it hit (``None`` for an error)."""

    def __init__(self, submission: str, reason: str, limit: str | None = None) -> None:
        super().__init__(f"agent submission {submission}: {reason}")
        self.submission = submission
        self.reason = reason
        self.limit = limit


# ----------------------------------------------------------------------------- messages
def encode_obs(obs: Any) -> Any:
    """An observation as JSON: ``{"dtype", "shape", "data"}``, or an object of those."""
    if isinstance(obs, Mapping):
        return {str(k): encode_obs(v) for k, v in obs.items()}
    arr = np.asarray(obs)
    return {"dtype": arr.dtype.name, "shape": list(arr.shape), "data": arr.ravel().tolist()}


def _spawn(
    argv: list[str], workdir: Path, limits: AgentLimits, stderr: Any, isolation: str | None
) -> Any:
    """Start ``argv`` in the sandbox (own process group, rlimits, no network where allowed)."""
    from econ_env import sandbox

    box = sandbox.Limits(
        cpu_s=float(min(86400, limits.total_s + limits.startup_s + 30)),
        memory_bytes=limits.memory_mb * 2**20,
        wall_s=float(min(86400, 2 * (limits.total_s + limits.startup_s) + 60)),
    )
    proc = sandbox.spawn(argv, workdir=workdir, limits=box, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=stderr, isolation=isolation)  # fmt: skip
    return proc


class AgentProcess:
    """A submission's policy in a sandboxed child process (a context manager).

    ``AgentProcess(submission, spec, seed, limits=...)`` starts the child, loads the
    submission and builds the first episode's policy; :meth:`reset` builds a fresh one for the
    next episode (``Class(spec, seed=seed)``), :meth:`act` asks it for one agent's action.
    ``isolation`` forces ``"bwrap"``, ``"unshare"`` or ``"none"`` (``None``: the strongest
    this OS allows, :func:`econ_env.sandbox.isolation`).
    """

    def __init__(
        self,
        submission: str | Path,
        spec: EnvSpec,
        seed: int,
        *,
        limits: AgentLimits,
        isolation: str | None = None,
    ) -> None:
        self.path = Path(submission)
        self.label = self.path.name
        self.limits = limits
        self.used_s = 0.0
        self.actions = 0
        self.name: str | None = None
        self.policy: str | None = None
        self.isolation = isolation  # None: the strongest the OS allows (set at start)
        self.digest = ""
        self._first = (spec, seed)
        self._proc: Any = None
        self._buf = b""
        self._workdir: Path | None = None
        self._stderr: Any = None
        self.spec = spec

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> AgentProcess:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        """Copy the submission into a fresh temp dir, start the child, build the first policy."""
        from econ_env import sandbox

        self._workdir = Path(tempfile.mkdtemp(prefix="econ-agent-"))
        try:
            target = copy_submission(self.path, self._workdir)
        except (ValueError, OSError) as err:
            raise AgentError(self.label, f"refused: {err}") from None
        self.digest = submission_digest(target)
        self.isolation = sandbox.resolve_isolation(self.isolation)
        self._stderr = open(self._workdir / "agent.stderr", "w+b")  # noqa: SIM115
        argv = [sys.executable, "-I", "-B", "-m", "econ_env.bench.agent_child",
                str(target.relative_to(self._workdir))]  # fmt: skip
        self._proc = _spawn(argv, self._workdir, self.limits, self._stderr, self.isolation)
        os.set_blocking(self._proc.stdout.fileno(), False)
        os.set_blocking(self._proc.stdin.fileno(), False)
        ready = self._request(None, self.limits.startup_s, "startup_s")
        name, policy = ready.get("name"), ready.get("policy")
        if (  # the child may be hostile by now: check what gets recorded
            ready.get("ready") is not True
            or not isinstance(name, str)
            or not agent_child.NAME.fullmatch(name)
            or not isinstance(policy, str)
            or not agent_child.SPEC.fullmatch(policy)
        ):
            self._fail(f"sent {str(ready)[:200]!r} instead of its ready message", "protocol")
        self.name, self.policy = name, policy
        self.label = name
        self.reset(*self._first)

    def close(self) -> None:
        """Stop the child (kill its process tree) and remove the temp dir."""
        if self._proc is not None:
            with contextlib.suppress(OSError, ValueError):
                self._proc.stdin.write(b'{"op": "close"}\n')
                self._proc.stdin.flush()
            from econ_env import sandbox

            sandbox.kill_tree(self._proc)
            for fh in (self._proc.stdin, self._proc.stdout):
                with contextlib.suppress(OSError):
                    fh.close()
            self._proc = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    # ------------------------------------------------------------------ requests
    def reset(self, spec: EnvSpec, seed: int) -> None:
        """Build a fresh policy for the next episode, from ``spec`` and ``seed``."""
        self.spec = spec
        msg = {"op": "reset", "spec": spec.to_dict(), "seed": int(seed)}
        reply = self._request(msg, self.limits.reset_s, "reset_s")
        if reply != {"ok": True}:
            self._fail(f"answered the reset with {str(reply)[:200]!r}")

    def act(self, obs: Any, agent: str) -> Any:
        """The action of ``agent`` for ``obs``, checked against the action space."""
        reply = self._request(
            {"op": "act", "agent": agent, "obs": encode_obs(obs)}, self.limits.action_s, "action_s"
        )
        if not isinstance(reply, dict) or set(reply) != {"action"}:
            self._fail(f"answered act with {str(reply)[:200]!r}, not {{'action': ...}}")
        self.actions += 1
        return self._check_action(reply["action"], obs, agent)

    def _check_action(self, value: Any, obs: Any, agent: str) -> Any:
        space = self.spec.action_space
        try:
            action = action_from_json(value, space)
        except ValueError as err:
            self._fail(f"invalid action for {agent}: {err}", "action_space")
        if not space.contains(action):
            self._fail(f"invalid action for {agent}: {str(value)[:120]} is not in {space}",
                       "action_space")  # fmt: skip
        if isinstance(space, spaces.Discrete) and isinstance(obs, Mapping):
            mask = obs.get("action_mask")
            if mask is not None and not mask[int(action) - int(space.start)]:
                self._fail(f"invalid action for {agent}: {action} is masked out", "action_space")
        return action

    def _request(self, msg: dict | None, limit_s: float, limit: str) -> Any:
        left = self.limits.total_s - self.used_s
        if left <= 0:
            self._fail(f"used up the total time limit of {self.limits.total_s:g} s", "total_s")
        which, timeout = (limit, limit_s) if limit_s <= left else ("total_s", left)
        start = time.monotonic()
        deadline = start + timeout
        try:
            if msg is not None:
                self._send(json.dumps(msg).encode() + b"\n", deadline, which)
            line = self._recv(deadline, which)
        finally:
            self.used_s += time.monotonic() - start
        try:
            reply = loads_bounded(line.decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as err:
            self._fail(f"sent a malformed message ({err}): {line[:80]!r}", "protocol")
        if isinstance(reply, dict) and "error" in reply:
            text = str(reply["error"])[:2000]
            self._fail(f"raised {text}", "memory" if text.startswith("MemoryError") else None)
        if not isinstance(reply, dict):
            self._fail(f"sent {line[:80]!r}, not a JSON object", "protocol")
        return reply

    def _send(self, data: bytes, deadline: float, which: str) -> None:
        fd = self._proc.stdin.fileno()
        view = memoryview(data)
        while view:
            left = deadline - time.monotonic()
            if left <= 0:
                self._timeout(which)
            _, writable, _ = select.select([], [fd], [], left)
            if writable:
                try:
                    view = view[os.write(fd, view) :]
                except BlockingIOError:
                    continue
                except (BrokenPipeError, OSError):
                    self._died()

    def _recv(self, deadline: float, which: str) -> bytes:
        fd = self._proc.stdout.fileno()
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                self._timeout(which)
            readable, _, _ = select.select([fd], [], [], left)
            if not readable:
                continue
            try:
                chunk = os.read(fd, 1 << 16)
            except BlockingIOError:
                continue
            if not chunk:
                self._died()
            self._buf += chunk
            if len(self._buf) > self.limits.message_bytes:
                self._fail(f"sent a message over the limit of {self.limits.message_bytes} "
                           "bytes", "message_bytes")  # fmt: skip
        line, _, self._buf = self._buf.partition(b"\n")
        if len(line) > self.limits.message_bytes:
            self._fail(f"sent a message over the limit of {self.limits.message_bytes} bytes",
                       "message_bytes")  # fmt: skip
        return line

    # ------------------------------------------------------------------ failures
    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        with contextlib.suppress(OSError):
            size = os.fstat(self._stderr.fileno()).st_size
            data = os.pread(self._stderr.fileno(), _STDERR_TAIL, max(0, size - _STDERR_TAIL))
            lines = [x for x in data.decode("utf-8", "replace").splitlines() if x.strip()]
            return lines[-1].strip()[:300] if lines else ""
        return ""

    def _timeout(self, which: str) -> None:
        seconds = getattr(self.limits, which)
        what = {
            "total_s": "the total time limit",
            "action_s": "the time limit per action",
            "reset_s": "the time limit per reset",
            "startup_s": "the start-up time limit",
        }
        self._fail(f"exceeded {what[which]} of {seconds:g} s ({which})", which)

    def _died(self) -> None:
        proc = self._proc
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
        code = proc.returncode
        tail = self._stderr_tail()
        limit = None
        if tail.startswith("blocked:"):
            limit = "sandbox"
        elif "MemoryError" in tail:
            limit = "memory"
        elif code is not None and code in (-24, 128 + 24, 152):  # SIGXCPU
            limit = "cpu"
        detail = f"; last stderr line: {tail}" if tail else ""
        self._fail(f"the agent process exited (status {code}){detail}", limit)

    def _fail(self, reason: str, limit: str | None = None) -> Any:
        if self._proc is not None:
            from econ_env import sandbox

            sandbox.kill_tree(self._proc)
        raise AgentError(self.label, reason, limit)
