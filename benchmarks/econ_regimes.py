"""Search debate_v0 regimes where a per-agent or state-dependent belief beats every fixed belief.

Runs on the batched twin (:mod:`econ_env.vector`, ``econ_env.vector.debate``): every candidate
config is played by

- the fixed beliefs of ``baselines/debate.py`` (neutral, conservative, exploratory, truthful,
  round_robin, random) and a grid of constant beliefs (temperature × repetition-penalty levels,
  the same for every executor);
- per-seat constants: executor ``i`` always plays its own (temperature, repetition) levels — a
  policy of the agent id in the observation, what the ECON learner's prototypes can express;
- "follow/explore" state rules: a seat plays one belief while it agrees with the commitment and
  another when it does not.

Printed per config: the best fixed belief and the best per-seat / state rule, with their mean
team return (sum over executors of their episode rewards) and a 95% CI over episodes.

    OMP_NUM_THREADS=1 python benchmarks/econ_regimes.py            # the default candidates
    OMP_NUM_THREADS=1 python benchmarks/econ_regimes.py --episodes 8192 --json out.json
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
from collections.abc import Callable
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch

from econ_env.llm.simulated import SimParams
from econ_env.regimes import regime_config

FITTED = ("temperature_effect", "influence", "truth_bias", "distractor_skew")
"""The herding parameters ``econ-env calibrate`` fits (the other two of expert_herding are not)."""

Policy = Callable[[torch.Tensor, Any], torch.Tensor]
"""``policy(obs (B, n, obs_dim), env) -> actions (B, n, belief_dim)``."""

LEVELS = (-1.0, 0.0, 1.0)
"""Belief levels of the varied dimensions (temperature b[0], repetition penalty b[2]): the
ECON learner's default prototypes."""

CANDIDATES: dict[str, dict[str, Any]] = {
    "econ_default": {
        "cost_weight": 3.0,
        "backend_kwargs": {"temperature_effect": 3.0, "repetition_shortening": 1.5},
    },
    "one_expert": {"team": "one_expert"},
    "one_expert_rep": {
        "team": "one_expert",
        "backend_kwargs": {"repetition_shortening": 1.5},
    },
    "one_expert_econ": {
        "team": "one_expert",
        "cost_weight": 3.0,
        "backend_kwargs": {"temperature_effect": 3.0, "repetition_shortening": 1.5},
    },
    "one_expert_follow": {
        "team": "one_expert",
        "backend_kwargs": {"follow_temperature": 3.0, "temperature_effect": 0.3},
    },
    "one_expert_follow_rep": {
        "team": "one_expert",
        "backend_kwargs": {
            "follow_temperature": 3.0,
            "temperature_effect": 0.3,
            "repetition_shortening": 1.5,
        },
    },
    "expert_first": {
        "team": [{"skill": 2.5}, {"skill": -1.0}, {"skill": -1.0}],
        "backend_kwargs": {"temperature_effect": 0.3, "repetition_shortening": 1.5},
    },
    "expert_first_follow": {
        "team": [{"skill": 2.5}, {"skill": -1.0}, {"skill": -1.0}],
        "backend_kwargs": {
            "temperature_effect": 0.3,
            "follow_temperature": 3.0,
            "repetition_shortening": 1.5,
        },
    },
    "one_expert_mild": {
        "team": "one_expert",
        "backend_kwargs": {"temperature_effect": 0.3, "repetition_shortening": 1.5},
    },
    "expert_first_skew": {
        "team": [{"skill": 2.5}, {"skill": -1.0}, {"skill": -1.0}],
        "backend_kwargs": {
            "temperature_effect": 0.3,
            "distractor_skew": 2.0,
            "repetition_shortening": 1.5,
        },
    },
    "expert_first_scatter": {
        "team": [{"skill": 2.5}, {"skill": -1.0}, {"skill": -1.0}],
        "backend_kwargs": {
            "temperature_effect": 1.0,
            "distractor_skew": 0.3,
            "repetition_shortening": 1.5,
        },
    },
    "expert_first_scatter3": {
        "team": [{"skill": 2.5}, {"skill": -1.0}, {"skill": -1.0}],
        "backend_kwargs": {
            "temperature_effect": 3.0,
            "distractor_skew": 0.3,
            "repetition_shortening": 1.5,
        },
    },
    "one_expert_scatter": {
        "team": "one_expert",
        "backend_kwargs": {
            "temperature_effect": 1.0,
            "distractor_skew": 0.3,
            "repetition_shortening": 1.5,
        },
    },
    # the search's find, now the named regime: read from econ_env.regimes, so the two cannot drift
    "expert_herding": regime_config("debate_v0", "expert_herding"),
    # debate_v1's defaults with the herding parameters Qwen2.5-Coder-0.5B's arithmetic debates
    # were fitted to (econ-env calibrate): how much of the margin survives the real values
    "expert_herding_fitted": regime_config("debate_v0", "expert_herding")
    | {
        "backend_kwargs": {
            **regime_config("debate_v0", "expert_herding")["backend_kwargs"],
            **{k: getattr(SimParams.from_preset("qwen2.5-coder-0.5b-arith"), k) for k in FITTED},
        }
    },
    "split_facts": {"task": "split_facts"},
    "split_facts_expert": {"task": "split_facts", "team": "one_expert"},
}
"""Candidate regimes: config overrides on top of :data:`BASE`."""

BASE: dict[str, Any] = {
    "n_agents": 3,
    "max_rounds": 3,
    "early_stop": False,
    "embedder": "answer",
}
"""Shared by every candidate: 3 executors, all 3 rounds played, answer-identity similarity (what
the batched env computes; the text env then matches it exactly)."""


def belief(env: Any, temp: torch.Tensor, rep: torch.Tensor) -> torch.Tensor:
    """``(B, n, belief_dim)`` beliefs with b[0] = temp, b[2] = rep (if present), rest 0."""
    b, n = env.num_envs, env.n_agents
    d = env.config.belief_dim
    out = torch.zeros(b, n, d)
    out[..., 0] = temp
    if d > 2:
        out[..., 2] = rep
    return out


def constant(temp: float, rep: float = 0.0) -> Policy:
    """Every executor plays belief (temp, ·, rep)."""
    return lambda obs, env: belief(env, torch.tensor(temp), torch.tensor(rep))


def per_seat(temps: tuple[float, ...], reps: tuple[float, ...]) -> Policy:
    """Executor ``i`` plays (temps[i], reps[i])."""
    return lambda obs, env: belief(env, torch.tensor(temps)[None], torch.tensor(reps)[None])


def follow_rule(agree: tuple[float, ...], disagree: tuple[float, ...], rep: float) -> Policy:
    """Executor ``i`` plays temperature agree[i] while its answer equals the commitment (and in
    round 0), disagree[i] otherwise."""

    def act(obs: torch.Tensor, env: Any) -> torch.Tensor:
        lay = env.spec.layout
        started = obs[..., lay.index("round")] > 0
        agrees = obs[..., lay.index("agrees_commitment")] >= 0.5
        use_dis = started & ~agrees
        t = torch.where(use_dis, torch.tensor(disagree)[None], torch.tensor(agree)[None])
        return belief(env, t, torch.tensor(rep))

    return act


def phase_rule(first: tuple[float, ...], later: tuple[float, ...], rep: float) -> Policy:
    """Executor ``i`` plays temperature first[i] in round 0 and later[i] afterwards."""

    def act(obs: torch.Tensor, env: Any) -> torch.Tensor:
        started = obs[..., env.spec.layout.index("round")] > 0
        t = torch.where(started, torch.tensor(later)[None], torch.tensor(first)[None])
        return belief(env, t, torch.tensor(rep))

    return act


def truthful(obs: torch.Tensor, env: Any) -> torch.Tensor:
    """baselines/debate.py ``truthful``: neutral in round 0, then -0.8 agreeing, +0.8 not."""
    lay = env.spec.layout
    started = obs[..., lay.index("round")] > 0
    agrees = obs[..., lay.index("agrees_commitment")] >= 0.5
    t = torch.where(agrees, -0.8, 0.8)
    return belief(env, torch.where(started, t, 0.0), torch.tensor(0.0))


def round_robin(obs: torch.Tensor, env: Any) -> torch.Tensor:
    """baselines/debate.py ``round_robin``: executor ``t mod n`` explores in round ``t``."""
    lay = env.spec.layout
    played = torch.round(obs[..., lay.index("round")] * env.config.max_rounds).long()
    me = obs[..., lay.slice("agent_id")].argmax(-1)
    t = torch.where(played % env.n_agents == me, 0.8, -0.8)
    return belief(env, t, torch.tensor(0.0))


def random_belief(obs: torch.Tensor, env: Any) -> torch.Tensor:
    """baselines/debate.py ``random``: uniform in [-1, 1]^belief_dim."""
    return torch.rand(env.num_envs, env.n_agents, env.config.belief_dim, generator=env.gen) * 2 - 1


def fixed_policies() -> dict[str, Policy]:
    """baselines/debate.py's policies and the constant grid (every executor alike)."""
    out: dict[str, Policy] = {
        "neutral": constant(0.0),
        "conservative": constant(-0.8),
        "exploratory": constant(0.8),
        "truthful": truthful,
        "round_robin": round_robin,
        "random": random_belief,
    }
    for t, r in itertools.product((-1.0, -0.5, 0.0, 0.5, 1.0), (-1.0, 0.0, 0.5, 1.0)):
        out[f"const(t={t:+.1f},r={r:+.1f})"] = constant(t, r)
    return out


def seat_policies(n: int) -> dict[str, Policy]:
    """Per-seat constants over LEVELS and follow/explore rules (the last seat apart)."""
    out: dict[str, Policy] = {}
    for temps in itertools.product(LEVELS, repeat=n):
        for rep in LEVELS:
            out[f"seat(t={temps},r={rep:+.0f})"] = per_seat(temps, (rep,) * n)
    for apart in (0, n - 1):  # one seat (an expert) apart, the others alike

        def pattern(common: float, own: float, apart: int = apart) -> tuple[float, ...]:
            return tuple(own if i == apart else common for i in range(n))

        for a0, a1, d0, d1 in itertools.product(LEVELS, repeat=4):
            agree, dis = pattern(a0, a1), pattern(d0, d1)
            if agree != dis:
                out[f"rule(agree={agree},dis={dis},r=+1)"] = follow_rule(agree, dis, 1.0)
                out[f"phase(first={agree},later={dis},r=+1)"] = phase_rule(agree, dis, 1.0)
    return out


def make(config: dict[str, Any], episodes: int, seed: int = 0) -> Any:
    """The batched env of ``config`` with ``episodes`` rows and no automatic reset."""
    from econ_env import vector

    env = vector.debate(num_envs=episodes, device="cpu", seed=seed, **config)
    env.autoreset = False
    return env


def play(env: Any, policy: Policy, seed: int) -> torch.Tensor:
    """Team returns ``(num_envs,)`` of one policy on the batched env (one episode per row)."""
    obs, _ = env.reset(seed=seed)
    total = torch.zeros(env.num_envs)
    while not bool(env.done.all()):
        obs, reward, _, _, _ = env.step(policy(obs, env))
        total += reward.sum(1)
    return total


def summary(x: torch.Tensor) -> tuple[float, float]:
    """Mean and 95% CI half-width (normal)."""
    m = float(x.mean())
    return m, 1.96 * float(x.std()) / math.sqrt(x.numel())


def search(names: list[str], episodes: int, seed: int, seats: bool) -> dict[str, Any]:
    """Every policy on every candidate; returns {candidate: {policy: (mean, ci)}}."""
    results: dict[str, Any] = {}
    for name in names:
        config = {**BASE, **CANDIDATES[name]}
        env = make(config, episodes, seed)
        rows: dict[str, tuple[float, float]] = {}
        for pname, pol in fixed_policies().items():
            rows[pname] = summary(play(env, pol, seed))
        best_fixed = max(rows, key=lambda k: rows[k][0])
        if seats:
            for pname, pol in seat_policies(config["n_agents"]).items():
                rows[pname] = summary(play(env, pol, seed))
        best = max(rows, key=lambda k: rows[k][0])
        results[name] = {"rows": rows, "best_fixed": best_fixed, "best": best}
        bf, b = rows[best_fixed], rows[best]
        print(
            f"{name:24s} best fixed {best_fixed:28s} {bf[0]:7.3f} ± {bf[1]:.3f} | "
            f"best {best:44s} {b[0]:7.3f} ± {b[1]:.3f} | gain {b[0] - bf[0]:+.3f}",
            flush=True,
        )
    return results


def main(argv: list[str] | None = None) -> None:
    """Command line: ``--only NAME ...``, ``--episodes``, ``--seed``, ``--no-seats``, ``--json``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", default=list(CANDIDATES), choices=list(CANDIDATES))
    ap.add_argument("--episodes", type=int, default=4096)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-seats", action="store_true")
    ap.add_argument("--json", default="")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    res = search(args.only, args.episodes, args.seed, not args.no_seats)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
