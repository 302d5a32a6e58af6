"""Budget sweeps: accuracy vs generated tokens for several policies over a list of token budgets.

``run_sweep(suite, policies, budgets, out_dir)`` runs ``run_suite`` once per (policy, budget)
with every case's budget overridden (submissions land in ``out_dir/<policy>/b<budget>`` and are
resumable like any ``bench run``), then writes ``sweep.json`` (the numbers) and ``sweep.png``
(accuracy vs mean generated tokens per episode, one line per policy, each point annotated with
its budget and drawn with 95% bootstrap CIs) — the DALA budget-sweep figure with the baselines
on the same axes. ``plot_sweep`` redraws the figure from a saved ``sweep.json``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1
POINT_KEYS = (
    "accuracy",
    "accuracy_ci",
    "generated_tokens",
    "generated_ci",
    "billed_tokens",
    "billed_ci",
    "episodes",
)


def policy_dirname(policy: str) -> str:
    """A file-system-safe directory name for a policy spec (``pkg.mod:Cls`` -> ``pkg.mod_Cls``)."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", policy).strip("._")
    if not name:
        raise ValueError(f"policy {policy!r} gives an empty directory name")
    return name


def _check_args(policies: Sequence[str], budgets: Sequence[int], limit: int | None) -> None:
    if not policies:
        raise ValueError("policies must name at least one policy")
    if len({policy_dirname(p) for p in policies}) != len(policies):
        raise ValueError(f"policies must be distinct (after making directory names): {policies}")
    if not budgets:
        raise ValueError("budgets must hold at least one budget")
    for b in budgets:
        if isinstance(b, bool) or not isinstance(b, int) or b < 1:
            raise ValueError(f"budgets must be positive ints, got {b!r}")
    if len(set(budgets)) != len(budgets):
        raise ValueError(f"budgets must be distinct, got {list(budgets)}")
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be None or >= 1, got {limit}")


def run_sweep(
    suite: Any,
    policies: Sequence[str],
    budgets: Sequence[int],
    out_dir: str | Path,
    *,
    limit: int | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Run every policy at every budget on ``suite`` (a Suite or its name); returns sweep.json.

    The result is ``{"schema_version", "suite", "suite_version", "limit", "budgets",
    "policies": {policy: [{"budget", "accuracy", "accuracy_ci", "generated_tokens",
    "generated_ci", "billed_tokens", "billed_ci", "episodes", "submission"}, ...]}}`` with each
    policy's points in ascending budget order.
    """
    from econ_env.bench.runner import run_suite

    _check_args(policies, budgets, limit)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ordered = sorted(budgets)
    data: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "suite": suite if isinstance(suite, str) else getattr(suite, "name", str(suite)),
        "suite_version": None,
        "limit": limit,
        "budgets": ordered,
        "policies": {},
    }
    for policy in policies:
        points = []
        for budget in ordered:
            sub = out / policy_dirname(policy) / f"b{budget}"
            res = run_suite(suite, policy, sub, limit=limit, progress=progress, budgets=[budget])
            data["suite"] = res.get("suite", data["suite"])
            data["suite_version"] = res.get("suite_version", data["suite_version"])
            point = {"budget": budget, **{k: res[k] for k in POINT_KEYS}}
            point["submission"] = str(sub.relative_to(out))
            points.append(point)
        data["policies"][policy] = points
    (out / "sweep.json").write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    plot_sweep(data, out / "sweep.png")
    return data


def _err(v: float, ci: Sequence[float]) -> list[float]:
    return [max(0.0, v - float(ci[0])), max(0.0, float(ci[1]) - v)]


def plot_sweep(data: Mapping[str, Any], path: str | Path) -> Path:
    """Draw accuracy vs generated tokens per episode, one line per policy, points = budgets."""
    from matplotlib.figure import Figure  # Agg canvas, no pyplot global state

    fig = Figure(figsize=(8, 5), dpi=100)
    ax = fig.add_subplot()
    placed: dict[tuple[float, float], int] = {}  # stack labels of coinciding points
    for policy, points in data["policies"].items():
        pts = sorted(points, key=lambda p: p["budget"])
        xs = [float(p["generated_tokens"]) for p in pts]
        ys = [float(p["accuracy"]) for p in pts]
        xe = [_err(x, p["generated_ci"]) for x, p in zip(xs, pts, strict=True)]
        ye = [_err(y, p["accuracy_ci"]) for y, p in zip(ys, pts, strict=True)]
        xerr = [[e[0] for e in xe], [e[1] for e in xe]]
        yerr = [[e[0] for e in ye], [e[1] for e in ye]]
        label = str(policy)[:40].replace("$", r"\$")  # no mathtext from policy names
        line = ax.errorbar(
            xs, ys, xerr=xerr, yerr=yerr, fmt="-o", capsize=3, lw=1.2, ms=4, label=label
        )
        for x, y, p in zip(xs, ys, pts, strict=True):
            k = placed.get((round(x, 6), round(y, 6)), 0)
            placed[(round(x, 6), round(y, 6))] = k + 1
            ax.annotate(
                f"b{p['budget']}",
                (x, y),
                xytext=(4, -10 - 9 * k),
                textcoords="offset points",
                fontsize=7,
                color=line.lines[0].get_color(),
                parse_math=False,
            )
    xs_all = [float(p["generated_tokens"]) for ps in data["policies"].values() for p in ps]
    if xs_all and min(xs_all) > 0 and max(xs_all) / min(xs_all) > 8:
        ax.set_xscale("log")
    suite = f"{data.get('suite', '')} v{data.get('suite_version', '')}"
    ax.set_title(f"budget sweep on {suite}", fontsize=10)
    ax.set_xlabel("generated tokens per episode (mean)")
    ax.set_ylabel("accuracy")
    ax.set_ylim(-0.02, 1.05)
    ax.grid(alpha=0.3)
    if data["policies"]:
        ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, format="png")
    return out


def format_sweep(data: Mapping[str, Any]) -> str:
    """A plain-text table of a sweep: policy, budget, accuracy [CI], generated and billed."""
    lines = [f"{'policy':<24} {'budget':>7} {'accuracy':>22} {'generated':>10} {'billed':>9}"]
    for policy, points in data["policies"].items():
        for p in points:
            lo, hi = p["accuracy_ci"]
            acc = f"{p['accuracy']:.3f} [{lo:.3f}, {hi:.3f}]"
            lines.append(
                f"{policy[:24]:<24} {p['budget']:>7} {acc:>22} "
                f"{p['generated_tokens']:>10.1f} {p['billed_tokens']:>9.1f}"
            )
    return "\n".join(lines)
