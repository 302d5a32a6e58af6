"""Playing debate_v0 with the ECON agent: ε-greedy episodes for the replay, greedy evaluation.

:func:`collect_episode` plays one episode through the parallel API and records everything the
learner's losses need into an :class:`~econ_env_agents.econ.replay.Episode`: observations and
global state, prototype indices, the env's rewards and their reported components, the generation
parameters the env applied (``infos[agent]["temperature"]``, ``["top_p"]``,
``["repetition_penalty"]``) and the commitment's sentence embedding. The observation carries only
the scalar similarity of the own answer to the commitment, not an embedding, so the commitment
text (``env.unwrapped.text_info(agent)["commitment"]``) is embedded with the env's
own embedder (for MiniLM this hits the embedder's per-text cache: the env embedded the same
text). A round refused for budget has no new commitment: it is recorded with reward 0, no
components and ``settled = 0``.

:func:`evaluate` plays greedy episodes on fixed seeds and reports the mean team return, the
accuracy of the final commitment and the billed / generated tokens per episode;
:func:`evaluate_episodes` gives the same numbers per episode (for confidence intervals);
:func:`evaluate_vector` plays the greedy executors on the batched twin of the game
(:mod:`econ_env.vector`, thousands of episodes at once) and returns each episode's team return.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from econ_env_agents.econ.agent import EconAgent
from econ_env_agents.econ.replay import Episode
from econ_env_agents.econ.spec import as_parallel, global_state, observation_vector

__all__ = ["collect_episode", "evaluate", "evaluate_episodes", "evaluate_vector"]


def _obs_matrix(agent: EconAgent, obs: dict[str, Any]) -> np.ndarray:
    return np.stack([observation_vector(obs[a]) for a in agent.spec.agents])


def collect_episode(
    agent: EconAgent,
    env: Any,
    epsilon: float,
    rng: np.random.Generator,
    seed: int | None = None,
) -> Episode | None:
    """Play one episode with ε-greedy beliefs; ``None`` when it ended before any round (the
    strategy alone overdrew the budget)."""
    spec = agent.spec
    env = as_parallel(env)
    n, k = spec.n_agents, spec.n_actions
    obs, infos = env.reset(seed=seed)
    ep = Episode.empty(spec.max_rounds, n, spec.obs_dim, spec.state_dim, spec.emb_dim)
    embedder = env.unwrapped.embedder
    hidden = agent.belief_net.initial_hidden(n, agent.device)
    if not env.agents or infos.get(spec.agents[0], {}).get("game_over", False):
        return None  # the episode ended at reset: nothing to learn from
    rounds = {a: infos.get(a, {}).get("round", 0) for a in spec.agents}
    t = 0
    while env.agents:
        if t >= spec.max_rounds:
            raise RuntimeError(f"episode ran past max_rounds={spec.max_rounds}")
        om = _obs_matrix(agent, obs)
        ep.obs[t], ep.state[t] = om, global_state(spec, env, om)
        q, hidden = agent.q_values(om, hidden)
        actions = q.argmax(axis=1)
        explore = rng.random(n) < epsilon
        actions[explore] = rng.integers(0, k, size=int(explore.sum()))
        ep.actions[t] = actions
        obs, rewards, _, _, infos = env.step(
            {a: agent.env_action(actions[i]) for i, a in enumerate(spec.agents)}
        )
        settled = False
        for i, a in enumerate(spec.agents):
            info = infos[a]
            ep.rewards[t, i] = rewards[a]
            if info.get("round", 0) > rounds[a]:
                settled = True
                ep.components[t, i] = (
                    info["reward_ts"],
                    info["reward_al"],
                    info["reward_cc"],
                    info["reward_cost"],
                )
                ep.params[t, i] = spec.normalise_params(info)
            rounds[a] = info.get("round", 0)
        if settled:
            ep.settled[t] = 1.0
            commitment = env.unwrapped.text_info(spec.agents[0])["commitment"]
            ep.commitment[t] = embedder.embed([commitment])[0]
        t += 1
    if t == 0:
        return None
    if obs:  # the observations after the last round (the bootstrap target is masked anyway)
        om = _obs_matrix(agent, obs)
        ep.obs[t], ep.state[t] = om, global_state(spec, env, om)
    final = infos[spec.agents[0]]
    ep.length = t
    ep.correct = bool(final.get("correct", False))
    ep.billed_tokens = int(final.get("billed_tokens", 0))
    return ep


def evaluate_episodes(agent: Any, env_fn: Callable[[], Any], seeds: Sequence[int]) -> np.ndarray:
    """Greedy play on ``seeds`` (one episode each): a ``(len(seeds), 4)`` float64 array of each
    episode's team return (the sum over executors of their rewards), whether the final answer
    is correct, billed and generated tokens (what :func:`evaluate` averages; per episode for
    confidence intervals).

    ``agent`` is anything with ``act({agent: obs}) -> {agent: action}`` (an :class:`EconAgent`)
    or ``act(obs, agent)`` (a baseline policy).
    """
    if not seeds:
        raise ValueError("seeds must name at least one evaluation episode")
    env = as_parallel(env_fn())
    rows = np.zeros((len(seeds), 4), dtype=np.float64)
    for j, s in enumerate(seeds):
        if hasattr(agent, "reset"):
            agent.reset()
        obs, infos = env.reset(seed=int(s))
        ret = 0.0
        while env.agents and not next(iter(infos.values()), {}).get("game_over", False):
            if isinstance(agent, EconAgent):
                actions = agent.act(obs)
            else:
                actions = {a: agent.act(obs[a], a) for a in env.agents}
            obs, rewards, _, _, infos = env.step(actions)
            ret += float(sum(rewards.values()))
        final = next(iter(infos.values()))
        rows[j] = (
            ret,
            float(final.get("correct", False)),
            final.get("billed_tokens", 0),
            final.get("generated_tokens", 0),
        )
    env.close()
    return rows


def evaluate(agent: Any, env_fn: Callable[[], Any], seeds: Sequence[int]) -> dict[str, float]:
    """Greedy play on ``seeds`` (one episode each): mean team return, accuracy of the final
    answer, billed and generated tokens per episode.

    ``agent`` is anything with ``act({agent: obs}) -> {agent: action}`` (an :class:`EconAgent`)
    or ``act(obs, agent)`` (a baseline policy).
    """
    rows = evaluate_episodes(agent, env_fn, seeds)
    ret, correct, billed, generated = (float(v) for v in rows.sum(axis=0))
    m = float(len(seeds))
    return {
        "team_return": ret / m,
        "accuracy": correct / m,
        "billed_tokens": billed / m,
        "generated_tokens": generated / m,
        "episodes": m,
    }


def evaluate_vector(agent: EconAgent, vec_env: Any, seed: int) -> np.ndarray:
    """Greedy play of one episode in every row of a batched debate (``econ_env.vector.debate``
    with the config the agent was trained on), reset with ``seed``: each row's team return
    (the sum over executors of their rewards), ``(num_envs,)`` float64.

    Each executor runs its belief network on its own observation and GRU history, exactly as
    :meth:`EconAgent.act` does in the text env. The env's automatic reset is switched off for
    the call (and restored).
    """
    import torch

    spec = agent.spec
    if vec_env.n_agents != spec.n_agents or vec_env.obs_dim != spec.obs_dim:
        raise ValueError(
            f"vec_env plays {vec_env.n_agents} agents with obs_dim {vec_env.obs_dim}; the agent "
            f"was built for {spec.n_agents} agents with obs_dim {spec.obs_dim}"
        )
    b, n = vec_env.num_envs, spec.n_agents
    autoreset, vec_env.autoreset = vec_env.autoreset, False
    try:
        obs, _ = vec_env.reset(seed=int(seed))
        ids = torch.arange(n, device=agent.device).repeat(b)
        hidden = agent.belief_net.initial_hidden(b * n, agent.device)
        protos = torch.as_tensor(agent.prototypes, device=agent.device)
        total = torch.zeros(b, dtype=torch.float64)
        while not bool(vec_env.done.all()):
            x = torch.as_tensor(obs, dtype=torch.float32).reshape(b * n, -1).to(agent.device)
            with torch.no_grad():
                out = agent.belief_net(x, ids, hidden)
            hidden = out.hidden
            index = out.q.argmax(-1).view(b, n)
            actions = index if spec.discrete else protos[index]
            obs, reward, _, _, _ = vec_env.step(actions.to(vec_env.device))
            total += reward.sum(1).double().cpu()
    finally:
        vec_env.autoreset = autoreset
    return total.numpy()
