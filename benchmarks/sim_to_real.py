"""How faithful is the simulator? Policies on a real model against the simulator (docs/fidelity.md).

Plays every policy of :data:`econ_env.fidelity.STUDY_POLICIES` on the study's items with a real
model through the SQLite cache, fits a simulator preset to the recorded completions, plays the
same policies, items and env seeds on the simulator (the default parameters, the shipped
``qwen2.5-coder-0.5b`` preset and the refitted one, ``--repeats`` simulator seeds each), and
writes the side-by-side table with Kendall's tau (bootstrap CIs), the plot, the fit report and
the refitted preset.

Replay the shipped real run without the model (what ``make sim-to-real`` does; seconds)::

    OMP_NUM_THREADS=1 python benchmarks/sim_to_real.py --replay --check --out /tmp/s2r

Record it again (Qwen2.5-Coder-0.5B through llama.cpp; about 2.5 hours on 2 cores)::

    econ-env models prepare qwen2.5-coder-0.5b
    OMP_NUM_THREADS=1 python benchmarks/sim_to_real.py --cache /tmp/real.sqlite --out /tmp/s2r

``--backend`` takes any backend spec (``llamacpp:PATH.gguf``, ``hf:qwen2.5-coder-0.5b`` on a
GPU, ``openai:URL``); ``scripts/gpu/sim_to_real.sh`` runs a larger study on a GPU.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "docs" / "assets" / "fidelity"
PRESETS = ROOT / "econ_env" / "llm" / "presets"
PRESET_NAME = "qwen2.5-coder-0.5b-arith"


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--backend", default="llamacpp:qwen2.5-coder-0.5b", help="real backend spec")
    p.add_argument("--backend-arg", action="append", default=[], metavar="KEY=JSON")
    p.add_argument("--cache", default=None, help="SQLite cache of the real run")
    p.add_argument("--cache-mode", default="read-write", choices=("read-write", "replay"))
    p.add_argument("--replay", action="store_true", help="replay the shipped cache (no model)")
    p.add_argument(
        "--check",
        action="store_true",
        help="fail unless the real episodes equal "
        "the shipped docs/assets/fidelity/real_episodes.jsonl",
    )
    p.add_argument("--auction-items", type=int, default=None)
    p.add_argument("--debate-items", type=int, default=None)
    p.add_argument("--repeats", type=int, default=5, help="simulator seeds per episode")
    p.add_argument("--parallel", type=int, default=12, help="episodes batched together")
    p.add_argument("--boot", type=int, default=2000, help="bootstrap resamples")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--ship", action="store_true", help="also write the docs assets and preset")
    return p.parse_args(argv)


def study_backend(
    args: argparse.Namespace, shipped_meta: dict[str, Any], tmp: Path
) -> tuple[Any, dict[str, Any]]:
    """The real backend and its keyword arguments (``--backend-arg``): with ``--replay`` the
    shipped cache unpacked into ``tmp`` and replayed (with the recording's arguments from
    ``shipped_meta``, by which the cache knows the backend), with ``--cache`` that file in
    ``--cache-mode``, else the bare backend."""
    kwargs = {k: json.loads(v) for k, v in (a.split("=", 1) for a in args.backend_arg)}
    if args.replay:
        kwargs = {**shipped_meta.get("backend_kwargs", {}), **kwargs}
        cache = tmp / "real.sqlite"
        with gzip.open(ASSETS / "real_cache.sqlite.gz", "rb") as src, cache.open("wb") as dst:
            shutil.copyfileobj(src, dst)
    return cached_backend(args.backend, args, kwargs, tmp), kwargs


def cached_backend(spec: str, args: argparse.Namespace, kwargs: dict[str, Any], tmp: Path) -> Any:
    """Backend ``spec`` behind the study's cache: with ``--replay`` the shipped cache that
    :func:`study_backend` unpacked into ``tmp``, replayed; with ``--cache`` that file in
    ``--cache-mode``; else the bare backend."""
    from econ_env.llm.registry import make_backend

    if args.replay:
        path = str(tmp / "real.sqlite")
        return make_backend(f"cache:{spec}", path=path, mode="replay", **kwargs)
    if args.cache:
        return make_backend(f"cache:{spec}", path=args.cache, mode=args.cache_mode, **kwargs)
    return make_backend(spec, **kwargs)


def distinct(rows: list[Any]) -> list[Any]:
    """One row per distinct completion (a draft several policies share counts once)."""
    seen, out = set(), []
    for r in rows:
        key = json.dumps({**asdict(r), "episode_correct": None}, sort_keys=True)
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


def fit_regime_step(params: Any, fit: Any, traces: Path) -> Any:
    """``params`` with step 8's fields (``fact_weight``, ``tier_length``, ``tier_influence``)
    fitted on the regime parts' traces (``benchmarks/sim_to_real_regimes.py``), which the main
    study cannot identify; ``fit`` (the main fit's report) gets step 8's account."""
    from econ_env.calibration import load_traces
    from econ_env.calibration.regime_fit import REGIME_FIELDS, fit_regime_fields

    rows, _ = load_traces(traces)
    params, regime = fit_regime_fields(rows, params)
    for name in REGIME_FIELDS:
        fit.kept.pop(name, None)
        fit.fitted.pop(name, None)
    fit.fitted.update({k: f"{v} (regime traces)" for k, v in regime.fitted.items()})
    fit.kept.update({k: f"{v} (regime traces)" for k, v in regime.kept.items()})
    fit.estimates.extend(regime.estimates)
    fit.notes.extend(regime.notes)
    fit.params = params
    return params


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    # the replayed cache is unpacked here; removed on every exit, a failed check included
    with tempfile.TemporaryDirectory(prefix="econ-s2r-") as tmp:
        return _study(args, argv, Path(tmp))


def _study(args: argparse.Namespace, argv: list[str] | None, tmp: Path) -> int:
    from econ_env.calibration import fit_sim_params, simulate_report
    from econ_env.calibration.commands import report_markdown
    from econ_env.calibration.traces_io import save_traces
    from econ_env.fidelity import StudyConfig, load_episodes, run_study, save_episodes
    from econ_env.fidelity.report import compare, format_markdown, plot_comparison
    from econ_env.llm.simulated import SimParams, SimulatedBackend

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    shipped_eps, shipped_meta = (
        load_episodes(ASSETS / "real_episodes.jsonl")
        if (ASSETS / "real_episodes.jsonl").is_file()
        else ([], {})
    )
    n_items = dict(StudyConfig().n_items)
    if shipped_meta.get("n_items"):
        n_items.update(shipped_meta["n_items"])
    if args.auction_items is not None:
        n_items["auction_v0"] = args.auction_items
    if args.debate_items is not None:
        n_items["debate_v0"] = args.debate_items
    config = StudyConfig(n_items=n_items)
    backend, kwargs = study_backend(args, shipped_meta, tmp)
    t0 = time.perf_counter()
    real, traces = run_study(
        backend,
        config=config,
        parallel=args.parallel,
        progress=lambda m: print(f"[{time.perf_counter() - t0:.0f} s] real: {m}", flush=True),
    )
    seconds = time.perf_counter() - t0
    rows = [r for v in traces.values() for r in v]
    meta = {
        "backend": args.backend,
        "backend_kwargs": kwargs,
        "config": config.to_dict(),
        "n_items": n_items,
    }
    save_episodes(out / "real_episodes.jsonl", real, meta)
    print(
        f"real: {len(real)} episodes, {len(rows)} completion rows (shared drafts counted per "
        f"policy), "
        f"{sum(r.completion_tokens for r in rows)} completion tokens in {seconds:.0f} s"
    )
    if args.check:
        if [asdict(e) for e in real] != [asdict(e) for e in shipped_eps]:
            print("CHECK FAILED: the replayed real episodes differ from real_episodes.jsonl")
            return 1
        print(f"check: the {len(real)} replayed real episodes equal real_episodes.jsonl")

    # --- fit a preset to the distinct real completions (a draft several policies share is one
    # completion, served from the cache to each), report on the calibration policies' episodes
    unique = distinct(rows)
    print(f"fit: {len(unique)} distinct completions of {len(rows)} rows")
    params, fit = fit_sim_params(unique, skill_mode="shared")
    regime_traces = PRESETS / f"{PRESET_NAME}.regime-traces.jsonl.gz"
    if regime_traces.is_file():  # the regime fields from the shipped regime parts' completions
        params = fit_regime_step(params, fit, regime_traces)
    calib = traces.get("truthful", []) + traces.get("round-robin beliefs", [])
    simulate_report(
        params,
        calib,
        task=config.task,
        task_kwargs=config.task_kwargs,
        env_kwargs=config.env_kwargs,
        repeats=args.repeats,
        seed=0,
        report=fit,
    )
    fit_meta = {
        "name": PRESET_NAME,
        "model": args.backend,
        "task": config.task,
        "task_kwargs": dict(config.task_kwargs),
        "completions": len(unique),
        "identity": dict(getattr(backend, "identity", {}) or {}),
        "command": "python benchmarks/sim_to_real.py " + " ".join(argv or sys.argv[1:]),
    }
    fit_meta["fit_command"] = fit_meta["command"]
    if regime_traces.is_file():
        fit_meta["regime_traces"] = regime_traces.name
    shipped_preset = PRESETS / f"{PRESET_NAME}.json"
    if args.replay and shipped_preset.is_file():  # a refit of the replay: keep how it was recorded
        recorded = json.loads(shipped_preset.read_text(encoding="utf-8")).get("metadata", {})
        fit_meta["command"] = recorded.get("command", fit_meta["command"])
    (out / "fit.md").write_text(report_markdown(fit_meta, fit), encoding="utf-8")
    params.to_json(out / f"{PRESET_NAME}.json", metadata=fit_meta)
    save_traces(out / f"{PRESET_NAME}.traces.jsonl", unique, fit_meta)

    # --- the same study on three simulators
    sims = {
        "default SimParams": SimParams(),
        "preset qwen2.5-coder-0.5b (GSM-Symbolic fit)": SimParams.from_preset("qwen2.5-coder-0.5b"),
        f"refitted ({PRESET_NAME})": params,
    }
    results, all_sim = {}, {}
    for name, p in sims.items():
        sim = []
        for k in range(args.repeats):
            eps, _ = run_study(SimulatedBackend(p, seed=k), config=config, parallel=1)
            sim.extend(eps)
        all_sim[name] = sim
        results[name] = compare(real, sim, n_boot=args.boot, costs=config.costs())
        print(format_markdown(results[name], title=name))
    if args.check and (ASSETS / "study.json").is_file():
        shipped = json.loads((ASSETS / "study.json").read_text(encoding="utf-8"))["results"]
        for name, res in results.items():
            got = [{k: v for k, v in r.items() if not k.startswith("sim_")} for r in res["table"]]
            want = [
                {k: v for k, v in r.items() if not k.startswith("sim_")}
                for r in shipped.get(name, {}).get("table", [])
            ]
            if got != want:
                print(f"CHECK FAILED: the real columns of {name!r} differ from study.json")
                return 1
        print("check: the real-model table equals docs/assets/fidelity/study.json")
    summary = {
        "meta": {
            **meta,
            "real_seconds": seconds,
            "rows": len(rows),
            "completions": len(unique),
            "repeats": args.repeats,
            "boot": args.boot,
        },
        "results": results,
    }
    (out / "study.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    md = "\n".join(format_markdown(r, title=n) for n, r in results.items())
    (out / "study.md").write_text(md, encoding="utf-8")
    plot_comparison(results, out / "fidelity.png", model=args.backend)
    if args.ship:
        ASSETS.mkdir(parents=True, exist_ok=True)
        for name in ("real_episodes.jsonl", "study.json", "study.md", "fit.md", "fidelity.png"):
            shutil.copy(out / name, ASSETS / name)
        shutil.copy(out / f"{PRESET_NAME}.json", PRESETS / f"{PRESET_NAME}.json")
        save_traces(PRESETS / f"{PRESET_NAME}.traces.jsonl.gz", unique, fit_meta)
        if args.cache and not args.replay:  # a consistent, compacted copy (WAL included)
            from econ_env.llm.cache_file import compact_gzip

            (ASSETS / "real_cache.sqlite.gz").write_bytes(compact_gzip(args.cache))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
