"""Gymnasium single-agent views of econ-env's games: one learner among fixed co-players.

``econ_env.single_agent(env_fn, learner="bidder_0", others=...)`` returns a
:class:`gymnasium.Env` in which the learner acts and every other seat is played by a policy
with ``act(obs, agent)`` (a registered policy name, a factory ``(spec, seed) -> policy`` or a
policy object). Co-players are built from the env's public :class:`~econ_env.core.spec.EnvSpec`
through the policy registry (:mod:`econ_env.policies`), never from the env. The learner's
reward at each of its steps is exactly what the multi-agent env credits it between two of its
turns (PettingZoo's accumulated reward, which includes rewards settled during the other agents'
turns), and ``terminated`` / ``truncated`` are the underlying env's flags for the learner.

The default co-player is the env's ``default_policy`` in :mod:`econ_env.registry` (the
truthful bidder on auction_v0, the neutral belief on debate_v0). Registered ids:
``gymnasium.make("econ_env/Auction-v0", **config)`` and
``gymnasium.make("econ_env/Debate-v0", **config)``, where ``learner`` and ``others`` may be
given too and every other keyword goes to the game's config.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import gymnasium
import numpy as np
from gymnasium.utils import EzPickle

from econ_env.policies import make_policy
from econ_env.registry import env_info, env_name_of

PolicySpec = Any  # a policy object, a registered policy name, or a factory (spec, seed) -> policy


class SingleAgentEnv(gymnasium.Env, EzPickle):
    """One seat of a multi-agent econ-env game as a Gymnasium environment.

    Args:
        env_fn: a zero-argument callable returning the PettingZoo AEC env (e.g.
            ``lambda: econ_env.auction_v0.env(mechanism="vcg")``).
        learner: the seat the Gymnasium agent plays.
        others: the co-players: a registered policy name (``"truthful"``, ``"random"``,
            ``"neutral"``, ...) or ``"module:Class"``, a factory ``(spec, seed) -> policy``, a
            policy object with ``act(obs, agent)``, or a mapping from agent name to any of
            those. ``None`` picks the env's default policy.
        masks: with ``action_type="discrete"`` the learner's observation is a Dict with an int8
            ``action_mask``; ``"keep"`` (default) passes it unchanged, ``"split"`` hands the
            float32 vector only (``observation_space`` is its Box). Either way
            :meth:`action_masks` returns the legal actions, which is what sb3-contrib's
            ``MaskablePPO`` asks for.

    The env pickles (for async vector envs) when ``env_fn`` does: the registered ids use a
    module-level factory; a lambda does not pickle.
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["ansi", "human"], "render_fps": 1}

    def __init__(
        self,
        env_fn: Callable[[], Any],
        learner: str | None = None,
        others: PolicySpec | Mapping[str, PolicySpec] | None = None,
        masks: str = "keep",
    ) -> None:
        EzPickle.__init__(self, env_fn, learner, others, masks)
        self.env = env_fn()
        base = self.env.unwrapped
        self.learner = learner if learner is not None else self.env.possible_agents[0]
        if self.learner not in self.env.possible_agents:
            raise ValueError(
                f"learner={self.learner!r} is not an agent of {base.metadata['name']}; "
                f"one of {self.env.possible_agents}"
            )
        self.observation_space = self.env.observation_space(self.learner)
        self._masked = isinstance(self.observation_space, gymnasium.spaces.Dict)
        if masks not in ("keep", "split"):
            raise ValueError(f"masks={masks!r}: one of 'keep', 'split'")
        if masks == "split" and not self._masked:
            raise ValueError("masks='split' needs a masked observation (action_type='discrete')")
        self._split = masks == "split"
        if self._split:
            self.observation_space = self.observation_space["observation"]
        self._mask: np.ndarray | None = None
        self.action_space = self.env.action_space(self.learner)
        self.render_mode = base.render_mode
        self.metadata = {**self.metadata, "name": base.metadata["name"]}
        self.env_name = env_name_of(self.env)
        self.env_spec = base.env_spec
        spec = others if others is not None else env_info(self.env_name).default_policy
        seats = [a for a in self.env.possible_agents if a != self.learner]
        if isinstance(spec, Mapping):
            missing = sorted(set(seats) - set(spec))
            if missing:
                raise ValueError(f"others: no policy for {missing}")
        self._others = {
            a: self._build(spec[a] if isinstance(spec, Mapping) else spec, a) for a in seats
        }

    def _build(self, spec: PolicySpec, agent: str) -> Any:
        seed = self.env.possible_agents.index(agent)
        if isinstance(spec, str):  # an unknown name raises, listing the registered ones
            return make_policy(spec, self.env_spec, seed=seed)
        if hasattr(spec, "act"):
            return spec
        if callable(spec):
            return spec(self.env_spec, seed)
        raise ValueError(
            f"others[{agent!r}] must be a policy name, a policy object or a factory (spec, seed)"
        )

    def _reseed_others(self, seed: int) -> None:
        for i, policy in enumerate(self._others.values()):
            if isinstance(getattr(policy, "rng", None), np.random.Generator):
                policy.rng = np.random.default_rng([seed, i])

    def _advance(self) -> tuple[Any, float, bool, bool, dict]:
        """Let the co-players act until the learner is to move (or gone); return its view."""
        env = self.env
        while env.agents and env.agent_selection != self.learner:
            agent = env.agent_selection
            obs, _, term, trunc, _ = env.last()
            env.step(None if term or trunc else self._others[agent].act(obs, agent))
        if self.learner in env.agents:
            obs, reward, term, trunc, info = env.last()
            return self._view(obs), float(reward), bool(term), bool(trunc), dict(info)
        raise RuntimeError(f"{self.learner} left the game without being told it ended")

    def _view(self, obs: Any) -> Any:
        if not self._masked:
            return obs
        self._mask = np.asarray(obs["action_mask"], dtype=bool)
        return obs["observation"] if self._split else obs

    def action_masks(self) -> np.ndarray:
        """The learner's legal actions in its current observation (bool ``(n_actions,)``);
        ``ValueError`` when its actions are not masked (``action_type="continuous"``)."""
        if self._mask is None:
            raise ValueError(
                "action_masks(): the learner's actions are masked only with "
                "action_type='discrete', after reset()"
            )
        return self._mask.copy()

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[Any, dict]:
        super().reset(seed=seed)
        self.env.reset(seed=seed, options=options)
        if seed is not None:
            self._reseed_others(seed)
        obs, _, _, _, info = self._advance()
        return obs, info

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict]:
        if self.env.agent_selection != self.learner or not self.env.agents:
            raise RuntimeError("step() called after the episode ended; call reset()")
        self.env.step(action)
        obs, reward, term, trunc, info = self._advance()
        if term or trunc:
            self.env.step(None)  # the learner's own dead step: the game is over for it
        return obs, reward, term, trunc, info

    def render(self) -> str | None:
        return self.env.unwrapped.render()

    def close(self) -> None:
        self.env.close()


def single_agent(
    env_fn: Callable[[], Any],
    learner: str | None = None,
    others: PolicySpec | Mapping[str, PolicySpec] | None = None,
    masks: str = "keep",
) -> SingleAgentEnv:
    """The Gymnasium view of ``env_fn()``'s ``learner`` seat (see :class:`SingleAgentEnv`)."""
    return SingleAgentEnv(env_fn, learner, others, masks)


class EnvFactory:
    """A picklable ``env_fn`` building registry env ``name`` with ``config`` (async vector envs
    pickle it)."""

    def __init__(self, name: str, config: dict[str, Any]) -> None:
        env_info(name)  # fail early on an unknown name
        self.name, self.config = name, config

    def __call__(self) -> Any:
        return env_info(self.name).env(**self.config)


def make_single_agent(
    env_name: str,
    learner: str | None = None,
    others: PolicySpec | None = None,
    masks: str = "keep",
    **config: Any,
) -> SingleAgentEnv:
    """Entry point of the registered Gymnasium ids (``gymnasium.make("econ_env/Auction-v0")``)."""
    return SingleAgentEnv(EnvFactory(env_name, config), learner, others, masks)


def make_auction(
    learner: str | None = None, others: PolicySpec | None = None, **config: Any
) -> SingleAgentEnv:
    """The single-agent view of auction_v0 (``gymnasium.make("econ_env/Auction-v0")``)."""
    return make_single_agent("auction_v0", learner, others, **config)


def make_debate(
    learner: str | None = None, others: PolicySpec | None = None, **config: Any
) -> SingleAgentEnv:
    """The single-agent view of debate_v0 (``gymnasium.make("econ_env/Debate-v0")``)."""
    return make_single_agent("debate_v0", learner, others, **config)
