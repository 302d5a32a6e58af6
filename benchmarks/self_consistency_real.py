"""Self-consistency on a real model against the simulator (docs/fidelity.md).

Issue 14's negative result — silent bidders with ``draft_samples = k`` (self-consistency over
the n·k first drafts) beat the trained agents on team return at matched generated tokens — was
measured on the simulator. This script asks whether the simulator's self-consistency gain is a
real model's: it plays self-consistency for each ``k`` in ``--ks`` on the sim-to-real study's
auction items (``econ_env.fidelity.StudyConfig``: arithmetic, 3 bidders, item seed 2026) with a
real model through the SQLite cache, then the same items, env seeds and ``k`` on the refitted
simulator preset (``qwen2.5-coder-0.5b-arith``, ``--repeats`` simulator seeds). It reports per
``k`` the accuracy (= team return: self-consistency bills nothing) with a bootstrap CI over
items, the generated tokens, the paired gain over ``k = 1`` on both sides, and, next to it, the
study's recorded real policies (docs/assets/fidelity/real_episodes.jsonl) at their generated
tokens.

Samples are nested (``econ_env.envs.auction.samples.expand``): ``k = 1`` is the study's
``vote (silent)`` policy, request for request, and every ``k`` adds only new samples, so the
shipped cache (docs/assets/fidelity/real_cache.sqlite.gz) holds all of them.

Replay the shipped run without the model (seconds; ``--check`` fails unless the real column
equals docs/assets/fidelity/self_consistency_real.json)::

    OMP_NUM_THREADS=1 python benchmarks/self_consistency_real.py --replay --check --out /tmp/scr

Record it (Qwen2.5-Coder-0.5B through llama.cpp, on top of a copy of the shipped cache; the
shipped run, 60 items and k up to 3, took about 70 minutes on 2 cores)::

    econ-env models prepare qwen2.5-coder-0.5b
    python -c "import gzip,shutil; shutil.copyfileobj(gzip.open('docs/assets/fidelity/real_cache.sqlite.gz'), open('/tmp/real.sqlite','wb'))"
    OMP_NUM_THREADS=1 python benchmarks/self_consistency_real.py --cache /tmp/real.sqlite \\
        --backend-arg max_batch_size=32 --backend-arg n_threads=2 --out /tmp/scr --ship
"""  # noqa: E501

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from sim_to_real import ASSETS, study_backend  # noqa: E402

PRESET = "qwen2.5-coder-0.5b-arith"
RESULT = "self_consistency_real.json"


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--backend", default="llamacpp:qwen2.5-coder-0.5b", help="real backend spec")
    p.add_argument("--backend-arg", action="append", default=[], metavar="KEY=JSON")
    p.add_argument("--cache", default=None, help="SQLite cache of the real run")
    p.add_argument("--cache-mode", default="read-write", choices=("read-write", "replay"))
    p.add_argument("--replay", action="store_true", help="replay the shipped cache (no model)")
    p.add_argument("--check", action="store_true", help="compare the real column with the shipped")
    p.add_argument("--ks", default="1,2,3", help="comma-separated draft_samples values")
    p.add_argument("--items", type=int, default=60, help="auction items (the study's first N)")
    p.add_argument("--repeats", type=int, default=5, help="simulator seeds per episode")
    p.add_argument("--parallel", type=int, default=12, help="episodes batched together")
    p.add_argument("--boot", type=int, default=2000, help="bootstrap resamples over items")
    p.add_argument("--ship", action="store_true", help="write the docs asset and the cache")
    p.add_argument("--out", required=True, help="output folder")
    return p.parse_args(argv)


def parse_ks(text: str) -> list[int]:
    """``"1,2,3"`` -> ``[1, 2, 3]`` (``ValueError`` naming ``--ks`` and the allowed range)."""
    try:
        ks = sorted({int(x) for x in text.split(",") if x.strip()})
    except ValueError:
        raise ValueError(f"--ks must be comma-separated integers, got {text!r}") from None
    if not ks or ks[0] < 1 or ks[-1] > 64:
        raise ValueError(f"--ks values must lie in [1, 64], got {text!r}")
    return ks


def by_item(episodes: list, labels: list[str], n_items: int) -> dict[str, np.ndarray]:
    """Per label, an ``(items, repeats)`` array of correctness (episode ``e`` is item ``e``)."""
    out = {}
    for label in labels:
        rows: list[list[float]] = [[] for _ in range(n_items)]
        for e in episodes:
            if e.label == label:
                rows[e.episode].append(float(e.correct))
        out[label] = np.array(rows, dtype=float)
    return out


def summarise(
    correct: np.ndarray, base: np.ndarray, rng: np.random.Generator, boot: int
) -> dict[str, float | list[float]]:
    """Accuracy and its gain over ``base`` (paired by item), each with a 95% bootstrap CI over
    items; arrays are ``(items, repeats)``."""
    n = correct.shape[0]
    idx = rng.integers(n, size=(boot, n))
    acc, gain = correct.mean(axis=1), correct.mean(axis=1) - base.mean(axis=1)
    acc_b, gain_b = acc[idx].mean(axis=1), gain[idx].mean(axis=1)
    return {
        "accuracy": float(acc.mean()),
        "accuracy_ci": [float(x) for x in np.quantile(acc_b, [0.025, 0.975])],
        "gain": float(gain.mean()),
        "gain_ci": [float(x) for x in np.quantile(gain_b, [0.025, 0.975])],
    }


def run(args: argparse.Namespace, tmp: Path) -> dict:
    """Play the real and simulated self-consistency runs; the result dict (see the docstring)."""
    from econ_env.fidelity import StudyConfig, StudyPolicy, load_episodes, run_study
    from econ_env.llm.simulated import SimParams, SimulatedBackend

    ks = parse_ks(args.ks)
    if 1 not in ks:
        ks = [1, *ks]  # the gains are over k = 1
    config = StudyConfig(n_items={"auction_v0": args.items, "debate_v0": 0})
    policies = [StudyPolicy(f"SC k={k}", "auction_v0", "silent", {"draft_samples": k}) for k in ks]
    labels = [p.label for p in policies]
    recorded_eps, shipped_meta = load_episodes(ASSETS / "real_episodes.jsonl")
    backend, kwargs = study_backend(args, shipped_meta, tmp)
    t0 = time.perf_counter()
    real, _ = run_study(
        backend, config=config, policies=policies, parallel=args.parallel,
        progress=lambda m: print(m, file=sys.stderr, flush=True),
    )  # fmt: skip
    seconds = time.perf_counter() - t0
    params = SimParams.from_preset(PRESET)
    sim = []
    for r in range(args.repeats):
        sim.extend(run_study(SimulatedBackend(params, seed=r), config=config, policies=policies)[0])
    real_c, sim_c = by_item(real, labels, args.items), by_item(sim, labels, args.items)
    rng = np.random.default_rng(0)
    rows = []
    for k, label in zip(ks, labels, strict=True):
        tokens = {
            side: float(np.mean([e.generated_tokens for e in eps if e.label == label]))
            for side, eps in (("real", real), ("sim", sim))
        }
        rows.append(
            {
                "k": k,
                "real": {**summarise(real_c[label], real_c[labels[0]], rng, args.boot),
                         "generated_tokens": tokens["real"]},
                "sim": {**summarise(sim_c[label], sim_c[labels[0]], rng, args.boot),
                        "generated_tokens": tokens["sim"]},
            }
        )  # fmt: skip
    return {
        "meta": {
            "backend": args.backend,
            "backend_kwargs": kwargs,
            "preset": PRESET,
            "items": args.items,
            "repeats": args.repeats,
            "boot": args.boot,
            "real_seconds": seconds,
            "config": config.to_dict(),
        },
        "rows": rows,
        "recorded_policies": recorded(recorded_eps, args.items),
    }


def recorded(episodes: list, n_items: int) -> list[dict]:
    """The study's real auction policies (``episodes`` of docs/assets/fidelity/
    real_episodes.jsonl) on the same first ``n_items`` items: accuracy, team return and
    generated tokens."""
    from econ_env.fidelity import StudyConfig

    weight, budget = StudyConfig().costs()["auction_v0"]
    out = []
    for label in dict.fromkeys(e.label for e in episodes if e.game == "auction_v0"):
        eps = [e for e in episodes if e.label == label and e.episode < n_items]
        out.append(
            {
                "label": label,
                "accuracy": float(np.mean([e.correct for e in eps])),
                "team_return": float(
                    np.mean([e.correct - weight * e.billed_tokens / budget for e in eps])
                ),
                "generated_tokens": float(np.mean([e.generated_tokens for e in eps])),
            }
        )
    return out


def format_table(result: dict) -> str:
    """The markdown table of one result."""

    def ci(d: dict, key: str) -> str:
        lo, hi = d[f"{key}_ci"]
        return f"{d[key]:+.3f} [{lo:+.3f}, {hi:+.3f}]" if key == "gain" else (
            f"{d[key]:.3f} [{lo:.3f}, {hi:.3f}]"
        )  # fmt: skip

    lines = [
        "| k | real accuracy [95% CI] | real gain over k=1 | real generated | "
        "simulated accuracy | simulated gain over k=1 | simulated generated |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        re_, si = r["real"], r["sim"]
        lines.append(
            f"| {r['k']} | {ci(re_, 'accuracy')} | {ci(re_, 'gain')} | "
            f"{re_['generated_tokens']:,.0f} | {ci(si, 'accuracy')} | {ci(si, 'gain')} | "
            f"{si['generated_tokens']:,.0f} |"
        )
    lines += ["", "| recorded real policy | accuracy | team return | generated |"]
    lines += ["|---|---|---|---|"]
    for p in result["recorded_policies"]:
        lines.append(
            f"| {p['label']} | {p['accuracy']:.3f} | {p['team_return']:.3f} | "
            f"{p['generated_tokens']:,.0f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmpdir:
        result = run(args, Path(tmpdir))
    (out / RESULT).write_text(json.dumps(result, indent=1), encoding="utf-8")
    print(format_table(result))
    if args.check:
        shipped = json.loads((ASSETS / RESULT).read_text(encoding="utf-8"))
        got = [{"k": r["k"], "real": r["real"]} for r in result["rows"]]
        want = [{"k": r["k"], "real": r["real"]} for r in shipped["rows"]]
        if got != want:
            print(f"CHECK FAILED: the real column differs from docs/assets/fidelity/{RESULT}")
            return 1
        print(f"check: the real column equals docs/assets/fidelity/{RESULT}")
    if args.ship:
        shutil.copy(out / RESULT, ASSETS / RESULT)
        if args.cache and not args.replay:
            from econ_env.llm.cache_file import compact_gzip

            (ASSETS / "real_cache.sqlite.gz").write_bytes(compact_gzip(args.cache))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
