"""AEC turns per second of auction_v0 and debate_v0 against PettingZoo's tictactoe_v3, in one run.

Both environments are driven by the same loop (``agent_iter`` / ``last`` / random masked
``action_space.sample`` / ``step``, resetting when an episode ends); the rounds of the two are
interleaved so that machine noise hits both alike. Prints turns/s of each, the median ratio
auction_v0 / tictactoe_v3 (target >= 1.0) and, with ``--profile``, where auction_v0's time goes.

    OMP_NUM_THREADS=1 python benchmarks/env_throughput.py [--turns 20000] [--repeats 5] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import time
from collections.abc import Callable
from typing import Any


def turns_per_second(make_env: Callable[[], Any], turns: int, seed: int) -> float:
    """Drive ``turns`` env.step calls with random (masked) actions; return turns per second."""
    env = make_env()
    env.reset(seed=seed)
    for i, a in enumerate(env.possible_agents):
        env.action_space(a).seed(seed + i)
    done_turns = 0
    episode = 0
    start = time.perf_counter()
    while done_turns < turns:
        for agent in env.agent_iter():
            obs, _, term, trunc, _ = env.last()
            if term or trunc:
                action = None
            else:
                mask = obs.get("action_mask") if isinstance(obs, dict) else None
                action = env.action_space(agent).sample(mask)
            env.step(action)
            done_turns += 1
            if done_turns >= turns:
                break
        episode += 1
        env.reset(seed=seed + episode)
    return done_turns / (time.perf_counter() - start)


COMPONENTS = (
    ("econ_env/llm/", "simulated backend (econ_env.llm)"),
    ("econ_env/tasks/answers", "answer extraction (econ_env.tasks.answers)"),
    ("econ_env/tasks/", "task sampling (econ_env.tasks)"),
    ("reasoning_gym", "task sampling (reasoning-gym)"),
    ("econ_env/core/", "ledger / transcript / beliefs (econ_env.core)"),
    ("econ_env/envs/auction/mechanism", "auction mechanism"),
    ("econ_env/envs/auction/", "auction_v0 env + game"),
    ("gymnasium/spaces", "benchmark's action sampling (gymnasium)"),
    ("gymnasium/utils/seeding", "reset seeding (gymnasium)"),
    ("pettingzoo/", "PettingZoo wrappers and agent_iter"),
    ("numpy", "numpy"),
)


def component_shares(stats: pstats.Stats) -> dict[str, float]:
    """Share of self time per component (file-path prefix), the rest as 'builtins and other'."""
    totals: dict[str, float] = {}
    grand = 0.0
    for (filename, _, _), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        grand += tottime
        name = next((label for key, label in COMPONENTS if key in filename), "builtins and other")
        totals[name] = totals.get(name, 0.0) + tottime
    return {k: v / grand for k, v in totals.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=20_000, help="turns per measurement")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved measurements")
    parser.add_argument("--profile", action="store_true", help="profile auction_v0")
    parser.add_argument(
        "--skip-minilm", action="store_true", help="leave out debate_v0 with the MiniLM embedder"
    )
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # before torch is imported (MiniLM)

    import pettingzoo

    import econ_env

    contenders = {
        "auction_v0": lambda: econ_env.auction_v0.env(),
        "auction_v0 (discrete, vcg)": lambda: econ_env.auction_v0.env(
            action_type="discrete", mechanism="vcg", top_k=2
        ),
        # bundled GSM8K items cost ~2 us to sample vs ~50 us for a reasoning-gym item
        "auction_v0 (bundled gsm8k)": lambda: econ_env.auction_v0.env(task="gsm8k"),
        "debate_v0 (hashed embedder)": lambda: econ_env.debate_v0.env(embedder="hashed"),
        "tictactoe_v3": lambda: pettingzoo.make("aec", "classic/tictactoe_v3"),
    }
    # a real sentence-embedding model is ~100x slower per round: measured on fewer turns
    turns = dict.fromkeys(contenders, args.turns)
    if not args.skip_minilm:
        contenders["debate_v0 (all-MiniLM-L6-v2)"] = lambda: econ_env.debate_v0.env(
            embedder="minilm"
        )
        turns["debate_v0 (all-MiniLM-L6-v2)"] = max(args.turns // 50, 100)
    for make in contenders.values():  # warm up imports, model loads and caches
        turns_per_second(make, 100, seed=0)
    rates: dict[str, list[float]] = {k: [] for k in contenders}
    for rep in range(args.repeats):
        for name, make in contenders.items():
            rates[name].append(turns_per_second(make, turns[name], seed=rep))
    ref = rates["tictactoe_v3"]
    print(f"{'environment':<28} {'median turns/s':>15} {'ratio vs tictactoe_v3':>22}")
    for name, values in rates.items():
        ratios = [v / r for v, r in zip(values, ref, strict=False)]
        print(f"{name:<28} {statistics.median(values):>15,.0f} {statistics.median(ratios):>22.2f}")
    print(
        f"({args.repeats} interleaved repeats of {args.turns} turns; "
        "ratio = median of per-repeat ratios)"
    )

    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        turns_per_second(contenders["auction_v0"], args.turns, seed=123)
        prof.disable()
        stats = pstats.Stats(prof)
        print("\nwhere auction_v0's time goes (self time under cProfile, by component):")
        shares = component_shares(stats)
        for name, share in sorted(shares.items(), key=lambda kv: -kv[1]):
            print(f"  {name:<44} {100 * share:5.1f}%")
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(12)
        print(out.getvalue())


if __name__ == "__main__":
    main()
