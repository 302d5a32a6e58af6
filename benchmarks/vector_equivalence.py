"""Print the text-vs-batched equivalence table of both games (the docs' table).

For each fixed policy, with the default simulated parameters and with the calibrated preset,
the same policy plays ``--episodes`` episodes in the text env (parallel API) and in its batched
twin; the table shows both means of accuracy, billed and generated tokens per episode and
rounds, and the smallest p-value of the checks of :func:`econ_env.testing.equivalence.compare`
(the tests in tests/vector/ assert them at a Bonferroni-corrected alpha).

    OMP_NUM_THREADS=1 python benchmarks/vector_equivalence.py --episodes 2000
    OMP_NUM_THREADS=1 python benchmarks/vector_equivalence.py --regimes  # issue 14's cases
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
TIERS = ("full", "summary", "keywords")
DISCRETE_VCG = {"action_type": "discrete", "mechanism": "vcg", "top_k": 2}
SUMMARY = "econ_env_baselines.auction:TruthfulSummary"
KEYWORDS = "econ_env_baselines.auction:AlwaysKeywords"
# issue 14's regimes (the cases of the tests): (env, label, config, policy)
REGIMES = (
    ("auction_v0", "one_expert", {"team": "one_expert"}, "truthful"),
    ("auction_v0", "one_expert", {"team": "one_expert"}, "silent"),
    ("auction_v0", "split_facts", {"task": "split_facts"}, "silent"),
    ("auction_v0", "split_facts", {"task": "split_facts"}, "truthful"),
    ("auction_v0", "split_facts", {"task": "split_facts"}, "always"),
    ("debate_v0", "split_facts", {"task": "split_facts"}, "neutral"),
    ("debate_v0", "spread", {"team": "spread"}, "neutral"),
    ("auction_v0", "tiers", {"tiers": TIERS}, "truthful"),
    ("auction_v0", "tiers", {"tiers": TIERS}, "always"),
    ("auction_v0", "tiers_vcg", {"tiers": TIERS, **DISCRETE_VCG}, "random"),
    ("auction_v0", "tiers_facts", {"tiers": TIERS, "task": "split_facts"}, SUMMARY),
    ("auction_v0", "tiers_facts", {"tiers": TIERS, "task": "split_facts"}, KEYWORDS),
)


def _pair(checks: dict, stat: str, fmt: str) -> str:
    c = checks[stat]
    return f"{c.text:{fmt}} / {c.vector:{fmt}}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=2000)
    parser.add_argument("--games", default="auction_v0,debate_v0")
    parser.add_argument("--regimes", action="store_true", help="issue 14's cases instead")
    parser.add_argument("--labels", default="", help="with --regimes: only these labels")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print("| env | params | policy | accuracy (text / vec) | billed | generated | rounds | min p |")
    print("|---|---|---|---|---|---|---|---|")
    games = args.games.split(",")
    if args.regimes:
        labels = set(filter(None, args.labels.split(",")))
        cases = [
            (n, lab, {**BASE[n], **c}, p)
            for n, lab, c, p in REGIMES
            if n in games and (not labels or lab in labels)
        ]
    else:
        cases = [
            (name, label, {**BASE[name], **extra}, policy)
            for name in games
            for label, extra in (("default", {}), ("preset", PRESET))
            for policy in POLICIES[name]
        ]
    for name, label, config, policy in cases:
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

        short = policy.rsplit(":", 1)[-1]
        print(
            f"| {name} | {label} | {short} | {_pair(checks, 'accuracy', '.3f')} | "
            f"{_pair(checks, 'mean billed', '.0f')} | "
            f"{_pair(checks, 'mean generated', '.0f')} | "
            f"{_pair(checks, 'mean rounds', '.2f')} | {p_min:.3f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
