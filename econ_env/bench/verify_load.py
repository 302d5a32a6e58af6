"""The verifier's loading stage: JSON Schemas, size-capped reads, bounded parsing, the gold file.

Used by :func:`econ_env.bench.verify.verify_submission`; every problem is reported through
``report.add`` (a :class:`~econ_env.bench.verify.VerifyReport`) naming the file and line, and
nothing here raises on bad data.
"""

from __future__ import annotations

import itertools
import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from econ_env.bench import submission as sub
from econ_env.bench.limits import MAX_ERRORS, MAX_GOLD_BYTES, file_limit
from econ_env.bench.safe_io import MissingFile, read_capped
from econ_env.bench.safe_json import loads_bounded

__all__ = [
    "FILES",
    "json_error",
    "load_gold",
    "load_schema",
    "parse_json",
    "parse_traces",
    "read_files",
    "schema_errors",
]

FILES = (sub.METADATA, sub.TRACES, sub.RESULTS)


@cache
def load_schema(name: str) -> dict[str, Any]:
    """The JSON Schema ``metadata``, ``results`` or ``trace``."""
    text = resources.files("econ_env.bench").joinpath(f"schemas/{name}.schema.json").read_text()
    return json.loads(text)


@cache
def _validator(name: str) -> Any:
    import jsonschema

    schema = load_schema(name)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def schema_errors(name: str, obj: Any) -> list[str]:
    first = itertools.islice(_validator(name).iter_errors(obj), 20)
    errors = sorted(first, key=lambda e: [str(p) for p in e.absolute_path])
    out = []
    for e in errors[:5]:
        where = "/".join(str(p) for p in e.absolute_path) or "(top level)"
        msg = e.message if len(e.message) <= 200 else e.message[:200] + "..."
        out.append(f"schema: at {where}: {msg}")
    return out


def json_error(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
    return f"malformed JSON: {exc}"


# ----------------------------------------------------------------------------- loading
def read_files(root: Path, max_bytes: int | None, report: Any) -> dict[str, str] | None:
    texts: dict[str, str] = {}
    for name in FILES:
        try:
            texts[name] = read_capped(root / name, file_limit(name, max_bytes)).decode("utf-8")
        except MissingFile:
            report.add(f"{name}: missing")
        except UnicodeDecodeError as exc:
            report.add(f"{name}: not UTF-8 text ({exc})")
        except ValueError as exc:
            report.add(f"{name}: {exc}")
    return None if report.errors else texts


def parse_json(text: str, name: str, report: Any) -> Any:
    try:
        return loads_bounded(text)
    except ValueError as exc:
        report.add(f"{name}: {json_error(exc)}")
        return None


def parse_traces(text: str, episodes: int, report: Any) -> list | None:
    allowed = episodes + MAX_ERRORS
    n_lines = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
    if n_lines > allowed:
        report.add(
            f"{sub.TRACES}: {n_lines} lines, over the limit of {allowed} for this run "
            f"({episodes} episodes + {MAX_ERRORS}); not parsed"
        )
        return None
    before = report.found
    traces: list[tuple[int, Any]] = []
    for n, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            traces.append((n, loads_bounded(line)))
        except ValueError as exc:
            report.add(f"{sub.TRACES} line {n}: {json_error(exc)}")
    if not traces and report.found == before:
        report.add(f"{sub.TRACES}: no episodes")
    return None if report.found > before else traces


def load_gold(gold_file: str | Path, report: Any) -> dict | None:
    p = Path(gold_file)
    try:
        gold = loads_bounded(read_capped(p, MAX_GOLD_BYTES).decode("utf-8"))
    except (OSError, ValueError) as exc:
        report.add(f"gold file {p}: cannot be read ({exc})")
        return None
    if not isinstance(gold, dict) or not all(isinstance(v, str) for v in gold.values()):
        report.add(f"gold file {p}: must be a JSON object {{item_id: gold string}}")
        return None
    return gold
