"""The leaderboard's badges and ranking rules, per track.

Every listed submission gets its verification badge (``complete``, ``partial``, ``unverified``
or ``invalid``) and, once the verifier accepted it, one badge that says whether its numbers were
produced independently of the submitter:

* simulated track: ``re-run`` when ``econ-env bench evaluate`` produced it (``metadata.json``
  has an ``evaluation`` block) **and** its ``attestation.json`` is valid under the maintainer's
  key (:func:`econ_env.bench.attest.check_attestation`); otherwise ``self-reported``, with the
  reason (a trace-only submission, no attestation, a bad signature, no key given to the build);
* real-model track: ``verified-log`` when the verifier replayed every episode from the
  submission's generation log (its report's ``log_replayed`` is ``True``); otherwise
  ``self-reported``; plus ``spot-checked`` when the verifier regenerated sampled requests with
  the model and they matched (the report's ``spot_checked`` is a count > 0).

An entry is **ranked** only when it is ``complete`` and ``re-run`` (simulated track) or
``complete`` and ``verified-log`` (real-model track). Badge notes are display-safe text (they
quote reasons computed from submissions); the page escapes them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from econ_env.bench.safe_text import display_safe

__all__ = [
    "BADGES",
    "AttestationChecker",
    "Badges",
    "assign_badges",
    "read_key_file",
    "report_flags",
    "rerun_problem",
]

BADGES = (
    "complete",
    "partial",
    "re-run",
    "verified-log",
    "spot-checked",
    "self-reported",
    "unverified",
    "invalid",
)
"""Every badge the page can show, in display order."""

_STATUS_BADGE = {
    "verified": "complete",
    "partial": "partial",
    "unverified": "unverified",
    "invalid": "invalid",
}
_MAX_NOTE = 500
ATTESTATION = "attestation.json"
MAX_KEY_BYTES = 4096

AttestationChecker = Callable[[Path, bytes], "str | None"]


@dataclass(frozen=True)
class Badges:
    """An entry's badges (in :data:`BADGES` order), a note per badge and whether it is ranked."""

    names: tuple[str, ...]
    notes: dict[str, str] = field(default_factory=dict)
    ranked: bool = False


def _note(text: str) -> str:
    text = display_safe(text)
    return text if len(text) <= _MAX_NOTE else text[: _MAX_NOTE - 1] + "…"


def _default_checker(path: Path, key: bytes) -> str | None:
    try:
        from econ_env.bench.attest import check_attestation
    except ImportError:  # helper module not installed in this build
        return "attestation checking is unavailable (econ_env.bench.attest is missing)"
    return check_attestation(path, key)


def rerun_problem(
    path: Path,
    *,
    evaluation: bool,
    key: bytes | None,
    checker: AttestationChecker | None = None,
) -> str | None:
    """``None`` when the simulated-track submission at ``path`` was re-run by the maintainer
    (an ``evaluation`` block and an attestation valid under ``key``), else why it is
    self-reported. Never raises."""
    if not evaluation:
        return (
            "a trace-only submission: metadata.json has no evaluation block, so it was not "
            "re-run by econ-env bench evaluate on hidden seeds"
        )
    if key is None:
        return (
            "no maintainer key was given to the build (--key-file), so no attestation was checked"
        )
    if not (path / ATTESTATION).is_file() or (path / ATTESTATION).is_symlink():
        return f"no {ATTESTATION}: the evaluation block is not signed by the maintainer"
    check = checker if checker is not None else _default_checker
    try:
        problem = check(path, key)
    except Exception as exc:  # a broken attestation never breaks the build
        problem = f"cannot be checked: {type(exc).__name__}: {exc}"
    if problem is not None:
        return f"{ATTESTATION} is not valid under the maintainer's key: {problem}"
    return None


def assign_badges(
    status: str,
    reason: str,
    track: str,
    *,
    rerun: str | None = None,
    log_replayed: bool = False,
    spot_checked: int = 0,
    key_id: str = "",
) -> Badges:
    """The badges of an entry with verification ``status`` (``reason``: its note) on ``track``.

    ``rerun`` is :func:`rerun_problem`'s answer (simulated track); ``log_replayed`` and
    ``spot_checked`` come from the verifier's report (real-model track).
    """
    base = _STATUS_BADGE[status]
    names, notes = [base], {base: _note(reason or status)}
    if status in ("verified", "partial"):
        if track == "simulated" and rerun is None:
            names.append("re-run")
            by = f" (key {key_id})" if key_id else ""
            notes["re-run"] = _note(
                "re-run by econ-env bench evaluate in a separate process on seeds drawn at "
                f"evaluation time; attestation valid under the maintainer's key{by}"
            )
        elif track == "simulated":
            names.append("self-reported")
            notes["self-reported"] = _note(f"listed, never ranked: {rerun}")
        elif track == "real-model" and log_replayed:
            names.append("verified-log")
            notes["verified-log"] = "every episode replayed from its generation log"
        elif track == "real-model":
            names.append("self-reported")
            notes["self-reported"] = _note(
                "listed, never ranked: the verifier did not replay a generation log"
            )
        if track == "real-model" and spot_checked > 0:
            names.append("spot-checked")
            notes["spot-checked"] = (
                f"{spot_checked} sampled request(s) regenerated with the model and matched"
            )
    ranked = base == "complete" and ("re-run" in names or "verified-log" in names)
    order = {b: i for i, b in enumerate(BADGES)}
    return Badges(tuple(sorted(names, key=order.__getitem__)), notes, ranked)


def report_flags(report: Any) -> tuple[bool, int]:
    """``(log_replayed, spot_checked)`` read defensively from a verifier's report."""
    log = getattr(report, "log_replayed", False) is True
    spot = getattr(report, "spot_checked", 0)
    ok = isinstance(spot, int) and not isinstance(spot, bool) and spot > 0
    return log, spot if ok else 0


def read_key_file(path: str | Path) -> bytes:
    """The maintainer's attestation key from ``path``: its bytes, without one trailing newline
    (``\\n`` or ``\\r\\n``), at least 16 and at most 4096 of them (``ValueError`` otherwise)."""
    p = Path(path)
    try:
        with p.open("rb") as f:
            raw = f.read(MAX_KEY_BYTES + 3)
    except OSError as exc:
        raise ValueError(f"key file {str(p)!r}: {exc.strerror or exc}") from None
    key = raw[:-2] if raw.endswith(b"\r\n") else raw[:-1] if raw.endswith(b"\n") else raw
    if not 16 <= len(key) <= MAX_KEY_BYTES:
        raise ValueError(
            f"key file {str(p)!r}: the key must be 16 to {MAX_KEY_BYTES} bytes, got {len(key)}"
        )
    return key
