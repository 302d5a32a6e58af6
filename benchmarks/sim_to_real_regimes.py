"""The regimes on a real model: split facts and DALA's message tiers against the simulator.

Plays the regime parts of the sim-to-real study (``econ_env.fidelity.regimes.REGIME_STUDIES``:
``asymmetric``, three bidders with one fact each; ``two_facts``, two facts per item; both again
with ``carry_facts=True`` (``*_carried``), where a revision prompt lists the facts heard;
``one_expert``, the study's model among two smaller ones; ``tiered``, the main study's items with
summary and keywords written by the model) on a real model through the SQLite cache, fits the
simulator's
regime fields (``fact_weight``, ``tier_length``, ``tier_influence``;
``econ_env.calibration.regime_fit``) on top of the shipped ``qwen2.5-coder-0.5b-arith`` preset,
and plays the same policies, items and env seeds on the simulator before and after that fit
(``--repeats`` simulator seeds). Writes the side-by-side tables, the fit report and, with
``--ship``, the docs assets, the traces (next to the preset) and the preset with its regime
fields.

Replay the shipped run without the model (seconds; ``make sim-to-real`` runs it with
``--check``, which fails unless the real episodes equal
docs/assets/fidelity/regime_episodes.jsonl)::

    OMP_NUM_THREADS=1 python benchmarks/sim_to_real_regimes.py --replay --check --out /tmp/s2rr

Record it (Qwen2.5-Coder-0.5B through llama.cpp, on top of a copy of the shipped cache, so the
tiered part's drafts, which are the main study's, are cache hits)::

    econ-env models prepare qwen2.5-coder-0.5b
    python -c "import gzip,shutil; shutil.copyfileobj(gzip.open('docs/assets/fidelity/real_cache.sqlite.gz'), open('/tmp/real.sqlite','wb'))"
    OMP_NUM_THREADS=1 python benchmarks/sim_to_real_regimes.py --cache /tmp/real.sqlite \\
        --backend-arg max_batch_size=32 --backend-arg n_threads=2 --out /tmp/s2rr --ship
"""  # noqa: E501

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from sim_to_real import (  # noqa: E402
    ASSETS,
    PRESET_NAME,
    PRESETS,
    cached_backend,
    distinct,
    study_backend,
)

EPISODES = "regime_episodes.jsonl"
TRACES = f"{PRESET_NAME}.regime-traces.jsonl.gz"
RESULT = "regimes.json"


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--backend", default="llamacpp:qwen2.5-coder-0.5b", help="real backend spec")
    p.add_argument("--backend-arg", action="append", default=[], metavar="KEY=JSON")
    p.add_argument(
        "--novice-backend",
        default="llamacpp:smollm2",
        help="the model of the one_expert part's novice seats (same cache and --backend-arg)",
    )
    p.add_argument("--cache", default=None, help="SQLite cache of the real run")
    p.add_argument("--cache-mode", default="read-write", choices=("read-write", "replay"))
    p.add_argument("--replay", action="store_true", help="replay the shipped cache (no model)")
    p.add_argument("--check", action="store_true", help=f"compare real episodes with {EPISODES}")
    p.add_argument("--regimes", default=None, help="comma-separated parts (default: every part)")
    p.add_argument("--items", type=int, default=None, help="items per part (default: the part's)")
    p.add_argument("--repeats", type=int, default=5, help="simulator seeds per episode")
    p.add_argument("--parallel", type=int, default=12, help="episodes batched together")
    p.add_argument("--boot", type=int, default=2000, help="bootstrap resamples over items")
    p.add_argument("--ship", action="store_true", help="write the docs assets, traces and preset")
    p.add_argument("--out", required=True, help="output folder")
    return p.parse_args(argv)


def parse_regimes(text: str | None) -> list[str]:
    """``"asymmetric,tiered"`` -> the names, checked against ``REGIME_STUDIES`` (``ValueError``
    naming ``--regimes`` and the allowed names); ``None``: every part."""
    from econ_env.fidelity.regimes import REGIME_STUDIES

    if text is None:
        return list(REGIME_STUDIES)
    names = [x.strip() for x in text.split(",") if x.strip()]
    bad = [n for n in names if n not in REGIME_STUDIES]
    if not names or bad:
        raise ValueError(f"--regimes must name parts of {sorted(REGIME_STUDIES)}, got {text!r}")
    return list(dict.fromkeys(names))


def base_preset() -> Any:
    """The shipped preset with its regime fields back at the defaults (what the main study's fit
    gives: it cannot identify them)."""
    from econ_env.calibration.regime_fit import REGIME_FIELDS
    from econ_env.llm.simulated import SimParams

    shipped, default = SimParams.from_preset(PRESET_NAME), SimParams()
    return replace(shipped, **{f: getattr(default, f) for f in REGIME_FIELDS})


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    try:
        names = parse_regimes(args.regimes)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="econ-s2rr-") as tmp:
        return _run(args, names, argv, Path(tmp))


def _run(args: argparse.Namespace, names: list[str], argv: list[str] | None, tmp: Path) -> int:
    from econ_env.calibration import load_traces
    from econ_env.calibration.commands import report_markdown
    from econ_env.calibration.regime_fit import REGIME_FIELDS, fit_regime_fields
    from econ_env.calibration.traces_io import save_traces
    from econ_env.fidelity import load_episodes, save_episodes
    from econ_env.fidelity.regimes import REGIME_STUDIES, run_regime_study
    from econ_env.fidelity.report import compare, format_markdown
    from econ_env.llm.simulated import SimulatedBackend

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    shipped_path = ASSETS / EPISODES
    shipped_eps, shipped_meta = load_episodes(shipped_path) if shipped_path.is_file() else ([], {})
    backend, kwargs = study_backend(args, shipped_meta, tmp)
    # the one_expert part's novice seats: behind the same cache, with the same --backend-arg
    novice = cached_backend(args.novice_backend, args, kwargs, tmp)
    t0 = time.perf_counter()
    real: dict[str, list[Any]] = {}
    part_rows: dict[str, list[Any]] = {}
    for name in names:
        eps, traces = run_regime_study(
            backend,
            name,
            n_items=args.items,
            novice_backend=novice,
            parallel=args.parallel,
            progress=lambda m, n=name: print(
                f"[{time.perf_counter() - t0:.0f} s] real {n}: {m}", flush=True
            ),
        )
        real[name] = eps
        part_rows[name] = [r for v in traces.values() for r in v]
    rows = [r for name in names for r in part_rows[name]]
    seconds = time.perf_counter() - t0
    episodes = [e for n in names for e in real[n]]
    meta = {
        "backend": args.backend,
        "backend_kwargs": kwargs,
        "novice_backend": args.novice_backend,
        "regimes": names,
        "items": args.items,
    }
    save_episodes(out / EPISODES, episodes, meta)
    unique = distinct(rows)
    print(f"real: {len(episodes)} episodes, {len(unique)} distinct completions in {seconds:.0f} s")
    if args.check:
        for name in names:  # each part against the shipped episodes of its policies
            labels = {p.label for p in REGIME_STUDIES[name].policies}
            want = [asdict(e) for e in shipped_eps if e.label in labels]
            if [asdict(e) for e in real[name]] != want:
                print(f"CHECK FAILED: the replayed real episodes of {name} differ from {EPISODES}")
                return 1
        print(f"check: the {len(episodes)} replayed real episodes equal {EPISODES}")

    before = base_preset()
    after, fit = fit_regime_fields(unique, before)
    fit_meta = {
        "name": PRESET_NAME,
        "model": args.backend,
        "regimes": names,
        "completions": len(unique),
        "command": "python benchmarks/sim_to_real_regimes.py " + " ".join(argv or sys.argv[1:]),
    }
    fit_meta["fit_command"] = fit_meta["command"]
    if args.replay and (PRESETS / TRACES).is_file():  # a refit of the replay: how it was recorded
        fit_meta["command"] = load_traces(PRESETS / TRACES)[1].get("command", fit_meta["command"])
    save_traces(out / TRACES, unique, fit_meta)
    sims = {"before (regime fields at their defaults)": before, "refitted": after}
    results: dict[str, dict[str, Any]] = {}
    sim_rows: dict[str, list[Any]] = {label: [] for label in sims}
    part_sim: dict[str, dict[str, list[Any]]] = {n: {label: [] for label in sims} for n in names}
    team_rows: dict[str, list[Any]] = {"real": [], **{label: [] for label in sims}}
    skills: dict[str, Any] = {}
    md = []
    for name in names:
        results[name] = {}
        if REGIME_STUDIES[name].novices:  # the simulator plays each seat with its fitted skill
            skills[name] = seat_skills(distinct(part_rows[name]), after)
            team_rows["real"] = part_rows[name]
        for label, params in sims.items():
            if name in skills and label == "refitted":
                params = replace(params, skill=skills[name])
            sim = []
            for k in range(args.repeats):
                eps, traces = run_regime_study(
                    SimulatedBackend(params, seed=k), name, n_items=args.items, parallel=1
                )
                sim.extend(eps)
                got = [r for v in traces.values() for r in v]
                (team_rows[label] if name in skills else sim_rows[label]).extend(got)
                part_sim[name][label].extend(got)
            costs = REGIME_STUDIES[name].config.costs()  # team return: correct - λ·billed/budget
            res = compare(real[name], sim, n_boot=args.boot, costs=costs)
            results[name][label] = res
            md.append(format_markdown(res, title=f"{name}: {label}"))
            print(md[-1])
    metrics = regime_metrics(rows, sim_rows)
    fit.comparison = {m: (*v["real"], *v["refitted"]) for m, v in metrics.items()}
    (out / "regime_fit.md").write_text(report_markdown(fit_meta, fit), encoding="utf-8")
    md.append("### The regime fields' metrics, real vs simulated\n\n" + metrics_markdown(metrics))
    print(md[-1])
    facts_parts = {  # split facts, per part: does a heard fact help (carry_facts or not)?
        n: regime_metrics(part_rows[n], part_sim[n], keys=("learned", "every fact"))
        for n in names
        if REGIME_STUDIES[n].config.task == "split_facts"
    }
    if facts_parts:
        md.append("### Split facts per part\n\n" + parts_markdown(facts_parts))
        print(md[-1])
    team = {}
    if team_rows["real"]:
        real_team = team_rows.pop("real")
        team = regime_metrics(real_team, team_rows, keys=("agent", "final", "adopted"))
        md.append("### one_expert: per seat, real vs simulated\n\n" + metrics_markdown(team))
        print(md[-1])
    summary = {
        "meta": {
            **meta,
            "real_seconds": seconds,
            "replayed": args.replay,
            "completions": len(unique),
        },
        "fit": {
            "fitted": fit.fitted,
            "kept": dict(fit.kept),
            "notes": fit.notes,
            "estimates": [asdict(e) for e in fit.estimates],
            "before": {f: _jsonable(getattr(before, f)) for f in ("fact_weight",)},
            "params": {f: _jsonable(getattr(after, f)) for f in REGIME_FIELDS},
        },
        "results": results,
        "metrics": metrics,
        "facts_parts": facts_parts,
        "one_expert": {"skills": {k: list(v) for k, v in skills.items()}, "metrics": team},
    }
    (out / RESULT).write_text(json.dumps(summary, indent=1), encoding="utf-8")
    (out / "regimes.md").write_text("\n".join(md), encoding="utf-8")
    if args.ship:
        _ship(out, after, fit_meta, unique, args)
    return 0


def regime_metrics(
    real: list[Any],
    sims: dict[str, list[Any]],
    keys: tuple[str, ...] = ("facts", "split_facts", "learned", "summary", "keywords", "heard"),
) -> dict[str, dict[str, Any]]:
    """``{metric: {"real": [value, n], <sim label>: [value, n], ...}}`` for the metrics of
    :func:`econ_env.calibration.report.summarize` whose name holds one of ``keys`` (the regime
    metrics by default; rows counted per policy on both sides)."""
    from econ_env.calibration.report import summarize

    got = {"real": summarize(real), **{k: summarize(v) for k, v in sims.items()}}
    out: dict[str, dict[str, Any]] = {}
    for metric, (_, n) in got["real"].items():
        if n and any(k in metric for k in keys):
            out[metric] = {src: [_round(got[src][metric][0]), got[src][metric][1]] for src in got}
    return out


def metrics_markdown(metrics: dict[str, dict[str, Any]]) -> str:
    """The metrics as a markdown table (value and rows per source)."""
    if not metrics:
        return "(no regime rows)\n"
    sources = list(next(iter(metrics.values())))
    head = "| metric | " + " | ".join(sources) + " |\n|---|" + "---|" * len(sources) + "\n"
    body = "".join(
        f"| {m} | " + " | ".join(_cell(v) for v in row.values()) + " |\n"
        for m, row in metrics.items()
    )
    return head + body


def parts_markdown(parts: dict[str, dict[str, dict[str, Any]]]) -> str:
    """Per-part metrics (``{part: regime_metrics(...)}``) as one markdown table."""
    rows = [(n, m, row) for n, metrics in parts.items() for m, row in metrics.items()]
    if not rows:
        return "(no split-facts rows)\n"
    sources = list(rows[0][2])
    head = "| part | metric | " + " | ".join(sources) + " |\n|---|---|" + "---|" * len(sources)
    body = "".join(
        f"\n| {n} | {m} | " + " | ".join(_cell(v) for v in row.values()) + " |"
        for n, m, row in rows
    )
    return head + body + "\n"


def seat_skills(rows: list[Any], base: Any) -> tuple[float, ...]:
    """Per-seat logit skills from one part's distinct finished drafts: for each seat the MAP
    skill (prior N(0, 4^2), as calibration's) with ``base``'s difficulty and temperature
    effects held, so the simulator plays each seat at its own measured accuracy."""
    import math

    import numpy as np
    from scipy import optimize

    from econ_env.calibration.social import p_fresh

    drafts = [r for r in rows if r.role == "draft" and r.finish_reason == "stop"]
    seats = sorted({r.agent_index for r in drafts})
    # the base model's logit without its skill: difficulty and temperature effects only
    zero = replace(base, skill=0.0)
    out = []
    for seat in range(max(seats) + 1 if seats else 0):
        sel = [r for r in drafts if r.agent_index == seat]
        y = np.array([r.correct for r in sel], float)
        off = np.array([math.log(q / (1 - q)) for q in (p_fresh(r, zero, False) for r in sel)])

        def loss(s: float, y: np.ndarray = y, off: np.ndarray = off) -> float:
            z = s + off
            return -float((y * z - np.logaddexp(0.0, z)).sum()) + 0.5 * (s / 4.0) ** 2

        out.append(float(optimize.minimize_scalar(loss, bounds=(-8, 8), method="bounded").x))
    return tuple(out)


def _cell(v: list[Any]) -> str:
    return f"— ({v[1]})" if v[0] is None else f"{v[0]:.3f} ({v[1]})"


def _round(x: float) -> float | None:
    return None if x != x else round(float(x), 4)


def _jsonable(value: Any) -> Any:
    return dict(value) if isinstance(value, tuple) else value


def _ship(out: Path, params: Any, fit_meta: dict[str, Any], unique: list[Any], args: Any) -> None:
    """Copy the results to the docs assets and write the preset with its regime fields."""
    import shutil

    from econ_env.calibration.traces_io import save_traces

    for name in (EPISODES, RESULT, "regimes.md", "regime_fit.md"):
        shutil.copy(out / name, ASSETS / name)
    save_traces(PRESETS / TRACES, unique, fit_meta)
    path = PRESETS / f"{PRESET_NAME}.json"
    metadata = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})
    metadata["regime_fit_command"] = fit_meta["command"]
    metadata["regime_traces"] = TRACES
    params.to_json(path, metadata=metadata)
    if args.cache and not args.replay:  # a consistent, compacted copy (WAL included)
        from econ_env.llm.cache_file import compact_gzip

        (ASSETS / "real_cache.sqlite.gz").write_bytes(compact_gzip(args.cache))


if __name__ == "__main__":
    raise SystemExit(main())
