"""A submission's files on the maintainer's side: a bounded copy into the sandbox, and a digest.

:func:`copy_submission` copies a submission directory (or wheel) into the sandbox's temporary
directory before the agent process starts: regular files only (no symbolic links, devices or
FIFOs), at most :data:`MAX_SUBMISSION_FILES` files and :data:`MAX_SUBMISSION_BYTES` bytes, each
path checked by :func:`econ_env.bench.agent_child.check_member_name` (no ``..``, no pickles or
native code). :func:`submission_digest` is the sha256 recorded in the evaluation metadata.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from econ_env.bench import agent_child

__all__ = ["MAX_SUBMISSION_BYTES", "MAX_SUBMISSION_FILES", "copy_submission", "submission_digest"]

MAX_SUBMISSION_FILES = 2000
MAX_SUBMISSION_BYTES = 256 * 2**20


def copy_submission(src: Path, dest: Path) -> Path:
    """Copy a submission directory or wheel into ``dest`` (bounded; no links or odd files)."""
    if src.is_symlink():
        raise ValueError(f"{src} is a symbolic link; pass the submission itself")
    if src.is_file():
        if src.suffix != ".whl":
            raise ValueError(f"{src}: a submission is a directory or a .whl file")
        if src.stat().st_size > MAX_SUBMISSION_BYTES:
            raise ValueError(f"{src} is over {MAX_SUBMISSION_BYTES} bytes")
        target = dest / "submission.whl"
        shutil.copyfile(src, target)
        return target
    if not src.is_dir():
        raise ValueError(f"{src}: no such submission directory or wheel")
    target = dest / "submission"
    count = total = 0
    for root, dirs, files in os.walk(src):
        rel = Path(root).relative_to(src)
        (target / rel).mkdir(parents=True, exist_ok=True)
        for name in sorted(dirs + files):
            path = Path(root) / name
            relname = (rel / name).as_posix()
            agent_child.check_member_name(relname)
            if path.is_symlink():
                raise ValueError(f"{relname}: symbolic links are refused in a submission")
            if name in files:
                if not path.is_file():
                    raise ValueError(f"{relname}: not a regular file")
                count += 1
                total += path.stat().st_size
                if count > MAX_SUBMISSION_FILES or total > MAX_SUBMISSION_BYTES:
                    raise ValueError(f"a submission has at most {MAX_SUBMISSION_FILES} files "
                                     f"and {MAX_SUBMISSION_BYTES} bytes")  # fmt: skip
                shutil.copyfile(path, target / rel / name)
    return target


def submission_digest(path: Path) -> str:
    """sha256 hex of a submission: of the wheel's bytes, or of a directory's sorted
    ``"<relative path>\\0<sha256 of the file>\\n"`` lines (``__pycache__`` left out)."""
    if path.is_file():
        return hashlib.sha256(path.read_bytes()).hexdigest()
    h = hashlib.sha256()
    for p in sorted(path.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts:
            digest = hashlib.sha256(p.read_bytes()).hexdigest()
            h.update(f"{p.relative_to(path).as_posix()}\0{digest}\n".encode())
    return h.hexdigest()
