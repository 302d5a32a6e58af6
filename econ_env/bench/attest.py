"""The maintainer's attestation of a re-run submission (``attestation.json``).

``econ-env bench evaluate`` re-runs an agent submission and, given the maintainer's key, signs
the directory it wrote: :func:`attest` writes ``attestation.json``::

    {"files": {"metadata.json": "<sha256 hex>", "results.json": ..., "traces.jsonl": ...},
     "key_id": "<which key>", "hmac": "<HMAC-SHA256 hex>"}

where ``hmac`` is HMAC-SHA256 with the key over the canonical JSON (sorted keys, no spaces) of
``{"files": ..., "key_id": ...}``. :func:`check_attestation` recomputes it from the files on
disk: editing any signed file after signing (the results, say) or the attestation itself is
detected. An HMAC proves the maintainer's key signed the files; only holders of the key can
check it (the leaderboard build does, with the key from its environment).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from econ_env.bench.limits import file_limit
from econ_env.bench.safe_io import MissingFile, atomic_write, read_capped
from econ_env.bench.safe_json import loads_bounded

__all__ = ["ATTESTATION", "SIGNED_FILES", "attest", "check_attestation", "key_id_of"]

ATTESTATION = "attestation.json"
SIGNED_FILES = ("metadata.json", "traces.jsonl", "results.json")
"""The files every attestation covers."""
OPTIONAL_FILES = {"generations.jsonl": 50_000_000}
"""Signed too when present (with their size limits)."""
MAX_ATTESTATION_BYTES = 64_000
_HEX = re.compile(r"[0-9a-f]{64}")
_KEY_ID = re.compile(r"[A-Za-z0-9._:@-]{1,64}")


def key_id_of(key: bytes) -> str:
    """A default key id: ``"sha256:"`` + the first 16 hex digits of the key's sha256."""
    return "sha256:" + hashlib.sha256(key).hexdigest()[:16]


def _limit(name: str) -> int:
    return OPTIONAL_FILES[name] if name in OPTIONAL_FILES else file_limit(name)


def _canonical(files: Mapping[str, str], key_id: str) -> bytes:
    body = {"files": dict(files), "key_id": key_id}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def _mac(key: bytes, files: Mapping[str, str], key_id: str) -> str:
    return hmac.new(key, _canonical(files, key_id), hashlib.sha256).hexdigest()


def _check_key(key: bytes) -> None:
    if not isinstance(key, bytes) or len(key) < 16:
        raise ValueError("the attestation key must be bytes, at least 16 of them")


def _digest(path: Path) -> str:
    return hashlib.sha256(read_capped(path, _limit(path.name))).hexdigest()


def attest(directory: str | Path, key: bytes, key_id: str) -> dict[str, Any]:
    """Sign the submission in ``directory``: write and return its ``attestation.json`` object."""
    _check_key(key)
    if not isinstance(key_id, str) or not _KEY_ID.fullmatch(key_id):
        raise ValueError(f"key_id must match {_KEY_ID.pattern}, got {key_id!r}")
    d = Path(directory)
    names = [*SIGNED_FILES, *(n for n in OPTIONAL_FILES if (d / n).exists())]
    files = {}
    for name in names:
        try:
            files[name] = _digest(d / name)
        except ValueError as err:
            raise ValueError(f"cannot sign {d / name}: {err}") from None
    body = {"files": files, "key_id": key_id, "hmac": _mac(key, files, key_id)}
    atomic_write(d / ATTESTATION, (json.dumps(body, indent=2, sort_keys=True) + "\n").encode())
    return body


def check_attestation(directory: str | Path, key: bytes) -> str | None:
    """``None`` when ``directory``'s ``attestation.json`` is valid under ``key``, else why not.

    Reads are bounded (``attestation.json`` at most 64 KB, each signed file within its
    submission limit); nothing from the directory is trusted before the HMAC matches.
    """
    _check_key(key)
    d = Path(directory)
    try:
        raw = read_capped(d / ATTESTATION, MAX_ATTESTATION_BYTES)
        body = loads_bounded(raw.decode("utf-8"))
    except MissingFile:
        return f"no {ATTESTATION} (the submission was not signed)"
    except (ValueError, UnicodeDecodeError) as err:
        return f"{ATTESTATION}: {err}"
    if not isinstance(body, dict) or set(body) != {"files", "key_id", "hmac"}:
        return f"{ATTESTATION} must hold exactly the keys files, key_id and hmac"
    files, key_id, mac = body["files"], body["key_id"], body["hmac"]
    if not isinstance(key_id, str) or not _KEY_ID.fullmatch(key_id):
        return f"{ATTESTATION}: key_id must match {_KEY_ID.pattern}"
    if not isinstance(mac, str) or not _HEX.fullmatch(mac):
        return f"{ATTESTATION}: hmac must be 64 lowercase hex digits"
    allowed = (*SIGNED_FILES, *OPTIONAL_FILES)
    if (
        not isinstance(files, dict)
        or not set(SIGNED_FILES) <= set(files) <= set(allowed)
        or not all(isinstance(v, str) and _HEX.fullmatch(v) for v in files.values())
    ):
        return (
            f"{ATTESTATION}: files must map each of {list(SIGNED_FILES)} (and optionally "
            f"{list(OPTIONAL_FILES)}) to a sha256 hex digest"
        )
    if not hmac.compare_digest(mac, _mac(key, files, key_id)):
        return f"{ATTESTATION}: the signature does not match (another key, or edited)"
    unsigned = [n for n in OPTIONAL_FILES if n not in files and (d / n).exists()]
    if unsigned:
        return f"{unsigned[0]} is present but not signed"
    for name, digest in sorted(files.items()):
        try:
            actual = _digest(d / name)
        except ValueError as err:
            return f"{name}: {err}"
        if not hmac.compare_digest(actual, digest):
            return f"{name} was changed after it was signed (sha256 differs)"
    return None
