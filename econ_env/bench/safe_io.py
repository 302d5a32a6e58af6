"""File access for untrusted submission directories, and atomic writes for the site.

* :func:`directory_problems`: a submission directory must be a real directory (not a symbolic
  link) whose entries are not symbolic links either: a link in a pull request would make the
  build read files outside the submissions tree. At most
  :data:`~econ_env.bench.limits.MAX_DIR_ENTRIES` entries are looked at.
* :func:`read_capped`: read a regular file without following a symbolic link (``O_NOFOLLOW``),
  without blocking on a FIFO, and never more than ``limit`` bytes.
* :func:`atomic_write`: write a temp file in the same directory, then ``os.replace`` it over the
  target, so a failure leaves the previous file whole.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from econ_env.bench.limits import MAX_DIR_ENTRIES
from econ_env.bench.safe_text import fs_name

__all__ = ["MissingFile", "atomic_write", "directory_problems", "read_capped"]

_LINK = "a symbolic link (refused: a submission must hold its own files)"


class MissingFile(ValueError):
    """The file does not exist."""


def directory_problems(path: Path) -> list[str]:
    """Why ``path`` cannot be read as a submission directory (empty list when it can)."""
    if path.is_symlink():
        return [f"{fs_name(path.name)}: the submission directory is {_LINK}"]
    if not path.is_dir():
        return [f"{fs_name(str(path))}: not a directory"]
    problems = []
    with os.scandir(path) as it:
        for n, entry in enumerate(it):
            if n >= MAX_DIR_ENTRIES:
                problems.append(f"more than {MAX_DIR_ENTRIES} entries in the submission directory")
                break
            if entry.is_symlink():
                problems.append(f"{fs_name(entry.name)}: {_LINK}")
    return problems


def read_capped(path: Path, limit: int) -> bytes:
    """The bytes of the regular file ``path``; ``ValueError`` (``MissingFile`` when absent) if
    it is a symbolic link, not a regular file, or larger than ``limit`` bytes."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        if path.is_symlink():  # a dangling link
            raise ValueError(_LINK) from None
        raise MissingFile("missing") from None
    except OSError as exc:
        if path.is_symlink():
            raise ValueError(_LINK) from None
        raise ValueError(f"cannot be opened ({exc.strerror})") from None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise ValueError("not a regular file")
        if st.st_size > limit:
            raise ValueError(f"{st.st_size} bytes, over the size limit of {limit} bytes")
        data = fh.read(st.st_size + 1)  # not limit + 1: read(n) allocates n bytes up front
    if len(data) > st.st_size:
        raise ValueError("changed while being read")
    return data


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically (temp file in the same directory + rename)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
