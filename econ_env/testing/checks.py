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

``env_module`` is a registry name such as ``"auction_v0"`` (the env, parallel env and
full-length config come from :mod:`econ_env.registry`) or a module such as the versioned shim
``econ_env.auction_v0`` (offering ``env``, ``parallel_env`` and ``FULL_LENGTH_CONFIG``; a
third-party env's module does the same). Every episode is played by
:func:`econ_env.core.rollout.play_episode`.
"""

from __future__ import annotations

import json
import types
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from pettingzoo.test import api_test, parallel_api_test, render_test, seed_test
from pettingzoo.test.max_cycles_test import max_cycles_test

from econ_env.core.rollout import play_episode
from econ_env.llm.base import Backend, Completion, GenRequest
from econ_env.llm.registry import make_backend
from econ_env.registry import env_info

EnvSource = str | types.ModuleType
"""A registry env name (``"auction_v0"``) or a module with ``env``, ``parallel_env`` and
``FULL_LENGTH_CONFIG`` (the versioned shims ``econ_env.auction_v0``, ``econ_env.debate_v0``)."""


def _factories(source: EnvSource) -> tuple[Callable[..., Any], Callable[..., Any], Mapping]:
    """``(env factory, parallel env factory, full-length config)`` of ``source``."""
    if isinstance(source, str):
        info = env_info(source)  # ValueError naming the envs
        return info.env, info.parallel_env, info.full_length_config
    return source.env, source.parallel_env, getattr(source, "FULL_LENGTH_CONFIG", {})


def play(env: Any, seed: int, *, policy_seed: int = 0, max_steps: int = 10_000) -> list[dict]:
    """Play one episode with seeded random actions; return each step's view of the acting agent.

    A view is ``{"agent", "obs", "reward", "terminated", "truncated", "info"}`` with numpy arrays
    turned into lists, so views can be compared exactly and stored as JSON.
    """
    env.reset(seed=seed)
    for i, agent in enumerate(env.possible_agents):
        env.action_space(agent).seed(policy_seed + i)
    views: list[dict] = []

    def observe(agent: str, obs: Any, reward: float, term: bool, trunc: bool, info: dict) -> None:
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

    def act(obs: Any, agent: str) -> Any:
        mask = obs.get("action_mask") if isinstance(obs, dict) else None
        return env.action_space(agent).sample(mask)

    play_episode(env, act, observe=observe, max_steps=max_steps, reset=False)
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
    env_module: EnvSource, seeds: Sequence[int] = (0, 1, 2, 3), **config: Any
) -> None:
    """No agent's observation or info ever contains text it may not see.

    Every completion gets a unique canary marker; a marker written by another agent (or by a
    coordinator) may reach an agent only inside a transcript message visible to that agent
    (a broadcast, a public commitment, its own group's local commitment).
    """
    make_env = _factories(env_module)[0]
    inner_spec = config.pop("backend", "simulated")
    inner_kwargs = config.pop("backend_kwargs", {})
    for seed in seeds:
        backend = CanaryBackend(make_backend(inner_spec, **inner_kwargs))
        _check_no_leak_episode(make_env(backend=backend, **config), backend, seed)


def _check_no_leak_episode(env: Any, backend: CanaryBackend, seed: int) -> None:
    """One episode of :func:`check_no_leak` with seeded random actions."""
    rng = np.random.default_rng(seed)

    def observe(agent: str, obs: Any, reward: float, term: bool, trunc: bool, info: dict) -> None:
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

    def act(obs: Any, agent: str) -> Any:
        space = env.action_space(agent)
        mask = obs.get("action_mask") if isinstance(obs, dict) else None
        space.seed(int(rng.integers(2**31)))
        return space.sample(mask)

    play_episode(env, act, seed=seed, observe=observe, max_steps=10_000)


def run_all_checks(env_module: EnvSource, num_cycles: int = 20, **config: Any) -> None:
    """Run PettingZoo's test suite and econ-env's own checks on one configuration of
    ``env_module`` (a registry name or an env module, see the module docstring)."""
    make_env, make_parallel, full_length = _factories(env_module)

    def env_fn(**kw: Any) -> Any:
        return make_env(**{**config, **kw})

    with warnings.catch_warnings():
        # PettingZoo's api_test warns for every Dict observation (the action-mask convention
        # its own classic envs use too); these two warnings are expected, not defects.
        warnings.filterwarnings("ignore", message="Observation space for each agent probably")
        warnings.filterwarnings("ignore", message="Observation is not a NumPy array")
        api_test(env_fn(), num_cycles=num_cycles)
    parallel_api_test(make_parallel(**config), num_cycles=num_cycles)
    seed_test(env_fn, num_cycles=num_cycles)
    render_test(env_fn)
    # max_cycles_test needs episodes that run to exactly max_cycles rounds (no early stop, a
    # budget random actions cannot exhaust; it samples actions without masks)
    long = {**config, **full_length}
    max_cycles_test(
        types.SimpleNamespace(
            env=lambda **kw: make_env(**{**long, **kw}),
            parallel_env=lambda **kw: make_parallel(**{**long, **kw}),
        )
    )
    check_reset_isolation(env_fn)
    check_no_leak(env_module, **dict(config))
