"""Submission directories of econ-bench-v0: metadata, traces, results and their aggregation.

A submission (written by :func:`econ_env.bench.runner.run_suite`) is a directory with three
files (the formats are published as JSON Schemas in ``docs/schemas/``):

* ``metadata.json`` — who/what/where: package version, git SHA, policy, suite and version,
  ``limit`` (and ``budgets`` when a sweep replaced the suite's), backend, decoding parameters,
  the prompt hash and the creation time (:func:`build_metadata`);
* ``traces.jsonl`` — one JSON object per episode, in suite order;
* ``results.json`` — accuracy, mean billed and generated tokens with 95% percentile-bootstrap
  intervals (2000 resamples drawn from ``numpy.random.default_rng(0)``; the same resampled
  episode indices serve every metric), accuracy per 1k generated tokens and a per-case table
  (:func:`compute_results`). ``verify`` recomputes it with the same function.

JSON is written strictly (no NaN/Infinity) and read strictly (duplicate keys and NaN/Infinity
rejected): submissions are data, never pickles.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

import numpy as np

from econ_env.bench.safe_json import reject_constant, reject_duplicate_keys

__all__ = [
    "METADATA",
    "RESULTS",
    "SCHEMA_VERSION",
    "TRACES",
    "bootstrap_ci",
    "build_metadata",
    "compute_results",
    "dump_json",
    "git_sha",
    "jsonable",
    "loads_strict",
    "prompt_hash",
    "write_json",
]

SCHEMA_VERSION = 2
"""2 added ``track``, ``generation_log``, ``evaluation`` and the backend's ``weights_digest``
(``spec``, ``kwargs``, ``identity`` on the real-model track); version 1 submissions still verify."""
METADATA = "metadata.json"
TRACES = "traces.jsonl"
RESULTS = "results.json"
N_BOOTSTRAP = 2000
BOOTSTRAP_SEED = 0
_CHUNK = 250  # resamples drawn per call (bounds memory; the stream is the same as one draw)


# ----------------------------------------------------------------------------- JSON
def jsonable(value: Any) -> Any:
    """``value`` as plain JSON types (numpy scalars/arrays, tuples, sets, dataclasses, enums)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (frozenset, set)):
        return sorted(jsonable(v) for v in value)
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if is_dataclass(value) and not isinstance(value, type):
        return jsonable(asdict(value))
    enum_value = getattr(value, "value", None)
    if isinstance(enum_value, (str, int)):
        return enum_value
    return str(value)


def dump_json(obj: Any, *, indent: int | None = None) -> str:
    """Strict JSON text (``ValueError`` on NaN/Infinity)."""
    return json.dumps(obj, allow_nan=False, indent=indent, sort_keys=indent is not None)


def write_json(path: str | Path, obj: Any) -> None:
    """Write ``obj`` as indented strict JSON, atomically (a temp file renamed over ``path``)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(dump_json(obj, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


def loads_strict(text: str) -> Any:
    """Parse JSON, rejecting duplicate keys and NaN/Infinity (``ValueError``; also for nesting
    too deep to parse). Untrusted files go through the stricter
    :func:`econ_env.bench.safe_json.loads_bounded`."""
    try:
        return json.loads(
            text, object_pairs_hook=reject_duplicate_keys, parse_constant=reject_constant
        )
    except RecursionError:
        raise ValueError("JSON nested too deep to parse") from None


# ----------------------------------------------------------------------------- metadata
def git_sha(path: str | Path | None = None) -> str | None:
    """The git commit of the checkout holding ``path`` (this package by default), or None."""
    where = Path(path) if path is not None else Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=where,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    sha = out.stdout.strip()
    return sha if out.returncode == 0 and len(sha) == 40 else None


def prompt_versions() -> list[str]:
    """The distinct prompt versions of the registered games, sorted.

    Distinct, so that registering a new version of a game that keeps its prompts (auction_v1,
    debate_v1) leaves the hash, and every submission made before it, valid."""
    from econ_env.registry import ENVS

    return sorted({info.prompt_version for info in ENVS.values()})


def prompt_hash() -> str:
    """sha256 hex of the sorted distinct prompt versions joined by newlines."""
    return hashlib.sha256("\n".join(prompt_versions()).encode()).hexdigest()


def backend_info(env: Any) -> dict[str, Any]:
    """``{"name", "model_id", "revision", "weights_digest"}`` of an env's backend."""
    backend = env.unwrapped.game.backend
    name = str(getattr(backend, "name", type(backend).__name__))
    model_id = getattr(backend, "model_id", None) or name
    revision = getattr(backend, "revision", None)
    return {
        "name": name,
        "model_id": str(model_id),
        "revision": jsonable(revision),
        "weights_digest": None,
    }


def decoding_info(env: Any) -> dict[str, Any]:
    """The decoding settings an env's config fixes (belief map and token caps)."""
    cfg = env.unwrapped.config
    keys = ("max_draft_tokens", "max_answer_tokens", "strategy_cap", "commitment_cap")
    out = {k: getattr(cfg, k) for k in keys if hasattr(cfg, k)}
    out["beliefs"] = jsonable(cfg.beliefs)
    out["backend_kwargs"] = jsonable(cfg.backend_kwargs)
    return out


def build_metadata(
    *,
    suite: Any,
    policy: str,
    limit: int | None,
    budgets: Sequence[int] | None,
    envs: Mapping[str, Any],
    backend: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``metadata.json`` object; ``envs`` maps an env name to one built env of the suite.

    ``backend`` is the real-model track's backend object
    (:func:`econ_env.bench.genlog.backend_metadata`); ``None`` for a simulated run."""
    from econ_env.version import __version__

    first = next(iter(envs.values()))
    return {
        "schema_version": SCHEMA_VERSION,
        "package_version": __version__,
        "git_sha": git_sha(),
        "policy": policy,
        "suite": suite.name,
        "suite_version": suite.version,
        "limit": limit,
        "budgets": None if budgets is None else [int(b) for b in budgets],
        "track": "simulated" if backend is None else "real-model",
        "backend": backend_info(first) if backend is None else jsonable(dict(backend)),
        "generation_log": None if backend is None else "generations.jsonl",
        "evaluation": None,
        "decoding": {name: decoding_info(env) for name, env in sorted(envs.items())},
        "prompt_hash": prompt_hash(),
        "prompt_versions": prompt_versions(),
        "created": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


# ----------------------------------------------------------------------------- results
def _resample_indices(n: int) -> list[np.ndarray]:
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    out, left = [], N_BOOTSTRAP
    while left > 0:
        k = min(_CHUNK, left)
        out.append(rng.integers(0, n, size=(k, n)))
        left -= k
    return out


def bootstrap_ci(values: np.ndarray, chunks: list[np.ndarray]) -> list[float]:
    """95% percentile interval of the mean of ``values`` over the resampled index ``chunks``."""
    means = np.concatenate([values[idx].mean(axis=1) for idx in chunks])
    lo, hi = np.percentile(means, [2.5, 97.5])
    return [float(lo), float(hi)]


def _per_1k(accuracy: float, generated: float) -> float:
    return 1000.0 * accuracy / generated if generated > 0 else 0.0


def compute_results(
    traces: Sequence[Mapping[str, Any]], *, suite: str, suite_version: str, policy: str
) -> dict[str, Any]:
    """The ``results.json`` object of ``traces`` (in suite order)."""
    n = len(traces)
    if n == 0:
        raise ValueError("traces must hold at least one episode")
    correct = np.array([1.0 if t["correct"] else 0.0 for t in traces])
    billed = np.array([float(t["totals"]["billed"]) for t in traces])
    generated = np.array([float(t["totals"]["generated"]) for t in traces])
    chunks = _resample_indices(n)
    accuracy = float(correct.mean())
    gen_mean = float(generated.mean())
    per_case: dict[str, dict[str, Any]] = {}
    cases: dict[str, list[int]] = {}
    for i, t in enumerate(traces):
        cases.setdefault(t["case"], []).append(i)
    for case, idx in cases.items():
        acc = float(correct[idx].mean())
        per_case[case] = {
            "episodes": len(idx),
            "accuracy": acc,
            "billed_tokens": float(billed[idx].mean()),
            "generated_tokens": float(generated[idx].mean()),
            "accuracy_per_1k_generated": _per_1k(acc, float(generated[idx].mean())),
        }
    return {
        "schema_version": SCHEMA_VERSION,
        "suite": suite,
        "suite_version": suite_version,
        "policy": policy,
        "episodes": n,
        "accuracy": accuracy,
        "accuracy_ci": bootstrap_ci(correct, chunks),
        "billed_tokens": float(billed.mean()),
        "billed_ci": bootstrap_ci(billed, chunks),
        "generated_tokens": gen_mean,
        "generated_ci": bootstrap_ci(generated, chunks),
        "accuracy_per_1k_generated": _per_1k(accuracy, gen_mean),
        "per_case": per_case,
    }
