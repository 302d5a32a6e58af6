"""Verify an econ-bench submission directory: schema, episode set, scores, tokens and replay.

``verify_submission(path)`` treats the submission as untrusted data (strict JSON only; nothing
is unpickled, imported or executed from it) and checks, in order:

1. the three files are present, plain files and at most ``max_file_bytes`` each;
2. each parses as strict JSON (``traces.jsonl`` line by line) — if not, it stops here;
3. each matches its JSON Schema (``econ_env/bench/schemas``, published in ``docs/schemas``);
4. the suite is known and its version, the policy and the prompt hash agree;
5. the episode ids equal the suite's (given ``limit``/``budgets``): missing, unknown and
   duplicate ids are reported;
6. per episode: its fields and env config match the suite's; ``correct`` is re-scored from
   ``final_answer`` and the gold (the suite's, or ``gold_file`` for external-gold suites);
   totals are re-counted from the ledger; billed <= budget; and with ``replay`` on the simulated
   backend the episode is replayed in a fresh env with the recorded actions: the final answer,
   stop reason, rounds, ledger and transcript must equal the trace's (the env counts tokens);
7. ``results.json`` is recomputed from the traces and compared (tolerance 1e-9).

Every problem becomes one line of :attr:`VerifyReport.errors` naming the file, the line or
episode, and the mismatch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from econ_env.bench import submission as sub
from econ_env.bench.suites import EpisodeSpec, Suite, get_suite, list_suites

__all__ = ["VerifyReport", "load_schema", "verify_submission"]

FILES = (sub.METADATA, sub.TRACES, sub.RESULTS)
TOLERANCE = 1e-9
_MAX_LISTED = 20  # missing ids listed one by one before a summary line
_SCHEMAS = {sub.METADATA: "metadata", sub.RESULTS: "results", sub.TRACES: "trace"}


@dataclass
class VerifyReport:
    """The outcome of :func:`verify_submission`: ``ok`` when ``errors`` is empty."""

    path: str
    errors: list[str] = field(default_factory=list)
    checked_episodes: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def __str__(self) -> str:
        head = f"{self.path}: {'OK' if self.ok else 'REJECTED'} ({self.checked_episodes} episodes)"
        return "\n".join([head, *(f"  - {e}" for e in self.errors)])


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


def _schema_errors(name: str, obj: Any) -> list[str]:
    errors = sorted(_validator(name).iter_errors(obj), key=lambda e: list(e.absolute_path))
    out = []
    for e in errors[:5]:
        where = "/".join(str(p) for p in e.absolute_path) or "(top level)"
        msg = e.message if len(e.message) <= 200 else e.message[:200] + "..."
        out.append(f"schema: at {where}: {msg}")
    return out


def _json_error(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
    return f"malformed JSON: {exc}"


# ----------------------------------------------------------------------------- loading
def _read_files(root: Path, max_bytes: int, report: VerifyReport) -> dict[str, str] | None:
    texts: dict[str, str] = {}
    for name in FILES:
        p = root / name
        if not p.exists() and not p.is_symlink():
            report.errors.append(f"{name}: missing")
        elif p.is_symlink() or not p.is_file():
            report.errors.append(f"{name}: not a regular file")
        elif (size := p.stat().st_size) > max_bytes:
            report.errors.append(f"{name}: {size} bytes, over the size limit of {max_bytes}")
        else:
            try:
                texts[name] = p.read_bytes().decode("utf-8")
            except UnicodeDecodeError as exc:
                report.errors.append(f"{name}: not UTF-8 text ({exc})")
    return None if report.errors else texts


def _parse(texts: dict[str, str], report: VerifyReport) -> tuple[Any, Any, list] | None:
    parsed: dict[str, Any] = {}
    for name in (sub.METADATA, sub.RESULTS):
        try:
            parsed[name] = sub.loads_strict(texts[name])
        except ValueError as exc:
            report.errors.append(f"{name}: {_json_error(exc)}")
    traces: list[tuple[int, Any]] = []
    for n, line in enumerate(texts[sub.TRACES].split("\n"), start=1):
        if not line.strip():
            continue
        try:
            traces.append((n, sub.loads_strict(line)))
        except ValueError as exc:
            report.errors.append(f"{sub.TRACES} line {n}: {_json_error(exc)}")
    if not traces and not report.errors:
        report.errors.append(f"{sub.TRACES}: no episodes")
    if report.errors:
        return None
    return parsed[sub.METADATA], parsed[sub.RESULTS], traces


def _load_gold(gold_file: str | Path, max_bytes: int, report: VerifyReport) -> dict | None:
    p = Path(gold_file)
    try:
        if p.stat().st_size > max_bytes:
            report.errors.append(f"gold file {p}: over the size limit of {max_bytes} bytes")
            return None
        gold = sub.loads_strict(p.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        report.errors.append(f"gold file {p}: cannot be read ({exc})")
        return None
    if not isinstance(gold, dict) or not all(isinstance(v, str) for v in gold.values()):
        report.errors.append(f"gold file {p}: must be a JSON object {{item_id: gold string}}")
        return None
    return gold


# ----------------------------------------------------------------------------- episodes
def _where(n: int, eid: Any) -> str:
    return f"{sub.TRACES} line {n} (episode {eid})"


def _first_difference(a: list, b: list, what: str) -> str:
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            if isinstance(x, dict) and isinstance(y, dict):
                keys = [k for k in sorted(set(x) | set(y)) if x.get(k) != y.get(k)]
                diffs = ", ".join(
                    f"{k} {x.get(k)!r} (trace) vs {y.get(k)!r} (replay)" for k in keys
                )
                return f"{what} entry {i} differs from the replay: {diffs}"
            return f"{what} entry {i} differs from the replay"
    return f"{what} has {len(a)} entries but the replay has {len(b)}"


def _replay(spec: EpisodeSpec, trace: dict, config: dict) -> list[str]:
    from econ_env.bench.runner import episode_record, make_env, play_episode

    try:
        env = make_env(spec.env, spec.env_config(config))
        actions, info = play_episode(env, spec, actions=trace["actions"])
    except Exception as exc:  # the recorded actions do not fit the episode
        return [f"replay failed: {exc}"]
    fresh = episode_record(env, spec, config, trace["policy"], actions, info)
    errors = []
    for key in ("final_answer", "stop_reason", "rounds"):
        if fresh[key] != trace[key]:
            errors.append(f"{key} {trace[key]!r} differs from the replay's {fresh[key]!r}")
    for key in ("ledger", "transcript"):
        if fresh[key] != trace[key]:
            errors.append(_first_difference(trace[key], fresh[key], key))
    if "history" in trace and fresh["history"] != trace["history"]:
        errors.append("history differs from the replay")
    return errors


def _check_episode(
    spec: EpisodeSpec, trace: dict, suite: Suite, meta: dict, gold: dict | None, replay: bool
) -> list[str]:
    from econ_env.bench.runner import episode_config
    from econ_env.tasks.answers import check_answer

    errors = []
    for key in ("case", "env", "item_id", "budget", "seed"):
        if trace[key] != getattr(spec, key):
            errors.append(f"{key} {trace[key]!r} does not match the suite's {getattr(spec, key)!r}")
    if trace["policy"] != meta["policy"]:
        errors.append(f"policy {trace['policy']!r} differs from metadata's {meta['policy']!r}")
    config = episode_config(spec, meta["policy"])
    config_ok = trace["config"] == sub.jsonable(config)
    if not config_ok:
        errors.append(f"config {trace['config']!r} differs from the suite's {config!r}")
    # Re-score.
    if suite.gold == "bundled":
        g, kind = suite.gold_for(spec.item_id, spec.case)
    elif gold is not None and spec.item_id in gold:
        g, kind = gold[spec.item_id], suite.kind_for(spec.item_id, spec.case)
    else:
        g = kind = None
        if gold is not None:
            errors.append(f"the gold file has no gold for item {spec.item_id!r}")
    if g is not None:
        rescored = bool(check_answer(trace["final_answer"], g, kind))
        if rescored != trace["correct"]:
            errors.append(
                f"correct is {str(trace['correct']).lower()} but final answer "
                f"{trace['final_answer']!r} {'matches' if rescored else 'does not match'} "
                "the gold answer"
            )
    # Re-count.
    ledger = trace["ledger"]
    billed = sum(e["billed"] for e in ledger)
    generated = sum(e["prompt_tokens"] + e["completion_tokens"] for e in ledger)
    if trace["totals"]["billed"] != billed:
        errors.append(f"totals.billed {trace['totals']['billed']} but the ledger sums to {billed}")
    if trace["totals"]["generated"] != generated:
        errors.append(
            f"totals.generated {trace['totals']['generated']} but the ledger sums to {generated}"
        )
    if billed > spec.budget:
        errors.append(f"billed {billed} tokens, over the budget of {spec.budget}")
    bad_index = [i for i, e in enumerate(ledger) if e["index"] != i]
    if bad_index:
        errors.append(f"ledger entry {bad_index[0]} has index {ledger[bad_index[0]]['index']}")
    if replay and config_ok and config.get("backend", "simulated") == "simulated":
        errors.extend(_replay(spec, trace, config))
    return errors


# ----------------------------------------------------------------------------- results
def _compare(path: str, claimed: Any, actual: Any, out: list[str]) -> None:
    if isinstance(actual, dict):
        if not isinstance(claimed, dict):
            out.append(f"{sub.RESULTS}: {path} should be an object")
            return
        for k in sorted(set(claimed) | set(actual)):
            sub_path = f"{path}.{k}" if path else k
            if k not in actual:
                out.append(f"{sub.RESULTS}: {sub_path} is not in the recomputed results")
            elif k not in claimed:
                out.append(f"{sub.RESULTS}: {sub_path} is missing (recomputed: {actual[k]!r})")
            else:
                _compare(sub_path, claimed[k], actual[k], out)
    elif isinstance(actual, list):
        if not isinstance(claimed, list) or len(claimed) != len(actual):
            out.append(f"{sub.RESULTS}: {path} is {claimed!r} but the traces give {actual!r}")
            return
        for i, (c, a) in enumerate(zip(claimed, actual, strict=True)):
            _compare(f"{path}[{i}]", c, a, out)
    elif isinstance(actual, (int, float)) and not isinstance(actual, bool):
        ok = isinstance(claimed, (int, float)) and not isinstance(claimed, bool)
        if not ok or abs(claimed - actual) > TOLERANCE * max(1.0, abs(actual)):
            out.append(f"{sub.RESULTS}: {path} is {claimed!r} but the traces give {actual!r}")
    elif claimed != actual:
        out.append(f"{sub.RESULTS}: {path} is {claimed!r} but the traces give {actual!r}")


# ----------------------------------------------------------------------------- main
def verify_submission(
    path: str | Path,
    *,
    gold_file: str | Path | None = None,
    max_file_bytes: int = 50_000_000,
    replay: bool = True,
) -> VerifyReport:
    """Check the submission directory ``path`` (see the module docstring)."""
    root = Path(path)
    report = VerifyReport(str(root))
    if not root.is_dir():
        report.errors.append(f"{root}: not a directory")
        return report
    texts = _read_files(root, max_file_bytes, report)
    parsed = None if texts is None else _parse(texts, report)
    if parsed is None:
        return report
    meta, results, traces = parsed
    errs = report.errors
    errs.extend(f"{sub.METADATA}: {e}" for e in _schema_errors("metadata", meta))
    results_ok = not (r_errs := _schema_errors("results", results))
    errs.extend(f"{sub.RESULTS}: {e}" for e in r_errs)
    valid: list[tuple[int, dict]] = []
    for n, t in traces:
        t_errs = _schema_errors("trace", t)
        eid = t.get("episode_id") if isinstance(t, dict) else None
        errs.extend(f"{_where(n, eid)}: {e}" for e in t_errs)
        if not t_errs:
            valid.append((n, t))
    if any(e.startswith(sub.METADATA) for e in errs):
        return report

    # Suite.
    if meta["suite"] not in list_suites():
        errs.append(f"{sub.METADATA}: unknown suite {meta['suite']!r}; known: {list_suites()}")
        return report
    suite = get_suite(meta["suite"])
    if meta["suite_version"] != suite.version:
        errs.append(
            f"{sub.METADATA}: suite_version {meta['suite_version']!r} does not match "
            f"{suite.name} version {suite.version!r}"
        )
        return report
    backends = {str(c.config.get("backend", "simulated")) for c in suite.cases}
    if meta["backend"]["name"] not in backends:
        errs.append(
            f"{sub.METADATA}: backend.name {meta['backend']['name']!r} but the suite's episodes "
            f"run on {sorted(backends)}"
        )
    if meta["prompt_hash"] != sub.prompt_hash():
        errs.append(f"{sub.METADATA}: prompt_hash does not match this package's prompts")
    if results_ok:
        for key in ("suite", "suite_version", "policy"):
            if results[key] != meta[key]:
                errs.append(f"{sub.RESULTS}: {key} {results[key]!r} but metadata has {meta[key]!r}")
    gold = None
    if suite.gold == "external":
        if gold_file is None:
            errs.append(f"suite {suite.name} keeps its gold outside the package: pass gold_file")
        else:
            gold = _load_gold(gold_file, max_file_bytes, report)
    try:
        specs = suite.episodes(meta["limit"], budgets=meta.get("budgets"))
    except ValueError as exc:
        errs.append(f"{sub.METADATA}: {exc}")
        return report

    # Episode set.
    by_id = {s.episode_id: s for s in specs}
    seen: dict[str, int] = {}
    to_check: list[tuple[int, dict, EpisodeSpec]] = []
    for n, t in valid:
        eid = t["episode_id"]
        if eid in seen:
            errs.append(
                f"{sub.TRACES} line {n}: duplicate episode {eid} (first on line {seen[eid]})"
            )
        elif eid not in by_id:
            errs.append(f"{sub.TRACES} line {n}: unknown episode {eid} (not in {suite.name})")
        else:
            seen[eid] = n
            to_check.append((n, t, by_id[eid]))
    ids = {
        t["episode_id"]
        for _, t in traces
        if isinstance(t, dict) and isinstance(t.get("episode_id"), str)
    }
    missing = [s.episode_id for s in specs if s.episode_id not in ids]
    errs.extend(f"{sub.TRACES}: missing episode {eid}" for eid in missing[:_MAX_LISTED])
    if len(missing) > _MAX_LISTED:
        errs.append(f"{sub.TRACES}: {len(missing)} episodes missing in all")
    order = [by_id[t["episode_id"]] for _, t, _ in to_check]
    if order != [s for s in specs if s.episode_id in seen]:
        errs.append(f"{sub.TRACES}: episodes are not in suite order")

    # Episodes.
    for n, t, spec in to_check:
        try:
            problems = _check_episode(spec, t, suite, meta, gold, replay)
        except Exception as exc:  # never crash on bad data
            problems = [f"cannot be checked: {type(exc).__name__}: {exc}"]
        errs.extend(f"{_where(n, spec.episode_id)}: {p}" for p in problems)
        report.checked_episodes += 1

    # Results.
    if results_ok and valid:
        kept = [t for _, t in valid]
        actual = sub.compute_results(
            kept, suite=meta["suite"], suite_version=meta["suite_version"], policy=meta["policy"]
        )
        _compare("", results, actual, errs)
    return report
