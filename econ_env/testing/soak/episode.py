"""One soak episode: :class:`EpisodeChecker` checks a parallel env's reset, steps and end;
``_play`` plays one seeded episode of random actions through it; :func:`soak_episode` replays
one in a fresh env."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from gymnasium import spaces

from econ_env.registry import env_info
from econ_env.testing.soak.checks import (
    CORE,
    LedgerAudit,
    Problem,
    _check_vector,
    _is_real_number,
    check_observation,
    check_token_totals,
)
from econ_env.testing.soak.configs import random_actions
from econ_env.testing.soak.info_contract import InfoReference, check_info_contract


def _game(env: Any) -> Any:
    return getattr(env, "unwrapped", env).game


class EpisodeChecker:
    """Checks one parallel env's episode: call :meth:`after_reset`, then :meth:`after_step` for
    every step, then :meth:`after_end`; the problems pile up in :attr:`problems`, each detail
    starting with the step (0 = the reset)."""

    def __init__(self, env: Any, *, info_contract: bool = True) -> None:
        self.env = env
        self.info_contract = info_contract
        self.problems: list[Problem] = []
        base = getattr(env, "unwrapped", env)
        self.max_rounds = int(base.config.max_rounds)
        self.text_in_infos = bool(getattr(base.config, "info_text", False))
        self.agents = list(env.possible_agents)
        self.obs_spaces = [env.observation_space(a) for a in self.agents]
        self.discrete = isinstance(env.action_space(self.agents[0]), spaces.Discrete)
        space = self.obs_spaces[0]
        self._fast = all(s is space for s in self.obs_spaces) and (
            isinstance(space, spaces.Box)
            or (
                isinstance(space, spaces.Dict)
                and set(space.spaces) == {"observation", "action_mask"}
            )
        )
        self._dict = isinstance(space, spaces.Dict)
        self._box = space["observation"] if self._dict else space
        self._mask_shape = space["action_mask"].shape if self._dict else None
        low, high = self._box.low, self._box.high
        # the all-at-once check needs one finite bound for every entry (econ-env's [0, 1])
        self._fast = self._fast and bool(
            np.isfinite(low).all()
            and np.isfinite(high).all()
            and (low == low.flat[0]).all()
            and (high == high.flat[0]).all()
        )
        self._low, self._high = float(low.flat[0]), float(high.flat[0])
        self._reference: InfoReference = {}
        self._audit = LedgerAudit()
        self.steps = 0

    def _add(self, check: str, detail: str) -> None:
        self.problems.append((CORE, check, f"step {self.steps}: {detail}"))

    def _vectors_fast(self, observations: Mapping[str, Any]) -> list[np.ndarray] | None:
        """The observation vectors in agent order when every observation passes the checks
        (checked all at once), else ``None`` (then checked one by one for the details)."""
        if not self._fast:
            return None
        box, dict_obs = self._box, self._dict
        vectors, masks = [], []
        for o in observations.values():
            if dict_obs:
                if type(o) is not dict or len(o) != 2:
                    return None
                v, m = o.get("observation"), o.get("action_mask")
                if type(m) is not np.ndarray or m.dtype != np.int8 or m.shape != self._mask_shape:
                    return None
                masks.append(m)
            else:
                v = o
            if type(v) is not np.ndarray or v.dtype != np.float32 or v.shape != box.shape:
                return None
            vectors.append(v)
        if vectors:  # min/max are NaN if any value is: the comparisons fail then
            x = np.concatenate(vectors)
            if not (self._low <= x.min() and x.max() <= self._high):
                return None
        if masks:
            m = np.stack(masks)
            if not (m.min() >= 0 and m.max() <= 1 and m.max(axis=1).min() == 1):
                return None
        return vectors

    def _common(self, observations: Mapping[str, Any], infos: Mapping[str, Any]) -> None:
        env, out = self.env, []
        vectors = self._vectors_fast(observations)
        if vectors is None:
            for agent, obs in observations.items():
                out += check_observation(env.observation_space(agent), obs, f"obs[{agent}]")
        self._check_state(observations, vectors, out)
        ledger = _game(env).ledger
        out += self._audit.check(ledger)
        out += check_token_totals(infos, ledger)
        for agent, info in infos.items():
            rnd = info.get("round")
            if _is_real_number(rnd) and rnd > self.max_rounds:
                out.append((CORE, "rounds", f"infos[{agent}]['round'] = {rnd} > max_rounds"))
        if self.info_contract:
            out += [
                p
                for p in check_info_contract(
                    infos,
                    observations,
                    self._reference,
                    discrete=self.discrete,
                    ledger=ledger,
                    game_over=_game(env).stop_reason is not None,
                )
                if not (self.text_in_infos and p[1] == "info_numeric")
            ]
        self.problems += [(c, check, f"step {self.steps}: {d}") for c, check, d in out]

    def _check_state(
        self,
        observations: Mapping[str, Any],
        vectors: list[np.ndarray] | None,
        out: list[Problem],
    ) -> None:
        env = self.env
        try:
            state = env.state()
        except Exception as exc:
            out.append((CORE, "state", f"state() raised {exc!r}"))
            return
        if vectors is not None and list(observations) == self.agents:
            # every observation is valid: the state is valid exactly when it equals them
            if (
                type(state) is not np.ndarray
                or state.dtype != np.float32
                or state.shape != env.state_space.shape
                or not np.array_equal(np.concatenate(vectors), state)
            ):
                out.append(
                    (
                        CORE,
                        "state_matches_obs",
                        "state() is not the observation vectors concatenated (float32)",
                    )
                )
            return
        problems: list[Problem] = []
        _check_vector(env.state_space, state, "state()", problems)
        out += [(CORE, check.replace("obs_", "state_"), d) for _, check, d in problems]

    def after_reset(self, observations: Mapping[str, Any], infos: Mapping[str, Any]) -> None:
        env = self.env
        agents = list(env.agents)
        if set(observations) != set(agents):
            self._add("reset_keys", f"observations for {sorted(observations)}, agents {agents}")
        if not set(agents) <= set(infos):
            self._add("reset_keys", f"infos for {sorted(infos)}, agents {agents}")
        if agents and agents != self.agents:
            self._add("reset_agents", f"agents {agents} != possible_agents")
        stop = _game(env).stop_reason
        if (stop is None) != bool(agents):
            self._add("reset_end", f"agents {agents} with stop_reason {stop!r} at reset")
        self._common(observations, infos)

    def after_step(self, acting: list[str], result: tuple[dict, dict, dict, dict, dict]) -> bool:
        """Check one step's result; returns whether the episode is over."""
        self.steps += 1
        env = self.env
        observations, rewards, terms, truncs, infos = result
        want = set(acting)
        for label, d in zip(("observations", "rewards", "terminations", "truncations", "infos"),
                            result, strict=True):  # fmt: skip
            if d.keys() != want:
                self._add("step_keys", f"{label} for {sorted(d)}, acting {sorted(want)}")
        for agent, r in rewards.items():
            if not _is_real_number(r) or not math.isfinite(r):
                self._add("reward", f"rewards[{agent}] = {r!r}")
        flags = set()
        for a in acting:
            term, trunc = terms.get(a), truncs.get(a)
            if type(term) not in (bool, np.bool_) or type(trunc) not in (bool, np.bool_):
                self._add("done_type", f"terminations[{a}] = {term!r}, truncations {trunc!r}")
            flags.add((bool(term), bool(trunc)))
        if len(flags) > 1:
            self._add("done_together", f"agents end apart: {terms} {truncs}")
        term, trunc = max(flags) if flags else (False, False)
        if term and trunc:
            self._add("done_both", "an agent is both terminated and truncated")
        done = term or trunc
        stop = _game(env).stop_reason
        if done:
            if env.agents:
                self._add("agents_after_end", f"agents {env.agents} after the last step")
            if stop is None:
                self._add("stop_reason", "episode ended without a stop reason")
            elif trunc != (stop == "max_rounds" and _game(env).config.max_rounds_truncates):
                self._add("stop_reason", f"truncated={trunc} with stop reason {stop!r}")
        else:
            if list(env.agents) != list(acting):
                self._add("agents_changed", f"agents {env.agents} mid-episode, were {acting}")
            if stop is not None:
                self._add("stop_reason", f"stop reason {stop!r} but the episode goes on")
        if self.steps > self.max_rounds:
            self._add("rounds", f"{self.steps} steps > max_rounds {self.max_rounds}")
        self._common(observations, infos)
        return done

    def after_end(self) -> None:
        env = self.env
        if env.agents:
            self._add("agents_after_end", f"agents {env.agents} after the episode")
            return
        extra = env.step({})
        if any(extra):
            self._add("step_after_end", f"step after the end returned {extra!r}")


def _play(
    env: Any, seed: int, *, info_contract: bool = True
) -> tuple[int, list[Problem], str | None]:
    """Play and check one episode: ``(steps, problems, stop reason)``."""
    rng = np.random.default_rng(seed)
    checker = EpisodeChecker(env, info_contract=info_contract)
    try:
        observations, infos = env.reset(seed=seed)
        checker.after_reset(observations, infos)
        done = not env.agents
        while not done:
            if checker.steps > checker.max_rounds:
                checker._add("no_end", "the episode does not end")
                break
            acting = list(env.agents)
            result = env.step(random_actions(env, observations, rng))
            observations = result[0]
            done = checker.after_step(acting, result)
        if done:
            checker.after_end()
    except Exception as exc:
        checker._add("exception", f"{type(exc).__name__}: {exc}")
    return checker.steps, checker.problems, _game(env).stop_reason


def soak_episode(
    name: str,
    config: Mapping[str, Any],
    seed: int,
    *,
    info_contract: bool = True,
    make: Callable[..., Any] | None = None,
) -> list[Problem]:
    """Replay one soak episode in a fresh env: its problems (empty when every check holds)."""
    env = (make or env_info(name).parallel_env)(**dict(config))
    return _play(env, seed, info_contract=info_contract)[1]
