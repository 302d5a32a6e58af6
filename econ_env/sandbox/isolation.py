"""OS-level isolation of a sandboxed process: Linux namespaces through bubblewrap or unshare.

:func:`isolation` returns the strongest layer this machine allows, probed once (running the tool
with ``true``) and cached:

* ``"bwrap"`` (Debian's ``bubblewrap``): every namespace (user, pid, net, ipc, uts, cgroup,
  mount), the whole filesystem read-only except the work directory (``/tmp`` too), fresh
  ``/proc`` and ``/dev``, a new session, killed with its parent;
* ``"unshare"`` (util-linux): user, net, pid and mount namespaces; every mount remounted
  read-only and the work directory bind-mounted writable; the namespace's init is a shell that
  is killed with the parent (``--kill-child``);
* ``"none"``: no namespaces (containers that forbid them); the in-child guard and the rlimits
  are then the only layers.

:func:`wrap_argv` prefixes a command with the chosen tool.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
from functools import lru_cache

__all__ = ["ISOLATIONS", "isolation", "resolve_isolation", "wrap_argv"]

ISOLATIONS: tuple[str, ...] = ("bwrap", "unshare", "none")
_PROBE_TIMEOUT_S = 10.0


def _bwrap_prefix(workdir: str, network: bool) -> list[str]:
    argv = ["bwrap", "--unshare-all"]
    if network:
        argv.append("--share-net")
    # The whole filesystem read-only (/tmp included: a checkout or a venv may live there, so it
    # is not hidden behind a fresh tmpfs), the work directory bound writable on top of it.
    argv += [
        "--die-with-parent",
        "--new-session",
        "--ro-bind",
        "/",
        "/",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--bind",
        workdir,
        workdir,
        "--chdir",
        workdir,
        "--",
    ]
    return argv


# Run inside the new mount namespace by the init shell (pid 1) of the new pid namespace: bind
# the work directory onto itself, remount every other mount read-only (best effort per mount),
# mount a fresh /proc, then run the command as a child (not exec: pid 1 ignores SIGXCPU and
# other default-action signals, the command must not be init).
_UNSHARE_SCRIPT = (
    'w="$1"; shift; '
    'mount --bind "$w" "$w" || exit 125; '
    "mount --make-rprivate / 2>/dev/null; "
    "mount -t proc proc /proc 2>/dev/null; "
    "while read -r _ m _; do "
    'case "$m" in "$w"|/proc|/proc/*) ;; '
    '*) mount -o remount,bind,ro "$m" 2>/dev/null ;; esac; '
    "done < /proc/self/mounts; "
    'cd "$w" || exit 125; '
    '"$@"; exit $?'
)


def _unshare_prefix(workdir: str, network: bool) -> list[str]:
    argv = ["unshare", "--user", "--map-root-user", "--pid", "--fork", "--mount", "--kill-child"]
    if not network:
        argv.insert(1, "--net")
    return [*argv, "/bin/sh", "-c", _UNSHARE_SCRIPT, "sandbox-init", workdir]


def wrap_argv(argv: list[str], *, workdir: str, mode: str, network: bool = False) -> list[str]:
    """``argv`` run under isolation ``mode`` with ``workdir`` writable (and as the cwd)."""
    if mode == "bwrap":
        return [*_bwrap_prefix(workdir, network), *argv]
    if mode == "unshare":
        return [*_unshare_prefix(workdir, network), *argv]
    if mode == "none":
        return list(argv)
    raise ValueError(f"isolation must be one of {ISOLATIONS}, got {mode!r}")


def _works(mode: str) -> bool:
    tool = {"bwrap": "bwrap", "unshare": "unshare"}[mode]
    if shutil.which(tool) is None or shutil.which("true") is None:
        return False
    import tempfile

    with tempfile.TemporaryDirectory(prefix="econ-sandbox-probe-") as tmp:
        argv = wrap_argv(["sh", "-c", "touch probe && test ! -w /usr"], workdir=tmp, mode=mode)
        try:
            done = subprocess.run(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=_PROBE_TIMEOUT_S,
                check=False,
                cwd=tmp,
            )
        except (OSError, subprocess.SubprocessError):
            return False
        import os

        return done.returncode == 0 and os.path.exists(os.path.join(tmp, "probe"))


@lru_cache(maxsize=1)
def isolation() -> str:
    """The strongest isolation this OS allows: ``"bwrap"``, ``"unshare"`` or ``"none"`` (cached).

    A tool counts only when it really runs a command (``touch`` in the work directory works and
    ``/usr`` is not writable), so a container that forbids namespaces falls back to ``"none"``.
    """
    for mode in ("bwrap", "unshare"):
        if _works(mode):
            return mode
    return "none"


@lru_cache(maxsize=4)
def _available(mode: str) -> bool:
    return mode == "none" or _works(mode)


def resolve_isolation(requested: str | None) -> str:
    """``requested`` checked against this machine (``None``: the strongest, :func:`isolation`).

    Raises ``ValueError`` for an unknown name and ``RuntimeError`` when the named tool does not
    work here.
    """
    if requested is None:
        return isolation()
    if requested not in ISOLATIONS:
        raise ValueError(f"isolation must be one of {ISOLATIONS} or None, got {requested!r}")
    if not _available(requested):
        raise RuntimeError(
            f"isolation {requested!r} does not work on this machine "
            f"(the strongest available is {isolation()!r}); command: "
            f"{shlex.join(wrap_argv(['true'], workdir='/tmp', mode=requested))}"
        )
    return requested
