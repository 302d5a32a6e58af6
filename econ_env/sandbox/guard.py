"""The in-child guard: ``python -I -B guard.py WORKDIR SCRIPT`` runs SCRIPT under audit hooks.

This file is run as a plain script inside the sandboxed child (it imports nothing from
econ_env). It installs a :func:`sys.addaudithook` hook, then runs ``SCRIPT`` as ``__main__``.
The hook stops, by exiting the process at once with status :data:`BLOCKED_EXIT` and the line
``blocked: <event> <detail>`` on stderr (an exception could be caught by the script):

* starting programs: ``os.system``, ``subprocess.Popen``, ``os.exec*``, ``os.spawn*``,
  ``os.posix_spawn``, ``os.fork``, ``os.forkpty`` and importing ``_posixsubprocess``;
* the network: ``socket.connect``, ``socket.bind``, ``socket.sendto``, ``socket.sendmsg``;
* native code: every ``ctypes.*`` event and importing ``_ctypes``;
* signals to other processes: ``os.kill`` / ``os.killpg`` / ``signal.pthread_kill``;
* the filesystem outside WORKDIR: opening for writing, creating, removing, renaming, linking,
  changing modes/owners/times of any path that is not lexically inside WORKDIR (``/dev/null``
  excepted). Symbolic and hard links are refused everywhere, so a path inside WORKDIR cannot
  lead outside it.

The hook keeps its own references to the functions it needs (default arguments), so the script
cannot disarm it by replacing ``os`` or ``builtins`` attributes. An audit hook is a speed bump
against accidents and naive escapes, not a security boundary on its own: CPython code can still
reach the OS through routes that raise no audit event. The namespaces (bwrap / unshare) and the
rlimits are the boundary; see ``docs/guides/sandbox.md``.
"""

import sys

BLOCKED_EXIT = 86
"""Exit status of a process stopped by the guard."""

_PROCESS_EVENTS = frozenset(
    {
        "os.system",
        "subprocess.Popen",
        "os.exec",
        "os.spawn",
        "os.posix_spawn",
        "os.fork",
        "os.forkpty",
        "os.startfile",
        "pty.spawn",
    }
)
_NETWORK_EVENTS = frozenset({"socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg"})
_LINK_EVENTS = frozenset({"os.symlink", "os.link"})
# events whose first argument is a path that must lie inside the work directory
_PATH_EVENTS = frozenset(
    {
        "os.remove",
        "os.rmdir",
        "os.mkdir",
        "os.chmod",
        "os.chown",
        "os.chflags",
        "os.lchflags",
        "os.truncate",
        "os.utime",
        "os.setxattr",
        "os.removexattr",
        "os.mkfifo",
        "os.mknod",
        "shutil.rmtree",
        "shutil.chown",
        "os.chroot",
    }
)
_BLOCKED_IMPORTS = frozenset({"_posixsubprocess", "_ctypes", "ctypes", "_xxsubinterpreters"})
_WRITE_FLAGS = 0o1 | 0o2 | 0o100 | 0o1000 | 0o2000  # O_WRONLY O_RDWR O_CREAT O_TRUNC O_APPEND


def _install(workdir: str) -> None:
    import posix

    root = workdir.rstrip("/") or "/"

    def inside(
        path,
        _fspath=posix.fspath,
        _getcwd=posix.getcwd,
        _str=str,
        _bytes=bytes,
        _root=root,
        _type=type,
        _int=int,
        _error=Exception,
    ):
        if _type(path) is _int:  # an already open descriptor
            return True
        try:
            p = _fspath(path)
        except _error:
            return False
        if _type(p) is _bytes:
            p = p.decode("utf-8", "surrogateescape")
        if _type(p) is not _str:
            return False
        if not p.startswith("/"):
            p = _getcwd() + "/" + p
        parts = []
        for part in p.split("/"):
            if part in ("", "."):
                continue
            if part == "..":
                if parts:
                    parts.pop()
                continue
            parts.append(part)
        full = "/" + "/".join(parts)
        if full == "/dev/null":
            return True
        return full == _root or full.startswith(_root + "/")

    def block(event, detail, _write=posix.write, _exit=posix._exit, _repr=repr):
        try:
            text = f"\nblocked: {event} {_repr(detail)[:300]}\n"
            _write(2, text.encode("utf-8", "replace"))
        finally:
            _exit(BLOCKED_EXIT)

    def hook(
        event,
        args,
        _inside=inside,
        _block=block,
        _getpid=posix.getpid,
        _process=_PROCESS_EVENTS,
        _network=_NETWORK_EVENTS,
        _links=_LINK_EVENTS,
        _paths=_PATH_EVENTS,
        _imports=_BLOCKED_IMPORTS,
        _flags=_WRITE_FLAGS,
        _len=len,
    ):
        if event in _process:
            _block(event, args[:2] if _len(args) > 1 else args)
        elif event == "open":
            path, mode, flags = args[0], args[1], args[2]
            writing = (flags & _flags) != 0
            if mode is not None:
                for c in "wax+":
                    if c in mode:
                        writing = True
            if writing and not _inside(path):
                _block(event, path)
        elif event in _network:
            _block(event, args[1:2])
        elif event.startswith("ctypes."):
            _block(event, "")
        elif event in _links:
            _block(event, args[:2])
        elif event in _paths:
            if args and not _inside(args[0]):
                _block(event, args[0])
        elif event in ("os.rename", "shutil.move", "shutil.copyfile", "shutil.copytree"):
            if _len(args) >= 2 and not (_inside(args[0]) and _inside(args[1])):
                _block(event, args[:2])
        elif event in ("os.kill", "os.killpg", "signal.pthread_kill"):
            if event != "os.kill" or args[0] not in (0, _getpid()):
                _block(event, args[:2])
        elif event == "import" and args[0] in _imports:
            _block(event, args[0])

    sys.addaudithook(hook)


def main() -> None:
    if len(sys.argv) < 3:
        sys.stderr.write("usage: python -I -B guard.py WORKDIR SCRIPT [ARGS...]\n")
        raise SystemExit(2)
    workdir, script = sys.argv[1], sys.argv[2]
    import os
    import runpy

    os.chdir(workdir)
    sys.argv = sys.argv[2:]
    sys.path.insert(0, workdir)
    _install(workdir)
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
