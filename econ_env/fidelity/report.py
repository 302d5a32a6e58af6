"""The study's comparison: real vs simulated per policy, Kendall's tau with CIs, plot, markdown.

:func:`compare` turns real and simulated :class:`~econ_env.fidelity.study.EpisodeRecord` lists
into one JSON-ready dict (the side-by-side table and tau, overall and per game, for accuracy, for
generated tokens and, for the games given costs, for the team return the agents maximise);
:func:`format_markdown` prints it; :func:`plot_comparison` draws the
simulated-vs-real scatter with 95% CIs (matplotlib, imported on use).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from econ_env.fidelity.stats import RETURN, Costs, bootstrap_tau, policy_stats, ranking_table
from econ_env.fidelity.study import EpisodeRecord

__all__ = ["compare", "format_markdown", "plot_comparison"]


def compare(
    real: Sequence[EpisodeRecord],
    sim: Sequence[EpisodeRecord],
    *,
    n_boot: int = 2000,
    seed: int = 0,
    costs: Costs | None = None,
) -> dict[str, Any]:
    """The side-by-side table and Kendall's tau (with bootstrap CIs) of every policy in ``real``.

    ``tau`` maps a scope (``"all"`` and each game) to ``{metric: [tau, low, high]}`` for
    accuracy (``correct``) and ``generated_tokens``, and for ``team_return`` in the scopes whose
    games all have ``costs`` (``{game: (cost_weight, budget)}``).
    """
    labels = list(dict.fromkeys(e.label for e in real))
    rs, ss = policy_stats(real, costs), policy_stats(sim, costs)
    missing = [lab for lab in labels if lab not in ss]
    if missing:
        raise ValueError(f"compare: no simulated episodes for {missing}")
    games = list(dict.fromkeys(rs[lab].game for lab in labels))
    scopes = {"all": labels, **{g: [lab for lab in labels if rs[lab].game == g] for g in games}}
    tau: dict[str, dict[str, list[float]]] = {}
    for scope, labs in scopes.items():
        tau[scope] = {}
        metrics = ["correct", "generated_tokens"]
        if costs and all(rs[lab].game in costs for lab in labs):
            metrics.append(RETURN)
        for metric in metrics:
            t = bootstrap_tau(real, sim, labs, metric=metric, n_boot=n_boot, seed=seed, costs=costs)
            tau[scope][metric] = [round(v, 4) if not math.isnan(v) else None for v in t]
    return {
        "table": ranking_table(rs, ss, labels),
        "tau": tau,
        "n_real_episodes": len(real),
        "n_sim_episodes": len(sim),
    }


def _fmt_tau(t: Sequence[float | None]) -> str:
    if t[0] is None:
        return "undefined"
    lo, hi = t[1], t[2]
    ci = "" if lo is None else f" [{lo:+.2f}, {hi:+.2f}]"
    return f"{t[0]:+.2f}{ci}"


def format_markdown(result: Mapping[str, Any], title: str = "") -> str:
    """The comparison as markdown: the table, then tau per scope."""
    out = [f"### {title}", ""] if title else []
    returns = any(f"real_{RETURN}" in r for r in result["table"])
    head = (
        "| policy | game | n | real accuracy | sim accuracy | real rank | sim rank | "
        "real billed | sim billed | real generated | sim generated |"
    )
    out += [
        head + (" real return | sim return |" if returns else ""),
        "|---|---|---|---|---|---|---|---|---|---|---|" + ("---|---|" if returns else ""),
    ]
    for r in result["table"]:
        line = (
            f"| {r['policy']} | {r['game']} | {r['n']} "
            f"| {r['real_correct']:.3f} ± {r['real_correct_ci']:.3f} "
            f"| {r['sim_correct']:.3f} ± {r['sim_correct_ci']:.3f} "
            f"| {r['real_rank']} | {r['sim_rank']} "
            f"| {r['real_billed_tokens']:.0f} | {r['sim_billed_tokens']:.0f} "
            f"| {r['real_generated_tokens']:.0f} | {r['sim_generated_tokens']:.0f} |"
        )
        if returns:
            line += (
                f" {r[f'real_{RETURN}']:.3f} | {r[f'sim_{RETURN}']:.3f} |"
                if f"real_{RETURN}" in r
                else " — | — |"
            )
        out.append(line)
    out += [
        "",
        "| scope | Kendall τ, accuracy [95% CI] | Kendall τ, generated tokens |"
        + (" Kendall τ, team return |" if returns else ""),
        "|---|---|---|" + ("---|" if returns else ""),
    ]
    for scope, t in result["tau"].items():
        line = f"| {scope} | {_fmt_tau(t['correct'])} | {_fmt_tau(t['generated_tokens'])} |"
        if returns:
            line += f" {_fmt_tau(t[RETURN]) if RETURN in t else '—'} |"
        out.append(line)
    return "\n".join(out) + "\n"


def _tau_line(name: str, tau: Mapping[str, Any], metric: str) -> str:
    """``name: τ = ...`` over all policies, or per game when the study has several games."""
    games = [g for g in tau if g != "all"]
    name = name.split(" (")[0]  # the simulator's name without its note
    if len(games) <= 1:
        return f"{name}: τ = {_fmt_tau(tau['all'][metric])}"
    per_game = ", ".join(f"{g.split('_')[0]} {_fmt_tau(tau[g][metric])}" for g in games)
    return f"{name}: τ {per_game}"


def plot_comparison(
    results: Mapping[str, Mapping[str, Any]], path: str | Path, model: str = "the real model"
) -> None:
    """Simulated vs real accuracy and generated tokens per policy (95% CIs), one colour per
    simulator in ``results`` (name -> :func:`compare` output); writes a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 5.2))
    markers = {"auction_v0": "o", "debate_v0": "s"}
    for k, (name, res) in enumerate(results.items()):
        colour = f"C{k}"
        for ax, m in zip(axes, ("correct", "generated_tokens"), strict=True):
            for r in res["table"]:
                ax.errorbar(
                    r[f"real_{m}"],
                    r[f"sim_{m}"],
                    xerr=r[f"real_{m}_ci"],
                    yerr=r[f"sim_{m}_ci"],
                    fmt=markers.get(str(r["game"]), "^"),
                    color=colour,
                    alpha=0.8,
                    capsize=2,
                    label=name if r is res["table"][0] else None,
                )
                if k == len(results) - 1:
                    ax.annotate(
                        str(r["policy"]),
                        (r[f"real_{m}"], r[f"sim_{m}"]),
                        fontsize=6,
                        xytext=(3, 3),
                        textcoords="offset points",
                    )
    for ax, m, unit in zip(
        axes,
        ("correct", "generated_tokens"),
        ("accuracy", "generated tokens per episode"),
        strict=True,
    ):
        lo, hi = ax.get_xlim()
        lo2, hi2 = ax.get_ylim()
        a, b = min(lo, lo2), max(hi, hi2)
        ax.plot([a, b], [a, b], color="grey", lw=0.8, ls="--")
        ax.set_xlabel(f"real model: {unit}")
        ax.set_ylabel(f"simulator: {unit}")
        ax.set_title(
            "\n".join(_tau_line(n, res["tau"], m) for n, res in results.items()), fontsize=7
        )
    axes[0].legend(fontsize=7, loc="upper left")
    fig.suptitle(
        f"Policies on {model} vs the simulator (circles: auction_v0, squares: debate_v0)",
        fontsize=9,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
