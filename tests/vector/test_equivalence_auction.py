"""The batched auction_v0 is statistically the text auction_v0 (fixed policies, 2,000 episodes).

For every case (a registered policy and a config) the same policy plays 2,000 episodes in the
text env's parallel API and 2,000 in the batched env; :func:`econ_env.testing.equivalence.compare`
tests accuracy (two-proportion z), mean billed / generated tokens, rounds, steps and return
(Welch's t), the distributions of billed tokens and per-step rewards (two-sample KS) and the
stop-reason frequencies (chi-square). The stated test: the family-wise false-alarm rate of
this file is 1% — every check uses alpha = 0.01 / (number of checks in the file) (Bonferroni),
so two correct implementations fail this file with probability at most 0.01. Seeds are fixed,
so a run is deterministic: a failure is a real difference (or that 1% bad luck, which a
change of seed would show). The per-step reward sample holds one reward per episode, so its
values are independent and the KS p-value means what it says.
"""

from __future__ import annotations

import pytest
import torch

from econ_env.policies import make_policy
from econ_env.registry import env_spec
from econ_env.testing.equivalence import compare, episode_samples

torch.set_num_threads(1)

EPISODES = 2000
# The batched env's items come from a pool drawn once; 8,192 items keep the pool's own sampling
# error (sigma / sqrt(pool)) well below the resolution of 2,000 episodes.
POOL = 8192
PRESET = {"backend_kwargs": {"preset": "qwen2.5-coder-0.5b"}}
TIERS = ("full", "summary", "keywords")
CASES = [
    *[(policy, {}) for policy in ("silent", "truthful", "always", "round_robin", "random")],
    *[(policy, PRESET) for policy in ("silent", "truthful", "always", "round_robin", "random")],
    # other mechanisms, action types, answer rules and rewards
    ("truthful", {"mechanism": "vcg", "top_k": 2, "round_cap": 300, "action_type": "discrete"}),
    (
        "random",
        {
            "mechanism": "top_k",
            "top_k": 2,
            "reward_mode": "individual",
            "answer_rule": "last_speaker",
            "budget": 1024,
        },
    ),
    ("always", {"mechanism": "softmax", "answer_rule": "confidence", "n_agents": 4}),
    # a confidence correlation per role (issue 16): drafts carry a strong signal, revisions an
    # inverted one, and the confidence answer rule reads the revisions'
    (
        "truthful",
        {
            "backend_kwargs": {
                "confidence_correlation": -0.3,
                "role_confidence_correlation": {"draft": 0.9},
            },
            "answer_rule": "confidence",
        },
    ),
    # multiple-choice items (MMLU's bundled sample): letters as answers
    ("truthful", {"task": "mmlu", "mechanism": "first_price"}),
    # issue 14: heterogeneous teams and split facts (information asymmetry)
    *[(policy, {"team": "one_expert"}) for policy in ("truthful", "silent")],
    *[(policy, {"task": "split_facts"}) for policy in ("silent", "truthful", "always")],
    # DALA's message tiers (compressions, tier bids, the multiple-choice knapsack VCG)
    *[(policy, {"tiers": TIERS}) for policy in ("truthful", "always")],
    ("random", {"tiers": TIERS, "action_type": "discrete", "mechanism": "vcg", "top_k": 2}),
    # self-consistent first drafts (k samples per agent, every sample votes until a revision)
    ("silent", {"draft_samples": 3, "team": "one_expert", "answer_rule": "last_speaker"}),
    ("truthful", {"draft_samples": 2, "task": "split_facts"}),
    # broadcasts carry the speakers' facts into the listeners' revision prompts
    (
        "always",
        {
            "task": "split_facts",
            "carry_facts": True,
            "mechanism": "top_k",
            "top_k": 3,
            "stop_on_consensus": False,
            "budget": 20_000,
        },
    ),
    # tier-specific bidders: broadcast summaries / keywords (no facts, less influence)
    *[
        (f"econ_env_baselines.auction:{cls}", {"tiers": TIERS, "task": "split_facts"})
        for cls in ("TruthfulSummary", "AlwaysKeywords")
    ],
]
CHECKS_PER_CASE = 9
ALPHA = 0.01 / (len(CASES) * CHECKS_PER_CASE)


@pytest.mark.parametrize(("policy", "config"), CASES, ids=lambda x: str(x) if x else "default")
def test_batched_auction_matches_the_text_env(policy, config):
    spec = env_spec("auction_v0", **config)
    text = episode_samples(
        "text", "auction_v0", config, make_policy(policy, spec, seed=0), EPISODES
    )
    vec = episode_samples(
        "vector",
        "auction_v0",
        config,
        make_policy(policy, spec, seed=0),
        EPISODES,
        seed=1,
        vector_kwargs={"item_pool": POOL},
    )
    checks = compare(text, vec, ALPHA)
    assert len(checks) == CHECKS_PER_CASE
    failed = [str(c) for c in checks if not c.ok]
    assert not failed, "\n".join(["batched and text auction_v0 differ:", *map(str, checks)])
