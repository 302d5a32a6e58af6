"""``econ-env calibrate``: fit the simulated backend to a real model's traces and report the fit.

::

    econ-env calibrate --backend hf:qwen2.5-coder-0.5b --task gsm_symbolic --episodes 20 \\
        --out params.json --report fit.md
    econ-env calibrate --traces params.traces.jsonl --out params.json   # re-fit, no model calls

The real backend runs behind the SQLite cache (``--cache PATH``, default the cache's default
file; ``--no-cache`` to call the model directly), so an interrupted run resumes where it stopped
and a re-run with more episodes only generates the new ones (``--cache-mode replay`` re-plays
from the cache alone and fails on a miss, naming the request). The recorded traces are written to
``--save-traces`` (default ``<out>.traces.jsonl``) and can be re-fitted with ``--traces``.
``-c KEY=VALUE`` overrides an env config field in every game that has it
(``-c auction_v0.max_rounds=3`` for one game); ``--backend-arg KEY=VALUE`` goes to the backend
(e.g. ``num_threads=1``). ``--parallel K`` plays K episodes at once in threads whose requests
are merged into one batched call (a real model decodes a larger batch at a lower cost per
token; the traces are the same as with ``--parallel 1``). The fit report (real vs simulated
accuracy, tokens, confidence AUC, adoption) is printed and, with ``--report``, written as
markdown.
"""

from __future__ import annotations

import argparse
import datetime
import shlex
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from econ_env.calibration.record import DEFAULT_POLICIES, ENVS
from econ_env.cli_args import parse_key_values
from econ_env.version import __version__

__all__ = ["add_commands", "build_metadata", "report_markdown", "run_command"]


def add_commands(sub: Any) -> list[str]:
    """Add the ``calibrate`` sub-command to an argparse sub-parsers object."""
    p = sub.add_parser("calibrate", help="fit the simulated backend to a real model's traces")
    p.add_argument("--backend", default="simulated", help="backend spec (e.g. hf:smollm2)")
    p.add_argument("--task", default="gsm_symbolic", help="task name (default gsm_symbolic)")
    p.add_argument("--episodes", type=int, default=10, help="episodes per game (default 10)")
    p.add_argument("--seed", type=int, default=0, help="item draw and env seeds (default 0)")
    p.add_argument("--out", help="write the fitted parameters (preset JSON) here")
    p.add_argument("--report", help="write the fit report as markdown here")
    p.add_argument("--cache", help="SQLite cache path for a real backend (default: cache default)")
    p.add_argument("--no-cache", action="store_true", help="call the backend without the cache")
    p.add_argument(
        "--cache-mode",
        default="read-write",
        choices=("read-write", "replay", "record"),
        help="replay: every generation must come from the cache (no model is loaded)",
    )
    p.add_argument("--traces", help="re-fit recorded traces (JSONL) instead of playing")
    p.add_argument("--save-traces", help="where to write the traces (default <out>.traces.jsonl)")
    p.add_argument(
        "-c",
        "--config",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="env config override for every game with that field (GAME.KEY=VALUE for one)",
    )
    p.add_argument(
        "--backend-arg",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="backend keyword argument, e.g. dtype=bfloat16 or num_threads=1",
    )
    p.add_argument(
        "--policy",
        action="append",
        default=[],
        metavar="GAME=NAME",
        help="policy of a game (default "
        + ", ".join(f"{g}={name}" for g, name in DEFAULT_POLICIES.items())
        + ")",
    )
    p.add_argument(
        "--envs", default=",".join(ENVS), help=f"comma-separated games (default {','.join(ENVS)})"
    )
    p.add_argument("--skill", default="auto", choices=("auto", "per-agent", "shared"))
    p.add_argument("--repeats", type=int, default=3, help="simulated replays per episode")
    p.add_argument(
        "--parallel", type=int, default=1, help="episodes played at once, batched together"
    )
    p.add_argument("--name", help="preset name stored in the metadata")
    return ["calibrate"]


def _env_overrides(items: list[str], envs: list[str]) -> dict[str, dict[str, Any]]:
    """``-c`` pairs per game: ``game.key=v`` for one game, ``key=v`` for every game having it."""
    from dataclasses import fields

    from econ_env.registry import ENVS

    known = {name: {f.name for f in fields(info.config)} for name, info in ENVS.items()}
    out: dict[str, dict[str, Any]] = {g: {} for g in envs}
    for key, value in parse_key_values(items, "-c").items():
        game, dot, field = key.rpartition(".")
        games = [game] if dot else [g for g in envs if field in known.get(g, ())]
        if dot and game not in out:
            raise ValueError(f"-c {key}: unknown game {game!r}; one of {envs}")
        if not games or any(field not in known.get(g, ()) for g in games):
            raise ValueError(f"-c {key}: no config field {field!r} in {games or envs}")
        for g in games:
            out[g][field] = value
    return out


def build_metadata(args: argparse.Namespace, backend: Any, meta: Mapping[str, Any]) -> dict:
    """Metadata stored with traces and presets (model, identity, task, episodes, command...)."""
    identity = getattr(backend, "identity", None) if backend is not None else None
    extra: dict[str, Any] = {}
    kind, _, name = str(meta.get("model", args.backend)).partition(":")
    if kind == "hf" and "gguf_sha256" not in meta:
        try:
            from econ_env.models.registry import get_model_spec

            spec = get_model_spec(name)
            extra = {"upstream": spec.upstream, "gguf_sha256": spec.gguf_sha256}
        except (ImportError, ValueError):
            pass
    command = "econ-env " + shlex.join(sys.argv[1:] if sys.argv[1:] else ["calibrate"])
    return {
        **dict(meta),
        **extra,
        "model": meta.get("model", args.backend),
        "identity": meta.get("identity") or (dict(identity) if identity else None),
        "econ_env_version": __version__,
        "fitted_on": datetime.date.today().isoformat(),
        "command": meta.get("command", command),  # the command that recorded the traces
        "fit_command": command,
    }


def report_markdown(meta: Mapping[str, Any], rep: Any) -> str:
    """The fit report as markdown: metadata, fitted parameters, estimates and the comparison."""
    from econ_env.calibration.report import format_comparison

    p = rep.params.to_dict()
    lines = ["# Calibration report", ""]
    keys = ("name", "model", "upstream", "gguf_sha256", "task", "episodes", "seed")
    for key in (*keys, "recorded_on", "record_seconds", "fitted_on"):
        if meta.get(key) is not None:
            lines.append(f"- {key}: `{meta[key]}`")
    ident = meta.get("identity") or {}
    for key in sorted(ident):
        lines.append(f"- identity.{key}: `{ident[key]}`")
    lines.append(f"- rows: {rep.n_rows} completions")
    lines.append(f"- recorded with: `{meta.get('command', '')}`")
    if meta.get("fit_command") != meta.get("command"):
        lines.append(f"- fitted with: `{meta.get('fit_command', '')}`")
    lines.append("")
    lines += ["## Real vs simulated", "", "```", format_comparison(rep.comparison), "```", ""]
    lines += ["## Estimates (95% Wald intervals)", "", "| estimate | value | 95% CI | rows |"]
    lines.append("|---|---:|---|---:|")
    for e in rep.estimates:
        lines.append(f"| {e.name} | {e.value:.3f} | [{e.low:.3f}, {e.high:.3f}] | {e.n} |")
    lines.append("")
    if "skill" in rep.fitted:  # a fit of step 8 alone (regime traces) fits no skill
        p_eq = f"{rep.equal_skill_p:.3g}"
        lines += [f"Skill mode: {rep.skill_mode} (equal-skill LRT p = {p_eq}).", ""]
    lines += ["## Parameters", "", "| field | value | how |", "|---|---|---|"]
    for name, value in p.items():
        how = rep.fitted.get(name) or f"kept: {rep.kept.get(name, 'base value')}"
        shown = f"{value:.4g}" if isinstance(value, float) else str(value)
        if isinstance(value, dict):
            shown = ", ".join(f"{k}: {v:.3f}" for k, v in value.items())
        elif isinstance(value, list):
            shown = ", ".join(f"{v:.3f}" for v in value)
        lines.append(f"| {name} | {shown} | {how} |")
    if rep.notes:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in rep.notes]
    return "\n".join(lines) + "\n"


def _calibrate(args: argparse.Namespace) -> int:
    from econ_env.calibration.fit import fit_sim_params
    from econ_env.calibration.record import record_traces
    from econ_env.calibration.report import format_comparison, simulate_report
    from econ_env.calibration.traces_io import load_traces, save_traces
    from econ_env.llm.registry import make_backend

    envs = [e.strip() for e in args.envs.split(",") if e.strip()]
    log = lambda msg: print(f"[calibrate {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr)  # noqa: E731
    backend = None
    if args.traces:
        rows, meta = load_traces(args.traces)
        log(f"loaded {len(rows)} rows from {args.traces} (no model calls)")
        if not rows:
            raise ValueError(f"--traces {args.traces}: no rows")
    else:
        if args.episodes < 1:
            raise ValueError(f"--episodes must be >= 1, got {args.episodes}")
        env_kwargs = _env_overrides(args.config, envs)
        policies = parse_key_values(args.policy, "--policy")
        bkw = parse_key_values(args.backend_arg, "--backend-arg")
        if args.backend.split(":", 1)[0] in ("simulated", "cache") or args.no_cache:
            backend = make_backend(args.backend, **bkw)
        else:
            backend = make_backend(
                f"cache:{args.backend}", path=args.cache, mode="read-write", **bkw
            )
        meta = {
            "model": args.backend,
            "task": args.task,
            "episodes": args.episodes,
            "seed": args.seed,
            "envs": envs,
            "env_kwargs": env_kwargs,
            "policies": policies,
            "recorded_on": datetime.date.today().isoformat(),
        }
        start = time.perf_counter()
        rows = record_traces(
            backend,
            task=args.task,
            episodes=args.episodes,
            seed=args.seed,
            envs=envs,
            env_kwargs=env_kwargs,
            policies=policies,
            progress=log,
            parallel=args.parallel,
        )
        meta["record_seconds"] = round(time.perf_counter() - start, 1)
        log(f"recorded {len(rows)} completions in {meta['record_seconds']} s")
        meta = build_metadata(args, backend, meta)
        traces = args.save_traces or (
            str(Path(args.out).with_suffix("")) + ".traces.jsonl" if args.out else None
        )
        if traces:
            save_traces(traces, rows, meta)
            log(f"traces written to {traces}")
    params, rep = fit_sim_params(rows, skill_mode=args.skill)
    simulate_report(
        params,
        rows,
        task=meta.get("task", args.task),
        env_kwargs=meta.get("env_kwargs"),
        policies=meta.get("policies"),
        repeats=args.repeats,
        seed=args.seed,
        report=rep,
    )
    meta = build_metadata(args, backend, meta) if args.traces else meta
    if args.name:
        meta["name"] = args.name
    print(format_comparison(rep.comparison))
    print(f"\nskill mode {rep.skill_mode} (equal-skill LRT p={rep.equal_skill_p:.3g}); estimates:")
    for e in rep.estimates:
        print(f"  {e.name:<22} {e.value:+.3f}  [{e.low:+.3f}, {e.high:+.3f}]  n={e.n}")
    print(f"fitted: {', '.join(rep.fitted)}\nkept:   {', '.join(rep.kept)}")
    if args.out:
        full = {**meta, "comparison": {k: list(v) for k, v in rep.comparison.items()}}
        params.to_json(args.out, metadata=full)
        log(f"parameters written to {args.out}")
    if args.report:
        Path(args.report).write_text(report_markdown(meta, rep), encoding="utf-8")
        log(f"report written to {args.report}")
    return 0


def run_command(args: argparse.Namespace) -> int:
    """Run ``econ-env calibrate`` (bad input exits with a message naming the flag)."""
    try:
        return _calibrate(args)
    except (ValueError, FileNotFoundError) as err:
        print(f"econ-env calibrate: {err}", file=sys.stderr)
        return 2
