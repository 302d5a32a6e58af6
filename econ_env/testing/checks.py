"""Shipped environment checks: PettingZoo's own test suite plus econ-env's invariants.

``run_all_checks(env_module, **config)`` runs, on one environment configuration:

- PettingZoo's ``api_test``, ``parallel_api_test``, ``seed_test``, ``max_cycles_test`` and
  ``render_test``;
- ``check_reset_isolation``: an episode after other episodes equals the same episode in a fresh
  env (nothing leaks across resets);
- ``check_no_leak``: an agent never observes another agent's unbroadcast draft (checked with
  canary markers injected into every completion);
- ``check_golden`` (separately, in :mod:`econ_env.testing.golden`): a fixed seed gives exactly
  the recorded per-agent views.

``env_module`` is a versioned shim such as ``econ_env.auction_v0`` (it must offer ``env``,
``parallel_env`` and ``raw_env`` taking config keyword arguments).
"""

from __future__ import annotations

import json
import types
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from pettingzoo.test import api_test, parallel_api_test, render_test, seed_test
from pettingzoo.test.max_cycles_test import max_cycles_test

from econ_env.llm.base import Backend, Completion, GenRequest
from econ_env.llm.registry import make_backend


def play(env: Any, seed: int, *, policy_seed: int = 0, max_steps: int = 10_000) -> list[dict]:
    """Play one episode with seeded random actions; return each step's view of the acting agent.

    A view is ``{"agent", "obs", "reward", "terminated", "truncated", "info"}`` with numpy arrays
    turned into lists, so views can be compared exactly and stored as JSON.
    """
    env.reset(seed=seed)
    for i, agent in enumerate(env.possible_agents):
        env.action_space(agent).seed(policy_seed + i)
    views: list[dict] = []
    for agent in env.agent_iter(max_steps):
        obs, reward, term, trunc, info = env.last()
        views.append(
            {
                "agent": agent,
                "obs": _plain(obs),
                "reward": float(reward),
                "terminated": bool(term),
                "truncated": bool(trunc),
                "info": _plain(info),
            }
        )
        if term or trunc:
            action = None
        else:
            mask = obs.get("action_mask") if isinstance(obs, dict) else None
            action = env.action_space(agent).sample(mask)
        env.step(action)
    return views


def _plain(x: Any) -> Any:
    """A JSON-friendly copy: arrays → lists, float32 → float, tuples → lists."""
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    if isinstance(x, np.ndarray):
        return _plain(x.tolist())
    if isinstance(x, (np.floating, float)):
        return float(x)
    if isinstance(x, (np.integer,)):
        return int(x)
    return x


def check_reset_isolation(env_fn: Callable[[], Any], seeds: Sequence[int] = (3, 11, 3)) -> None:
    """Episodes in a reused env must equal the same episodes in fresh envs."""
    reused = env_fn()
    for seed in seeds:
        fresh_views = play(env_fn(), seed)
        reused_views = play(reused, seed)
        if fresh_views != reused_views:
            raise AssertionError(f"episode with seed {seed} differs after earlier resets")
        if reused_views[0]["info"].get("round", 0) != 0:
            raise AssertionError("the round counter survived reset()")


class CanaryBackend:
    """Wraps a backend and appends a unique canary marker to every completion's text."""

    def __init__(self, inner: Backend) -> None:
        self.inner = inner
        self.name = f"canary({inner.name})"
        self.calls = 0
        self.markers: dict[str, int] = {}  # marker -> agent index that produced it

    def generate(self, requests: Sequence[GenRequest]) -> list[Completion]:
        out = []
        for req, c in zip(requests, self.inner.generate(requests), strict=False):
            self.calls += 1
            marker = f"<canary-{self.calls}>"
            self.markers[marker] = req.hints.agent_index if req.hints is not None else -1
            out.append(
                Completion(
                    c.text + " " + marker,
                    c.prompt_tokens,
                    c.completion_tokens,
                    c.mean_logprob,
                    c.mean_entropy,
                    c.finish_reason,
                )
            )
        return out


def check_no_leak(
    env_module: types.ModuleType, seeds: Sequence[int] = (0, 1, 2, 3), **config: Any
) -> None:
    """No agent's observation or info ever contains text it may not see.

    Every completion gets a unique canary marker; a marker written by another agent (or by a
    coordinator) may reach an agent only inside a transcript message visible to that agent
    (a broadcast, a public commitment, its own group's local commitment).
    """
    inner_spec = config.pop("backend", "simulated")
    inner_kwargs = config.pop("backend_kwargs", {})
    for seed in seeds:
        backend = CanaryBackend(make_backend(inner_spec, **inner_kwargs))
        env = env_module.env(backend=backend, **config)
        env.reset(seed=seed)
        rng = np.random.default_rng(seed)
        for agent in env.agent_iter(10_000):
            obs, _, term, trunc, info = env.last()
            me = env.possible_agents.index(agent)
            visible = [m.text for m in env.unwrapped.game.transcript.view(agent)]
            seen = json.dumps(_plain(info)) + json.dumps(_plain(obs))
            for marker, owner in backend.markers.items():
                if owner == me or marker not in seen:
                    continue
                if not any(marker in text for text in visible):
                    who = "the coordinator" if owner < 0 else env.possible_agents[owner]
                    raise AssertionError(
                        f"{agent} observed {marker} written by {who} in a message it may not see"
                    )
            if term or trunc:
                env.step(None)
                continue
            space = env.action_space(agent)
            mask = obs.get("action_mask") if isinstance(obs, dict) else None
            space.seed(int(rng.integers(2**31)))
            env.step(space.sample(mask))


def run_all_checks(env_module: types.ModuleType, num_cycles: int = 20, **config: Any) -> None:
    """Run PettingZoo's test suite and econ-env's own checks on one configuration."""

    def env_fn(**kw: Any) -> Any:
        return env_module.env(**{**config, **kw})

    with warnings.catch_warnings():
        # PettingZoo's api_test warns for every Dict observation (the action-mask convention
        # its own classic envs use too); these two warnings are expected, not defects.
        warnings.filterwarnings("ignore", message="Observation space for each agent probably")
        warnings.filterwarnings("ignore", message="Observation is not a NumPy array")
        api_test(env_fn(), num_cycles=num_cycles)
    parallel_api_test(env_module.parallel_env(**config), num_cycles=num_cycles)
    seed_test(env_fn, num_cycles=num_cycles)
    render_test(env_fn)
    # max_cycles_test needs episodes that run to exactly max_cycles rounds (no early stop, a
    # budget random actions cannot exhaust; it samples actions without masks)
    long = {**config, **env_module.FULL_LENGTH_CONFIG}
    max_cycles_test(
        types.SimpleNamespace(
            env=lambda **kw: env_module.env(**{**long, **kw}),
            parallel_env=lambda **kw: env_module.parallel_env(**{**long, **kw}),
        )
    )
    check_reset_isolation(env_fn)
    check_no_leak(env_module, **dict(config))
