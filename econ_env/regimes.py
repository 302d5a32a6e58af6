"""Named benchmark configurations ("regimes") of both games: where communication pays, or not.

A regime is a set of config overrides of an env (the keyword arguments of
``econ_env.auction_v0.parallel_env`` / ``econ_env.vector.auction`` and their debate twins).
The reference agents are trained and compared with every fixed baseline on these
(``benchmarks/reference_agents.py``; numbers in docs/guides/regimes.md), and the regime map
(``benchmarks/regime_map.py``) sweeps around them.

auction_v0:

- ``default``: the env's defaults (3 equally able bidders, second price, budget 2048, λ = 1).
  Staying silent (a majority vote of independent drafts) is the best fixed policy and nothing
  we trained beats it by a clear margin: one round of talk bills ~500 tokens for a few points
  of accuracy. Kept as the honest negative case.
- ``one_expert``: one expert (logit skill 2.5) among two novices (−1.0), λ = 1. Listening to
  the expert pays; everyone talking (or bidding confidence) does not.
- ``asymmetric``: Optima-style split facts (task ``split_facts``: each bidder holds one of three
  facts; no one can answer alone), budget 4096, λ = 1: silence is nearly always wrong.
- ``tight_budget``: ``one_expert`` with half the budget (1024 tokens: it runs out after a few
  rounds) and λ = 0.5, so the token price per budget is the same but the cap binds. (At λ = 1
  with 1024 tokens the best state-dependent rule beats silence by only +0.08 and our learners
  did not separate from it with 500 evaluation episodes: docs/guides/regimes.md.)
- ``tiered``: ``one_expert`` with DALA's tiered messages (full, summary, keywords).

debate_v0:

- ``default``: the env's defaults.
- ``one_expert``: one expert executor among two novices.
- ``asymmetric``: split facts across the three executors.
- ``expert_herding`` (the defaults of ``debate_v1``, :mod:`econ_env.envs.debate.v1`, which holds
  them, except ``max_rounds_truncates``, which stays debate_v0's): ``one_expert`` where following
  the commitment is herding: executors adopt a commitment with probability 0.9 (no truth bias)
  unless their temperature is above ``t_ref`` (``follow_temperature`` 5), temperature costs no
  accuracy, wrong answers scatter (``distractor_skew`` 0.3), a repetition penalty shortens answers,
  and the reward is the executor's correctness minus its tokens (α = (0, 1, 0), λ = 1); all 3 rounds
  are played with answer-identity similarity. The expert should keep its own answer (high
  temperature) while the novices stay conservative and follow: on the batched twin that per-seat
  belief scores ~6.23 team return against ~5.87 for the best fixed belief
  (``benchmarks/econ_regimes.py``). The ECON learner (``ECON_REGIME_SETTINGS``, 1200 episodes, 3
  seeds) scores 6.24 ± 0.07 in the text env against 5.97 ± 0.09 for the best fixed belief
  (``benchmarks/econ_reference.py``; tested in ``tests/agents/test_econ_regime.py``).
"""

from __future__ import annotations

import copy
from typing import Any

from econ_env.envs.debate.v1 import DEFAULTS as DEBATE_V1_DEFAULTS

__all__ = ["REGIMES", "list_regimes", "regime_config"]

_EXPERT: dict[str, Any] = {"team": "one_expert"}

REGIMES: dict[str, dict[str, dict[str, Any]]] = {
    "auction_v0": {
        "default": {},
        "one_expert": dict(_EXPERT),
        "asymmetric": {"task": "split_facts", "budget": 4096},
        "tight_budget": {**_EXPERT, "budget": 1024, "cost_weight": 0.5},
        "tiered": {**_EXPERT, "tiers": ("full", "summary", "keywords")},
    },
    "debate_v0": {
        "default": {},
        "one_expert": dict(_EXPERT),
        "asymmetric": {"task": "split_facts"},
        # debate_v1's defaults but its episode-end flag: a regime sets the game, not the API
        "expert_herding": {
            k: copy.deepcopy(v)
            for k, v in DEBATE_V1_DEFAULTS.items()
            if k != "max_rounds_truncates"
        },
    },
}
"""Config overrides of every named regime, by env name and regime name."""


def list_regimes(env: str) -> list[str]:
    """The regime names of ``env`` (``ValueError`` naming the envs that have regimes)."""
    if env not in REGIMES:
        raise ValueError(f"no regimes for env {env!r}; envs with regimes: {sorted(REGIMES)}")
    return list(REGIMES[env])


def regime_config(env: str, name: str, **overrides: Any) -> dict[str, Any]:
    """The config of regime ``name`` of ``env`` (a fresh copy), updated with ``overrides``."""
    names = list_regimes(env)
    if name not in names:
        raise ValueError(f"unknown regime {name!r} of {env}; one of {names}")
    return {**copy.deepcopy(REGIMES[env][name]), **overrides}
