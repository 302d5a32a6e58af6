"""TorchRL adapter: the batched torch twins of both games (:mod:`econ_env.vector`) as a TorchRL
``EnvBase``, laid out the way TorchRL wraps VMAS.

Install the optional extra ``torchrl`` (``pip install -e ".[torchrl]"``: torch, torchrl,
tensordict). :class:`TorchRLVecEnv` wraps a :class:`~econ_env.vector.VecEnvBase` (``num_envs``
episodes as tensors); :func:`make_torchrl_env` builds both from a registry name. One TorchRL
step is one round of every env: all agents act at once.

The tensordict (batch size ``(num_envs,)``; ``n`` agents, one group ``"agents"`` as in
``torchrl.envs.libs.vmas.VmasEnv``):

- ``("agents", "observation")``: float32 ``(num_envs, n, obs_dim)``, the text env's documented
  observation layout;
- ``("agents", "action")``: continuous games: ``Bounded(-1, 1)`` float32 ``(num_envs, n,
  act_dim)``; discrete games: ``Categorical(K)`` int64 ``(num_envs, n)`` (or ``OneHot(K)``
  ``(num_envs, n, K)`` with ``categorical_actions=False``), and ``("agents", "action_mask")``
  bool ``(num_envs, n, K)``. The action spec's mask follows the current action mask, so
  ``env.rand_step()`` and ``check_env_specs`` draw legal actions; pass the mask to a masked
  distribution (``torchrl.modules.MaskedCategorical``) in a policy;
- ``("agents", "reward")``: float32 ``(num_envs, n, 1)``, each agent's own reward;
- ``"done"``, ``"terminated"``, ``"truncated"``: bool ``(num_envs, 1)``, shared by the agents
  (expand them to the reward's shape for GAE, as TorchRL's multi-agent PPO tutorial does);
- ``"state"``: float32 ``(num_envs, n * obs_dim)``, every agent's observation concatenated (the
  text env's ``state()``), for centralised critics;
- ``"info"`` and ``("agents", "info")``: the numeric infos of the batched env, per env
  ``(num_envs, ...)`` and per agent ``(num_envs, n, ...)`` (float ones as float32): the live
  keys of the text env (``round``, ``billed_tokens``, ``generated_tokens``,
  ``remaining_budget``, ``correct``, ``game_over``, ``stop_code``; per agent
  ``agent_billed_tokens``, ``agent_generated_tokens``; and each game's own, e.g. the
  auction's ``price`` and per-agent ``bid`` / ``spoke``) and the summary of the episode that
  ended at this step (``episode_correct``, ``episode_billed``, ``episode_generated``,
  ``episode_rounds``, ``episode_stop_code``; per agent ``episode_return``): meaningful where
  ``done``, zero after a reset. The keys are read off the batched env when the adapter is
  built (a reset and one round; the env's generator is then restored).

The batched env runs with ``autoreset=False``: TorchRL resets finished envs itself, through
``_reset`` with a ``"_reset"`` mask (a partial reset calls the batched env's
``reset_envs(mask)``; the other envs go on untouched). An env stepped again before its reset
stays done, with zero reward, so ``rollout(break_when_all_done=True)`` works; TorchRL's partial
steps (``"_step"``) may skip finished envs only. ``set_seed(seed)`` reseeds the batched env's
generator (``reset(seed=seed)``), so a seed and a policy fix the rollouts on a given device.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from gymnasium import spaces
from tensordict import TensorDict, TensorDictBase
from torchrl.data import Bounded, Categorical, Composite, OneHot, Unbounded
from torchrl.envs import EnvBase

import econ_env.vector as vector
from econ_env.vector import VecEnvBase

__all__ = ["TorchRLVecEnv", "make_torchrl_env"]

_NOT_INFO = frozenset({"action_mask", "final_obs", "done"})  # in the tensordict elsewhere


def _probe_infos(env: VecEnvBase) -> tuple[dict[str, Any], dict[str, Any]]:
    """The info keys of ``env`` (a reset and one round of legal actions) as ``{key: (dtype,
    trailing shape)}``, per env and per agent. The env's generator is restored afterwards, so
    the first episodes are those the env would have played without the probe."""
    gen = getattr(env, "gen", None)
    saved = gen.get_state() if isinstance(gen, torch.Generator) else None
    _, reset_info = env.reset()
    b, n = env.num_envs, env.n_agents
    if env.discrete:
        actions = env.action_mask().to(torch.int8).argmax(-1)  # the first legal action
    else:
        actions = torch.zeros((b, n, env.act_dim), dtype=torch.float32, device=env.device)
    step_info = env.step(actions)[-1]
    if saved is not None:
        gen.set_state(saved)
    per_env: dict[str, Any] = {}
    per_agent: dict[str, Any] = {}
    for key, value in {**reset_info, **step_info}.items():
        if key in _NOT_INFO or not isinstance(value, torch.Tensor) or value.shape[:1] != (b,):
            continue
        dtype = value.dtype
        if dtype.is_floating_point:
            dtype = torch.float32
        elif dtype != torch.bool:
            dtype = torch.int64
        if value.shape[1:2] == (n,):
            per_agent[key] = (dtype, tuple(value.shape[2:]))
        else:
            per_env[key] = (dtype, tuple(value.shape[1:]))
    return per_env, per_agent


def _leaf_spec(shape: tuple[int, ...], dtype: torch.dtype, device: torch.device):
    if dtype == torch.bool:
        return Categorical(n=2, shape=shape, dtype=torch.bool, device=device)
    return Unbounded(shape=shape, dtype=dtype, device=device)


def _box_spec(box: spaces.Box, lead: tuple[int, ...], device: torch.device, repeat: int = 1):
    """A float32 spec of ``lead + box.shape`` (the box's last dim tiled ``repeat`` times):
    ``Bounded`` where the box is finite, else ``Unbounded``."""
    low = np.tile(np.asarray(box.low, dtype=np.float32), repeat)
    high = np.tile(np.asarray(box.high, dtype=np.float32), repeat)
    shape = (*lead, *low.shape)
    if not (np.isfinite(low).all() and np.isfinite(high).all()):
        return Unbounded(shape=shape, dtype=torch.float32, device=device)
    low_t = torch.as_tensor(low, device=device).expand(shape).clone()
    high_t = torch.as_tensor(high, device=device).expand(shape).clone()
    return Bounded(low=low_t, high=high_t, shape=shape, dtype=torch.float32, device=device)


class TorchRLVecEnv(EnvBase):
    """A batched econ-env game as a TorchRL ``EnvBase`` with one agent group (``"agents"``).

    Arguments:
        env: the batched env (``econ_env.vector.auction(...)``, ``econ_env.vector.make(...)``).
            The adapter sets its ``autoreset`` to False and owns it from then on.
        categorical_actions: discrete games only: integer actions (``Categorical``, the
            default) or one-hot actions (``OneHot``).
    """

    def __init__(self, env: VecEnvBase, *, categorical_actions: bool = True):
        if not isinstance(env, VecEnvBase):
            raise TypeError(f"expected an econ_env.vector env, got {type(env).__name__}")
        self._env_info, self._agent_info = _probe_infos(env)
        env.autoreset = False
        self._env = env
        self.categorical_actions = bool(categorical_actions)
        super().__init__(device=env.device, batch_size=torch.Size([env.num_envs]))
        self.agent_names = list(env.agents)
        self._terminated = torch.zeros((env.num_envs, 1), dtype=torch.bool, device=self.device)
        self._truncated = torch.zeros_like(self._terminated)
        self.group_map = {"agents": list(env.agents)}
        self._make_specs()

    # -- specs -----------------------------------------------------------------------------

    def _make_specs(self) -> None:
        env, device = self._env, self.device
        num_envs, n = env.num_envs, env.n_agents
        lead = (num_envs, n)
        obs_space = env.observation_space
        if isinstance(obs_space, spaces.Dict):
            obs_space = obs_space["observation"]
        group_obs = Composite(
            observation=_box_spec(obs_space, lead, device),
            info=Composite(
                {k: _leaf_spec((*lead, *t), d, device) for k, (d, t) in self._agent_info.items()},
                shape=lead,
                device=device,
            ),
            shape=lead,
            device=device,
        )
        if env.discrete:
            k = env.n_actions
            group_obs["action_mask"] = Categorical(
                n=2, shape=(*lead, k), dtype=torch.bool, device=device
            )
            if self.categorical_actions:
                action = Categorical(n=k, shape=lead, dtype=torch.int64, device=device)
            else:
                action = OneHot(n=k, shape=(*lead, k), dtype=torch.bool, device=device)
        else:
            action = _box_spec(env.action_space, lead, device)
        self.full_observation_spec = Composite(
            agents=group_obs,
            state=_box_spec(obs_space, (num_envs,), device, repeat=n),
            info=Composite(
                {k: _leaf_spec((num_envs, *t), d, device) for k, (d, t) in self._env_info.items()},
                shape=(num_envs,),
                device=device,
            ),
            shape=(num_envs,),
            device=device,
        )
        self.full_action_spec = Composite(
            agents=Composite(action=action, shape=lead, device=device),
            shape=(num_envs,),
            device=device,
        )
        self.full_reward_spec = Composite(
            agents=Composite(
                reward=Unbounded(shape=(*lead, 1), dtype=torch.float32, device=device),
                shape=lead,
                device=device,
            ),
            shape=(num_envs,),
            device=device,
        )
        flag = Categorical(n=2, shape=(num_envs, 1), dtype=torch.bool, device=device)
        self.full_done_spec = Composite(
            done=flag.clone(),
            terminated=flag.clone(),
            truncated=flag.clone(),
            shape=(num_envs,),
            device=device,
        )

    # -- properties ------------------------------------------------------------------------

    @property
    def vec_env(self) -> VecEnvBase:
        """The wrapped batched env."""
        return self._env

    @property
    def num_envs(self) -> int:
        return self._env.num_envs

    @property
    def n_agents(self) -> int:
        return self._env.n_agents

    @property
    def discrete(self) -> bool:
        return bool(self._env.discrete)

    # -- EnvBase ---------------------------------------------------------------------------

    def _set_seed(self, seed: int | None) -> None:
        if seed is not None:
            self._env.reset(seed=int(seed))

    def _reset(self, tensordict: TensorDictBase | None = None, **kwargs: Any) -> TensorDictBase:
        reset = tensordict.get("_reset", None) if tensordict is not None else None
        if reset is None or bool(reset.all()):
            obs, info = self._env.reset()
            self._terminated.zero_()
            self._truncated.zero_()
        else:
            mask = reset.reshape(self.num_envs).to(device=self._env.device, dtype=torch.bool)
            self._env.reset_envs(mask)
            info = self._env.info()
            obs = self._env.state().reshape(self.num_envs, self.n_agents, self._env.obs_dim)
            rows = mask.to(self.device)[:, None]
            self._terminated &= ~rows
            self._truncated &= ~rows
        flags = torch.zeros((self.num_envs, 1), dtype=torch.bool, device=self.device)
        return self._output(obs, None, flags, flags.clone(), info, reset=True)

    def _step(self, tensordict: TensorDictBase) -> TensorDictBase:
        step = tensordict.get("_step", None)  # TorchRL's partial steps (rollout until all done)
        if step is not None:
            running = ~(self._terminated | self._truncated).reshape(self.num_envs)
            if bool((running & ~step.reshape(self.num_envs).to(self.device)).any()):
                raise ValueError(
                    "a partial step may skip finished envs only: the batched env steps every "
                    "running env"
                )
        action = tensordict.get(("agents", "action"))
        if self.discrete:
            if not self.categorical_actions:
                action = action.to(torch.int64).argmax(-1)
            action = action.to(torch.int64)
        else:
            action = action.to(torch.float32)
        obs, reward, terminated, truncated, info = self._env.step(action)
        # the batched env reports an episode's end once; an env stepped again before its reset
        # stays done (zero reward, as the batched env ignores it), as TorchRL expects
        self._terminated |= terminated.reshape(self.num_envs, 1).to(self.device, torch.bool)
        self._truncated |= truncated.reshape(self.num_envs, 1).to(self.device, torch.bool)
        return self._output(
            obs, reward, self._terminated.clone(), self._truncated.clone(), info, reset=False
        )

    def _info(self, info: dict[str, torch.Tensor], keys: dict[str, Any], lead, reset: bool):
        """The entries ``keys`` of ``info`` in their spec's dtype; zeros for the episode
        summaries after a reset (and for any key the env did not return)."""
        out = {}
        for key, (dtype, trailing) in keys.items():
            value = None if reset and key.startswith("episode_") else info.get(key)
            shape = (*lead, *trailing)
            if value is None:
                out[key] = torch.zeros(shape, dtype=dtype, device=self.device)
            else:
                out[key] = value.to(device=self.device, dtype=dtype).reshape(shape)
        return out

    def _output(self, obs, reward, terminated, truncated, info, *, reset: bool) -> TensorDict:
        num_envs, n = self.num_envs, self.n_agents
        lead = (num_envs, n)
        agents = {
            "observation": obs.to(device=self.device, dtype=torch.float32),
            "info": TensorDict(
                self._info(info, self._agent_info, lead, reset), batch_size=lead, device=self.device
            ),
        }
        if reward is not None:
            agents["reward"] = reward.to(device=self.device, dtype=torch.float32).reshape(*lead, 1)
        if self.discrete:
            mask = self._env.action_mask().to(device=self.device, dtype=torch.bool)
            agents["action_mask"] = mask
            self.full_action_spec["agents", "action"].update_mask(mask.clone())
        return TensorDict(
            {
                "agents": TensorDict(agents, batch_size=lead, device=self.device),
                "state": self._env.state().to(device=self.device, dtype=torch.float32),
                "info": TensorDict(
                    self._info(info, self._env_info, (num_envs,), reset),
                    batch_size=(num_envs,),
                    device=self.device,
                ),
                "done": terminated | truncated,
                "terminated": terminated,
                "truncated": truncated,
            },
            batch_size=(num_envs,),
            device=self.device,
        )

    def to(self, device) -> TorchRLVecEnv:
        """``self`` on its own device; the batched env cannot move (build it on the device)."""
        target = torch.device(device)
        same = target.type == self.device.type and target.index in (None, self.device.index)
        if not same:
            raise ValueError(
                f"{type(self).__name__} lives on {self.device}; build the batched env on "
                f"{device} instead (make_torchrl_env(..., device={str(device)!r}))"
            )
        return self

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(env={self._env.name!r}, num_envs={self.num_envs}, "
            f"n_agents={self.n_agents}, device={self.device})"
        )


def make_torchrl_env(
    name: str = "auction_v0",
    *,
    num_envs: int = 64,
    device: str | torch.device = "cpu",
    seed: int | None = None,
    categorical_actions: bool = True,
    **config: Any,
) -> TorchRLVecEnv:
    """The batched env ``name`` (``"auction_v0"`` or ``"debate_v0"``) as a TorchRL env.

    ``config`` holds the game's config fields (``AuctionConfig`` / ``DebateConfig``), e.g.
    ``n_agents=3, action_type="discrete"``; ``seed`` seeds the batched env's generator.
    """
    env = vector.make(name, num_envs=num_envs, device=device, seed=seed, **config)
    return TorchRLVecEnv(env, categorical_actions=categorical_actions)
