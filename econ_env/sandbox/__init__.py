"""Run untrusted code in a separate, limited, isolated process (bottom layer: stdlib only).

Used for code-task answers (HumanEval's ``check``) and for submitted agents. The layers, each
stopping what the previous ones miss (``docs/guides/sandbox.md`` says what each cannot):

1. a separate process in its own session and process group (never the caller's process);
2. rlimits set in the child (:class:`Limits`: CPU, address space, file size, processes, open
   files, no core dumps) and a wall-clock timeout that kills the whole tree;
3. a fresh temporary directory as cwd, ``HOME`` and ``TMPDIR``, and a minimal environment;
4. for Python, the in-child guard (:mod:`econ_env.sandbox.guard`, audit hooks): no processes,
   sockets, ctypes or writes outside the work directory;
5. Linux namespaces where the OS allows (:func:`isolation`): bubblewrap, else ``unshare``,
   else none: no network, a pid namespace, a read-only filesystem except the work directory.

``run_python(code, limits=...)`` is the one-shot entry point; ``spawn`` / ``communicate`` /
``kill_tree`` serve long-lived processes (an agent answering observations over pipes).
"""

from econ_env.sandbox.isolation import ISOLATIONS, isolation, resolve_isolation
from econ_env.sandbox.limits import STATUSES, Limits, SandboxResult
from econ_env.sandbox.run import GUARD_PATH, classify, run_python
from econ_env.sandbox.spawn import DEFAULT_OUTPUT_CAP, communicate, kill_tree, minimal_env, spawn

__all__ = [
    "DEFAULT_OUTPUT_CAP",
    "GUARD_PATH",
    "ISOLATIONS",
    "STATUSES",
    "Limits",
    "SandboxResult",
    "classify",
    "communicate",
    "isolation",
    "kill_tree",
    "minimal_env",
    "resolve_isolation",
    "run_python",
    "spawn",
]
