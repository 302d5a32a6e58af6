"""The verifier's per-episode checks (fields, re-score, re-count, replay) and the results diff.

Used by :func:`econ_env.bench.verify.verify_submission` on traces that already passed the
schema; values quoted from a submission are shortened with
:func:`econ_env.bench.safe_json.short_repr`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from econ_env.bench import submission as sub
from econ_env.bench.baseline_check import baseline_problems, is_checkable
from econ_env.bench.safe_json import short_repr as _r
from econ_env.bench.suites import EpisodeSpec, Suite

__all__ = ["TOLERANCE", "check_episode", "compare_results"]

TOLERANCE = 1e-9


def _first_difference(a: list, b: list, what: str) -> str:
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            if isinstance(x, dict) and isinstance(y, dict):
                keys = [k for k in sorted(set(x) | set(y)) if x.get(k) != y.get(k)]
                diffs = ", ".join(
                    f"{k} {_r(x.get(k))} (trace) vs {_r(y.get(k))} (replay)" for k in keys[:5]
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
            errors.append(f"{key} {_r(trace[key])} differs from the replay's {_r(fresh[key])}")
    for key in ("ledger", "transcript"):
        if fresh[key] != trace[key]:
            errors.append(_first_difference(trace[key], fresh[key], key))
    if "history" in trace and fresh["history"] != trace["history"]:
        errors.append("history differs from the replay")
    return errors


def check_episode(
    spec: EpisodeSpec, trace: dict, suite: Suite, meta: dict, gold: dict | None, replay: bool
) -> list[str]:
    """The problems of one schema-valid ``trace`` of ``spec`` (empty when it checks out)."""
    from econ_env.bench.runner import episode_config
    from econ_env.tasks.answers import check_answer

    errors = []
    for key in ("case", "env", "item_id", "budget", "seed"):
        if trace[key] != getattr(spec, key):
            errors.append(
                f"{key} {_r(trace[key])} does not match the suite's {_r(getattr(spec, key))}"
            )
    if trace["policy"] != meta["policy"]:
        errors.append(f"policy {_r(trace['policy'])} differs from metadata's {_r(meta['policy'])}")
    config = episode_config(spec, meta["policy"])
    if meta.get("track") == "real-model":  # the suite's config on the claimed real backend
        from econ_env.bench.genlog import real_config

        config = real_config(config, meta["backend"])
    config_ok = trace["config"] == sub.jsonable(config)
    if not config_ok:
        errors.append(
            f"config {_r(trace['config'], 200)} differs from the suite's {_r(config, 200)}"
        )
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
                f"{_r(trace['final_answer'])} {'matches' if rescored else 'does not match'} "
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
    if replay and config_ok and not errors and is_checkable(trace["policy"], config):
        errors.extend(baseline_problems(spec, trace, config))  # a run labelled "truthful" is it
    return errors


def compare_results(claimed: Any, actual: Any, add: Callable[[str], Any], path: str = "") -> None:
    """Report through ``add`` every difference of the claimed ``results.json`` from ``actual``."""
    where = f"{sub.RESULTS}: {path}"
    if isinstance(actual, dict):
        if not isinstance(claimed, dict):
            add(f"{where} should be an object")
            return
        for k in sorted(set(claimed) | set(actual)):
            sub_path = f"{path}.{k}" if path else k
            if k not in actual:
                add(f"{sub.RESULTS}: {sub_path} is not in the recomputed results")
            elif k not in claimed:
                add(f"{sub.RESULTS}: {sub_path} is missing (recomputed: {_r(actual[k])})")
            else:
                compare_results(claimed[k], actual[k], add, sub_path)
    elif isinstance(actual, list):
        if not isinstance(claimed, list) or len(claimed) != len(actual):
            add(f"{where} is {_r(claimed)} but the traces give {_r(actual)}")
            return
        for i, (c, a) in enumerate(zip(claimed, actual, strict=True)):
            compare_results(c, a, add, f"{path}[{i}]")
    elif isinstance(actual, (int, float)) and not isinstance(actual, bool):
        ok = isinstance(claimed, (int, float)) and not isinstance(claimed, bool)
        if not ok or abs(claimed - actual) > TOLERANCE * max(1.0, abs(actual)):
            add(f"{where} is {_r(claimed)} but the traces give {actual!r}")
    elif claimed != actual:
        add(f"{where} is {_r(claimed)} but the traces give {_r(actual)}")
