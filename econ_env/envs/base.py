"""The PettingZoo AEC plumbing shared by econ-env's round-settled games.

In every game each live agent acts once per round, in order, and the round settles when the
last one has acted. :class:`RoundBasedEnv` implements the AEC API around that (seeding,
bookkeeping, dead steps, reward accumulation, cached spaces, observation copies, rendering)
and leaves the game to four hooks:

- ``_start_episode()``: draw the episode (``_draw_item()``: ``reset(options={"item_id": ...})``
  plays a given task item, otherwise one is drawn from ``self.np_random``) and start the game;
- ``_record_action(index, agent, action)``: validate and store one agent's action (raise
  ``ValueError`` naming the agent before changing anything);
- ``_settle_round()``: play the round, set ``self.rewards`` and call ``_end_episode`` when the
  game is over;
- ``_refresh()``: rebuild ``self._obs`` and ``self.infos`` (called after reset and every round);

plus ``_render_text()``. Spaces are built once and the same objects are returned every call.

Global state (for centralised critics, PettingZoo's ``state()`` API): ``state_space`` is a
``Box(0, 1, (n_agents * obs_size,), float32)`` built once, and ``state()`` returns every
agent's observation vector concatenated in ``possible_agents`` order (action masks excluded).
It is rebuilt with the observations (after reset and after every settled round), so it is
deterministic given the seed and the actions. PettingZoo's ``aec_to_parallel`` forwards both to
the parallel API.
"""

from __future__ import annotations

from typing import Any, ClassVar

import gymnasium
import numpy as np
from gymnasium import spaces
from gymnasium.utils import EzPickle, seeding
from pettingzoo import AECEnv


def box_and_mask_spaces(obs_size: int, action: spaces.Space) -> tuple[spaces.Space, spaces.Space]:
    """(observation space, action space): a [0, 1] float32 vector, in a Dict with an int8
    ``action_mask`` when the action space is discrete."""
    vec = spaces.Box(0.0, 1.0, (obs_size,), dtype=np.float32)
    if isinstance(action, spaces.Discrete):
        mask = spaces.Box(0, 1, (int(action.n),), dtype=np.int8)
        return spaces.Dict({"observation": vec, "action_mask": mask}), action
    return vec, action


class RoundBasedEnv(AECEnv, EzPickle):
    """Base class of econ-env's AEC environments (see the module docstring)."""

    metadata: ClassVar[dict[str, Any]] = {
        "name": "round_based",
        "render_modes": ["ansi", "human"],
        "is_parallelizable": True,
    }

    def _setup(
        self,
        agents: list[str],
        observation_space: spaces.Space,
        action_space: spaces.Space,
        render_mode: str | None,
    ) -> None:
        """Called by subclasses' ``__init__`` once the config is validated."""
        self.render_mode = render_mode
        self.possible_agents = agents
        self.agents = list(agents)
        self._index = {a: i for i, a in enumerate(agents)}
        self._observation_spaces = {a: observation_space for a in agents}
        self._action_spaces = {a: action_space for a in agents}
        self._identity = np.eye(len(agents), dtype=np.float32)
        vec = observation_space
        if isinstance(vec, spaces.Dict):
            vec = vec["observation"]
        self.state_space = spaces.Box(0.0, 1.0, (len(agents) * vec.shape[0],), dtype=np.float32)
        self._state: np.ndarray | None = None
        self._obs: dict[str, Any] = {}
        self.np_random, _ = seeding.np_random(None)
        self._seeded = False

    def observation_space(self, agent: str) -> spaces.Space:
        return self._observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Space:
        return self._action_spaces[agent]

    def state(self) -> np.ndarray:
        """The global state: every agent's observation vector concatenated (float32, a copy)."""
        if self._state is None:
            raise RuntimeError(f"{type(self).__name__}.state() called before reset()")
        return self._state.copy()

    # --------------------------------------------------------------- hooks
    def _start_episode(self) -> None:
        raise NotImplementedError

    def _record_action(self, index: int, agent: str, action: Any) -> None:
        raise NotImplementedError

    def _settle_round(self) -> None:
        raise NotImplementedError

    def _refresh(self) -> None:
        raise NotImplementedError

    def _render_text(self) -> str:
        raise NotImplementedError

    # --------------------------------------------------------------- AEC API
    def reset(self, seed: int | None = None, options: dict | None = None) -> None:
        if seed is not None or not self._seeded:
            self.np_random, _ = seeding.np_random(seed)
            self._seeded = True
        self.agents = list(self.possible_agents)
        self.rewards = dict.fromkeys(self.agents, 0.0)
        self._cumulative_rewards = dict.fromkeys(self.agents, 0.0)
        self.terminations = dict.fromkeys(self.agents, False)
        self.truncations = dict.fromkeys(self.agents, False)
        self.infos = {a: {} for a in self.agents}
        self._step_in_round = 0
        self.agent_selection = self.agents[0]
        self._options = dict(options or {})  # other keys are ignored (PettingZoo passes some)
        self._start_episode()
        self._refresh()

    def _draw_item(self) -> Any:
        """The episode's task item: ``options["item_id"]`` when given, else a seeded draw."""
        item_id = self._options.get("item_id")
        if item_id is not None:
            return self.task.get(item_id)
        return self.task.sample(self.np_random)

    def step(self, action: Any) -> None:
        agent = self.agent_selection
        if self.terminations[agent] or self.truncations[agent]:
            self._was_dead_step(action)
            return
        self._record_action(self._index[agent], agent, action)
        self._cumulative_rewards[agent] = 0.0
        self._step_in_round += 1
        if self._step_in_round == len(self.agents):
            try:
                self._settle_round()
            except BaseException:  # e.g. BackendUnavailable: the same step can be retried
                self._step_in_round -= 1
                raise
            self._step_in_round = 0
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

    def _shared_info(self) -> dict[str, Any]:
        """The info fields every agent gets: question, token totals and, once the game is
        over, its ending (stop reason, final answer, gold, correctness)."""
        game = self.game
        info: dict[str, Any] = {
            "question": game.item.question,
            "billed_tokens": game.ledger.billed_total,
            "generated_tokens": game.ledger.generated_total,
            "remaining_budget": game.ledger.remaining,
        }
        if game.stop_reason is not None:
            info.update(
                stop_reason=game.stop_reason,
                final_answer=game.final_answer,
                gold=game.item.gold,
                correct=game.correct,
            )
        return info

    def _store_observations(self, rows: np.ndarray, masks: list[np.ndarray] | None) -> None:
        """Cache each agent's row (and action mask in the discrete variant) and the state."""
        self._state = np.ascontiguousarray(rows, dtype=np.float32).reshape(-1).copy()
        for i, a in enumerate(self.possible_agents):
            if masks is None:
                self._obs[a] = rows[i]
            else:
                self._obs[a] = {"observation": rows[i], "action_mask": masks[i]}

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
        text = self._render_text()
        if self.render_mode == "human":
            print(text)
            return None
        return text

    def close(self) -> None:
        pass
