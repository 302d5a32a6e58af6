"""PettingZoo plumbing shared by econ-env's round-settled games: the AEC env and the native
parallel env over the same game object.

In every game each live agent acts once per round and the round settles when all have acted.
A game package provides the rules and the views, and the classes here do the rest:

- the *game* (``game.py``): ``start(item, rng)``, ``decode_action(index, action)`` (validate
  one action, ``ValueError`` naming the agent, nothing changed) and
  ``play_round(actions, rng) -> RoundOutcome`` (all or nothing: when it raises, nothing of the
  round is applied);
- the *observer* (``observation.py``): ``start(game)`` once per episode,
  ``observations(game) -> (rows, masks)`` and ``infos(game) -> [info per agent]``;
- the public :class:`~econ_env.core.spec.EnvSpec`, whose spaces the env uses as they are
  (the same objects every call).

:class:`RoundBasedEnv` implements PettingZoo's AEC API (agents act in turn; the last agent of a
round settles it) and :class:`RoundBasedParallelEnv` the parallel API natively (one ``step``
settles a round). Both are all-or-nothing: a step that raises (a backend outage, an invalid
action of any agent) applies nothing, and the same step can be retried, giving exactly the
uninterrupted episode. The parallel env returns what PettingZoo's ``aec_to_parallel`` of the
AEC env returns (a test compares them episode by episode), with one difference: when the game is
over at reset (a debate budget too small for the coordinator's strategy), its ``agents`` is
empty, so ``while env.agents: env.step(...)`` ends at once (the wrapper lists agents that
cannot act).

Global state (centralised critics, PettingZoo's ``state()`` API): ``state_space`` is a
``Box(0, 1, (n_agents * obs_size,), float32)`` built once, and ``state()`` returns every agent's
observation vector concatenated in ``possible_agents`` order (action masks excluded), rebuilt
after reset and after every settled round.

``infos[agent]`` is numeric with the same keys at every step (:mod:`econ_env.envs.observe`);
``text_info(agent)`` gives the text. A ``reset`` that raises (a backend outage) leaves the env
refusing ``step`` with a ``RuntimeError`` that names the failure, until a reset succeeds.
``copy.deepcopy(env)`` mid-episode gives an env that continues the episode identically (the
backend, task source and embedder are shared); pickling (``EzPickle``) rebuilds a fresh env
from the constructor's arguments, as PettingZoo's and Gymnasium's envs do.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, ClassVar

import gymnasium
import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from pettingzoo import AECEnv, ParallelEnv

from econ_env.core.spec import EnvSpec

__all__ = ["GameEnvMixin", "RoundBasedEnv", "RoundBasedParallelEnv", "box_and_mask_spaces"]


def box_and_mask_spaces(obs_size: int, action: spaces.Space) -> tuple[spaces.Space, spaces.Space]:
    """(observation space, action space): a [0, 1] float32 vector, in a Dict with an int8
    ``action_mask`` when the action space is discrete."""
    vec = spaces.Box(0.0, 1.0, (obs_size,), dtype=np.float32)
    if isinstance(action, spaces.Discrete):
        mask = spaces.Box(0, 1, (int(action.n),), dtype=np.int8)
        return spaces.Dict({"observation": vec, "action_mask": mask}), action
    return vec, action


def state_space_of(n_agents: int, observation_space: spaces.Space) -> spaces.Box:
    """The global state's space: every agent's observation vector, concatenated."""
    vec = observation_space
    if isinstance(vec, spaces.Dict):
        vec = vec["observation"]
    return spaces.Box(0.0, 1.0, (n_agents * vec.shape[0],), dtype=np.float32)


class GameEnvMixin:
    """What the AEC and parallel envs share: the game, its views, seeding, state, rendering."""

    metadata: ClassVar[dict[str, Any]] = {
        "name": "round_based",
        "render_modes": ["ansi", "human"],
        "is_parallelizable": True,
    }

    def _init_game(
        self,
        *,
        config: Any,
        task: Any,
        backend: Any,
        game: Any,
        observer: Any,
        spec: EnvSpec,
        render: Callable[[Any, Any], str],
    ) -> None:
        """Called by the game's env classes once the config is validated."""
        self.config, self.task, self.backend = config, task, backend
        self.game, self.observer, self.env_spec = game, observer, spec
        self.layout = observer.layout
        self._render_fn = render
        self.render_mode = config.render_mode
        self.possible_agents = list(spec.agents)
        self.agents = list(spec.agents)
        self._index = {a: i for i, a in enumerate(self.possible_agents)}
        self._observation_spaces = dict.fromkeys(self.possible_agents, spec.observation_space)
        self._action_spaces = dict.fromkeys(self.possible_agents, spec.action_space)
        self.state_space = spec.state_space
        self._state: np.ndarray | None = None
        self._obs: dict[str, Any] = {}
        self.infos: dict[str, dict] = {}
        self.np_random, _ = seeding.np_random(None)
        self._seeded = False
        self._reset_error: str | None = "reset() has not been called"

    def observation_space(self, agent: str) -> spaces.Space:
        return self._observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Space:
        return self._action_spaces[agent]

    def state(self) -> np.ndarray:
        """The global state: every agent's observation vector concatenated (float32, a copy)."""
        if self._state is None:
            raise RuntimeError(f"{type(self).__name__}.state() called before reset()")
        return self._state.copy()

    def text_info(self, agent: str) -> dict[str, Any]:
        """``agent``'s text for this episode (question, draft or answer, what it heard, the
        ending): the part of ``infos`` that is not numeric (see :mod:`econ_env.envs.observe`).
        Merged into ``infos[agent]`` when the env is built with ``info_text=True``."""
        self._check_ready("text_info")
        if agent not in self._index:
            raise KeyError(f"unknown agent {agent!r}; agents: {self.possible_agents}")
        return self.observer.text_info(self.game, self._index[agent])

    def _check_ready(self, what: str) -> None:
        """Raise when the env has no episode to act on (never reset, or the last reset
        failed), naming what went wrong."""
        if self._reset_error is not None:
            name = self.metadata["name"]
            raise RuntimeError(f"{name}: {what}() needs a successful reset(); {self._reset_error}")

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        """A copy that continues the episode exactly where this env is (EzPickle's pickling
        builds a fresh, un-reset env instead). The backend, the task source and the embedder
        are shared: they hold models and connections, and every game request carries its
        own seed, so sharing them does not couple the two episodes."""
        for shared in (self.backend, self.task, getattr(self, "embedder", None)):
            if shared is not None:
                memo[id(shared)] = shared
        cls = type(self)
        new = cls.__new__(cls)
        memo[id(self)] = new
        for key, value in self.__dict__.items():
            new.__dict__[key] = copy.deepcopy(value, memo)
        return new

    # --------------------------------------------------------------- episode
    def _begin(self, seed: int | None, options: dict | None) -> None:
        """Seed (when asked, or the first time), draw the item and start the game. When this
        raises (a backend outage), the env refuses to step until a reset succeeds."""
        self._reset_error = "the last reset() is still running or raised"
        if seed is not None or not self._seeded:
            self.np_random, _ = seeding.np_random(seed)
            self._seeded = True
        self._options = dict(options or {})  # other keys are ignored (PettingZoo passes some)
        try:
            self.game.start(self._draw_item(), self.np_random)
            self.observer.start(self.game)
            self._refresh()
        except BaseException as exc:
            self._reset_error = f"the last reset() raised {type(exc).__name__}: {exc}"
            raise
        self._reset_error = None

    def _draw_item(self) -> Any:
        """The episode's task item: ``options["item_id"]`` when given, else a seeded draw."""
        item_id = self._options.get("item_id")
        if item_id is not None:
            return self.task.get(item_id)
        return self.task.sample(self.np_random)

    def _refresh(self) -> None:
        """Rebuild every agent's observation, the state and the infos from the game."""
        rows, masks = self.observer.observations(self.game)
        self._state = np.ascontiguousarray(rows, dtype=np.float32).reshape(-1).copy()
        for i, a in enumerate(self.possible_agents):
            if masks is None:
                self._obs[a] = rows[i]
            else:
                self._obs[a] = {"observation": rows[i], "action_mask": masks[i]}
        infos = self.observer.infos(self.game, masks)
        if self.config.info_text:
            for i, info in enumerate(infos):
                info.update(self.observer.text_info(self.game, i))
        self.infos = dict(zip(self.possible_agents, infos, strict=True))

    def observe(self, agent: str) -> Any:
        obs = self._obs[agent]
        if isinstance(obs, dict):
            return {
                "observation": obs["observation"].copy(),
                "action_mask": obs["action_mask"].copy(),
            }
        return obs.copy()

    def render(self) -> str | None:
        if self.render_mode is None:
            gymnasium.logger.warn("render() called without a render_mode; pass render_mode='ansi'.")
            return None
        text = self._render_fn(self.game, self.config)
        if self.render_mode == "human":
            print(text)
            return None
        return text

    def close(self) -> None:
        pass


class RoundBasedEnv(GameEnvMixin, AECEnv):
    """The AEC API over a round-settled game (see the module docstring)."""

    def reset(self, seed: int | None = None, options: dict | None = None) -> None:
        self.agents = list(self.possible_agents)
        self.rewards = dict.fromkeys(self.agents, 0.0)
        self._cumulative_rewards = dict.fromkeys(self.agents, 0.0)
        self.terminations = dict.fromkeys(self.agents, False)
        self.truncations = dict.fromkeys(self.agents, False)
        self.infos = {a: {} for a in self.agents}
        self._step_in_round = 0
        self._pending: list[Any] = [None] * len(self.agents)
        self.agent_selection = self.agents[0]
        self._begin(seed, options)
        if self.game.stop_reason is not None:  # the game ended before any round
            self._end_episode(truncated=False)

    def step(self, action: Any) -> None:
        self._check_ready("step")
        agent = self.agent_selection
        if self.terminations[agent] or self.truncations[agent]:
            self._was_dead_step(action)
            return
        index = self._index[agent]
        self._pending[index] = self.game.decode_action(index, action)
        cumulative = self._cumulative_rewards[agent]
        self._cumulative_rewards[agent] = 0.0
        self._step_in_round += 1
        if self._step_in_round == len(self.agents):
            try:
                outcome = self.game.play_round(self._pending, self.np_random)
            except BaseException:  # e.g. BackendUnavailable: the same step can be retried
                self._step_in_round -= 1
                self._cumulative_rewards[agent] = cumulative
                raise
            self._step_in_round = 0
            for i, a in enumerate(self.possible_agents):
                self.rewards[a] = float(outcome.rewards[i])
            if outcome.stop_reason is not None:
                self._end_episode(outcome.truncated)
            self._refresh()
        else:
            self._clear_rewards()
        self.agent_selection = self.agents[self._step_in_round % len(self.agents)]
        self._accumulate_rewards()

    def _end_episode(self, truncated: bool) -> None:
        """Mark every agent terminated (or truncated) at once, at the end of a round."""
        for a in self.possible_agents:
            self.terminations[a] = not truncated
            self.truncations[a] = truncated


class RoundBasedParallelEnv(GameEnvMixin, ParallelEnv):
    """PettingZoo's parallel API over a round-settled game, natively: one ``step`` is one round.

    ``step(actions)`` needs an action for every live agent and nothing else. It validates every
    action first and plays the round; when it raises (an invalid action, a backend outage),
    nothing of the round has been applied and the same ``step(actions)`` can be called again.
    """

    def reset(
        self, seed: int | None = None, options: dict | None = None
    ) -> tuple[dict[str, Any], dict[str, dict]]:
        self.agents = list(self.possible_agents)
        self._begin(seed, options)
        if self.game.stop_reason is not None:  # the game ended before any round
            self.agents = []
        return {a: self.observe(a) for a in self.agents}, dict(self.infos)

    def step(self, actions: dict[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
        self._check_ready("step")
        if not self.agents:
            return {}, {}, {}, {}, {}
        if not hasattr(actions, "keys"):
            raise ValueError(
                f"actions must be a dict agent -> action, got {type(actions).__name__}"
            )
        missing = [a for a in self.agents if a not in actions]
        unknown = sorted(str(a) for a in actions if a not in self._index)
        if missing or unknown:
            raise ValueError(
                f"actions must hold exactly the live agents {self.agents}; "
                f"missing {missing}, unknown {unknown}"
            )
        decoded = [self.game.decode_action(self._index[a], actions[a]) for a in self.agents]
        outcome = self.game.play_round(decoded, self.np_random)
        self._refresh()
        done = outcome.stop_reason is not None
        agents = self.agents
        rewards = {a: 0 + float(outcome.rewards[self._index[a]]) for a in agents}
        terminations = {a: done and not outcome.truncated for a in agents}
        truncations = {a: done and outcome.truncated for a in agents}
        observations = {a: self.observe(a) for a in agents}
        infos = {a: self.infos[a] for a in agents}
        if done:
            self.agents = []
        return observations, rewards, terminations, truncations, infos
