"""Print the text-vs-batched equivalence table of both games (the docs' table).

For each fixed policy, with the default simulated parameters and with the calibrated preset,
the same policy plays ``--episodes`` episodes in the text env (parallel API) and in its batched
twin; the table shows both means of accuracy, billed and generated tokens per episode and
rounds, and the smallest p-value of the checks of :func:`econ_env.testing.equivalence.compare`
(the tests in tests/vector/ assert them at a Bonferroni-corrected alpha).

    OMP_NUM_THREADS=1 python benchmarks/vector_equivalence.py --episodes 2000
"""

from __future__ import annotations

import argparse

import torch

from econ_env.policies import make_policy
from econ_env.registry import env_spec
from econ_env.testing.equivalence import compare, episode_samples

PRESET = {"backend_kwargs": {"preset": "qwen2.5-coder-0.5b"}}
POLICIES = {
    "auction_v0": ("silent", "truthful", "always", "round_robin", "random"),
    "debate_v0": ("neutral", "conservative", "exploratory", "random"),
}
# the text debate's AL/CC use the answer embedder, which the batched debate reproduces
BASE = {"auction_v0": {}, "debate_v0": {"embedder": "answer"}}


def _pair(checks: dict, stat: str, fmt: str) -> str:
    c = checks[stat]
    return f"{c.text:{fmt}} / {c.vector:{fmt}}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=2000)
    parser.add_argument("--games", default="auction_v0,debate_v0")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print("| env | params | policy | accuracy (text / vec) | billed | generated | rounds | min p |")
    print("|---|---|---|---|---|---|---|---|")
    for name in args.games.split(","):
        for label, extra in (("default", {}), ("preset", PRESET)):
            config = {**BASE[name], **extra}
            for policy in POLICIES[name]:
                spec = env_spec(name, **config)
                text = episode_samples(
                    "text", name, config, make_policy(policy, spec, seed=0), args.episodes
                )
                vec = episode_samples(
                    "vector",
                    name,
                    config,
                    make_policy(policy, spec, seed=0),
                    args.episodes,
                    1,
                    vector_kwargs={"item_pool": 8192},
                )
                checks = {c.statistic: c for c in compare(text, vec, 0.0)}
                p_min = min(c.p_value for c in checks.values())

                print(
                    f"| {name} | {label} | {policy} | {_pair(checks, 'accuracy', '.3f')} | "
                    f"{_pair(checks, 'mean billed', '.0f')} | "
                    f"{_pair(checks, 'mean generated', '.0f')} | "
                    f"{_pair(checks, 'mean rounds', '.2f')} | {p_min:.3f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
