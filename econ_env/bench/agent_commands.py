"""The ``econ-env bench evaluate`` and ``econ-env bench reveal`` commands (simulated track).

- ``econ-env bench evaluate SUBMISSION --suite econ-bench-v1/test --out DIR --secret-file F
  [--key-file K] [--key-id ID] [--limit N] [--action-seconds S] [--total-seconds S]
  [--memory-mb M]`` re-runs an agent submission on seeds drawn from the secret in ``F`` (32
  bytes as 64 hex digits) and signs the result with the key in ``K`` (the file's bytes without
  the trailing newline, as ``econ-env leaderboard build --key-file`` reads it). A secret or key
  file that does not exist is created (64 random hex digits, mode 0600); keep the secret
  private until the results are published, then publish it.
- ``econ-env bench reveal DIR --secret-file F`` checks a published secret against the
  commitment and seeds in ``DIR/metadata.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import stat
from pathlib import Path
from typing import Any

from econ_env.bench.safe_text import terminal_safe

__all__ = ["add_agent_commands", "read_or_create_hex", "read_or_create_key", "run_agent_command"]

_HEADLINE = ("suite", "policy", "episodes", "accuracy", "accuracy_ci", "billed_tokens",
             "generated_tokens")  # fmt: skip


def add_agent_commands(bsub: Any) -> None:
    """Register ``evaluate`` and ``reveal`` on the ``bench`` subparsers object."""
    ev = bsub.add_parser("evaluate", help="re-run an agent submission on hidden seeds (sandboxed)")
    ev.add_argument("submission", help="a directory with submission.json, or a .whl")
    ev.add_argument("--suite", default="econ-bench-v1/test")
    ev.add_argument("--out", required=True, help="a new or empty directory")
    ev.add_argument("--secret-file", required=True, help="the seed secret (created if missing)")
    ev.add_argument("--key-file", default=None, help="the attestation key (created if missing)")
    ev.add_argument("--key-id", default=None, help="names the key (default: from its hash)")
    ev.add_argument("--limit", type=int, default=None, help="first N items of every case")
    ev.add_argument("--action-seconds", type=float, default=1.0)
    ev.add_argument("--total-seconds", type=float, default=1800.0)
    ev.add_argument("--memory-mb", type=int, default=1024)
    ev.add_argument("--no-progress", action="store_true")
    rv = bsub.add_parser("reveal", help="check a published seed secret against a run")
    rv.add_argument("path", help="the evaluated submission directory")
    rv.add_argument("--secret-file", required=True)


def _read_hex(path: Path, what: str, min_bytes: int) -> bytes:
    if path.is_symlink() or not path.is_file():
        raise ValueError(f"{what} file {path} is not a regular file")
    if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        print(f"warning: {what} file {terminal_safe(str(path))} is readable by others")
    text = path.read_bytes()[:4096].decode("ascii", "replace").strip().lower()
    try:
        value = bytes.fromhex(text)
    except ValueError:
        value = b""
    if len(value) < min_bytes:
        raise ValueError(f"{what} file {path} must hold at least {min_bytes} bytes as hex digits")
    return value


def read_or_create_hex(path: Path, what: str, min_bytes: int) -> tuple[bytes, bool]:
    """``(bytes, created)``: the hex-encoded bytes in ``path``, or 32 new random bytes written
    there as hex with mode 0600 when the file does not exist."""
    if _create(path):
        return bytes.fromhex(path.read_text().strip()), True
    return _read_hex(path, what, min_bytes), False


def _create(path: Path) -> bool:
    """Write 32 random bytes as hex (and a newline) to ``path`` if it does not exist (0600)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as fh:
        fh.write(os.urandom(32).hex() + "\n")
    return True


def read_or_create_key(path: Path) -> tuple[bytes, bool]:
    """``(key, created)``: the attestation key is the key file's bytes without the trailing
    newline (as ``econ-env leaderboard build --key-file`` reads it); a missing file is created
    with 64 random hex digits (mode 0600)."""
    from econ_env.bench.leaderboard_badges import read_key_file

    created = _create(path)
    return read_key_file(path), created


def _evaluate(args: argparse.Namespace) -> int:
    from econ_env.bench.agent_eval import evaluate_submission
    from econ_env.bench.agent_proc import AgentError, AgentLimits
    from econ_env.bench.attest import key_id_of

    try:
        limits = AgentLimits(action_s=args.action_seconds, total_s=args.total_seconds,
                             memory_mb=args.memory_mb)  # fmt: skip
        secret, new = read_or_create_hex(Path(args.secret_file), "secret", 32)
        if new:
            print(f"created the seed secret {terminal_safe(args.secret_file)} (mode 0600): keep "
                  "it private until the results are published, then publish it "
                  "(`econ-env bench reveal` checks it)")  # fmt: skip
        key = key_id = None
        if args.key_file is not None:
            key, new = read_or_create_key(Path(args.key_file))
            if new:
                print(f"created the attestation key {terminal_safe(args.key_file)} (mode 0600)")
            key_id = args.key_id or key_id_of(key)
        results = evaluate_submission(
            args.submission, args.suite, args.out, secret=secret, key=key,
            key_id=key_id or "", limits=limits, limit=args.limit, progress=not args.no_progress,
        )  # fmt: skip
    except AgentError as err:
        print(f"REJECTED: {terminal_safe(str(err))}")
        if err.limit:
            print(f"limit: {err.limit}")
        return 1
    except (ValueError, KeyError, OSError) as err:
        raise SystemExit(f"econ-env bench evaluate: {terminal_safe(str(err))}") from None
    print(json.dumps({k: results[k] for k in _HEADLINE if k in results}, indent=1))
    if key is None:
        print("not signed (no --key-file): the leaderboard ranks only signed re-runs")
    return 0


def _reveal(args: argparse.Namespace) -> int:
    from econ_env.bench.hidden_seeds import check_reveal
    from econ_env.bench.limits import file_limit
    from econ_env.bench.safe_io import read_capped
    from econ_env.bench.safe_json import loads_bounded

    try:
        secret = Path(args.secret_file).read_bytes()[:4096].decode("ascii", "replace")
        raw = read_capped(Path(args.path) / "metadata.json", file_limit("metadata.json"))
        metadata = loads_bounded(raw.decode("utf-8"))
    except (ValueError, OSError, UnicodeDecodeError) as err:
        raise SystemExit(f"econ-env bench reveal: {terminal_safe(str(err))}") from None
    problems = check_reveal(secret, metadata)
    if problems:
        print("REVEAL FAILED:")
        for p in problems:
            print(f"  - {terminal_safe(p)}")
        return 1
    print("the secret matches the commitment and re-derives every case's seeds")
    return 0


def run_agent_command(args: argparse.Namespace) -> int:
    """Run a parsed ``bench evaluate`` / ``bench reveal`` command; the exit code."""
    return _evaluate(args) if args.bench_command == "evaluate" else _reveal(args)
