"""Trace files: :func:`save_traces` writes recorded rows as JSONL under a metadata header line,
:func:`load_traces` reads them back (``econ-env calibrate --save-traces`` / ``--traces``); a
path ending in ``.gz`` is gzip-compressed either way."""

from __future__ import annotations

import gzip
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from econ_env.calibration.types import TraceRow

__all__ = ["load_traces", "save_traces"]


def save_traces(path: str | Path, rows: Sequence[TraceRow], meta: Mapping[str, Any]) -> None:
    """Write a JSONL file: a ``{"_meta": ...}`` header line, then one row per line."""
    lines = [json.dumps({"_meta": dict(meta)})] + [json.dumps(asdict(r)) for r in rows]
    data = ("\n".join(lines) + "\n").encode("utf-8")
    if str(path).endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    Path(path).write_bytes(data)


def load_traces(path: str | Path) -> tuple[list[TraceRow], dict[str, Any]]:
    """Read a file written by :func:`save_traces` (``ValueError`` naming the line on bad input)."""
    rows, meta = [], {}
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                if "_meta" in data:
                    meta = data["_meta"]
                else:
                    rows.append(TraceRow.from_dict(data))
            except (json.JSONDecodeError, ValueError) as err:
                raise ValueError(f"{path}:{n}: {err}") from None
    return rows, meta
