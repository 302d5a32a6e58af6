"""The ECON reference agent for debate_v0: belief networks, belief encoder and QMIX mixer.

- :mod:`econ_env_agents.econ.networks` — :class:`BeliefNetwork` (MLP → GRU over rounds → Q,
  belief-state and generation-parameter heads; agent-id embedding) and :class:`BeliefEncoder`
  (multi-head   attention across agents → group representation E);
- :mod:`econ_env_agents.econ.mixer` — :class:`QMixer`, monotonic hypernetwork mixing conditioned
  on E;
- :mod:`econ_env_agents.econ.replay` — whole-episode sequence replay;
- :mod:`econ_env_agents.econ.agent` — :class:`EconAgent` (greedy ``act``, safetensors save/load);
- :mod:`econ_env_agents.econ.learner` — :class:`EconLearner` (losses, double-Q targets, soft
  updates, dynamic reward weights) and :func:`train_econ`;
- :mod:`econ_env_agents.econ.rollout` — ε-greedy episode collection and fixed-seed :func:`evaluate`
  (per episode: :func:`evaluate_episodes`; on the batched twin: :func:`evaluate_vector`).

Quick start::

    from econ_env import debate_v0
    from econ_env_agents.econ import ECON_ENV_CONFIG, EconConfig, evaluate, train_econ

    make = lambda: debate_v0.parallel_env(**ECON_ENV_CONFIG)
    agent, history = train_econ(make, EconConfig(seed=0, device="auto"), episodes=400)
    print(evaluate(agent, make, seeds=range(10_000, 10_200)))
"""

from econ_env_agents.econ.agent import EconAgent
from econ_env_agents.econ.config import EconConfig, belief_prototypes
from econ_env_agents.econ.learner import EconLearner, train_econ
from econ_env_agents.econ.mixer import QMixer
from econ_env_agents.econ.networks import BeliefEncoder, BeliefNetwork
from econ_env_agents.econ.replay import Episode, EpisodeReplay
from econ_env_agents.econ.rollout import (
    collect_episode,
    evaluate,
    evaluate_episodes,
    evaluate_vector,
)
from econ_env_agents.econ.spec import EconEnvSpec, EnvSpec

ECON_ENV_CONFIG: dict = {
    "n_agents": 3,
    "max_rounds": 3,
    "early_stop": False,
    "embedder": "hashed",
    "cost_weight": 3.0,
    "backend_kwargs": {"temperature_effect": 3.0, "repetition_shortening": 1.5},
}
"""The debate_v0 setting the ECON agent is tested and demonstrated on (why beliefs matter there:
temperatures above the simulator's ``t_ref = 0.7`` cost accuracy three times faster than by
default, a repetition penalty shortens answers — fewer billed tokens and fewer answers cut at
``max_answer_tokens`` — and tokens weigh 3× in the reward; every episode plays all 3 rounds so
team returns compare like with like). Fixed beliefs span team returns of about 2.6 to 5.1 here."""

ECON_REGIME_SETTINGS: dict = {
    "hidden_dim": 32,
    "belief_state_dim": 8,
    "belief_levels": (-1.0, 1.0),
    "batch_episodes": 32,
    "eps_decay_episodes": 500,
    "w_team_td": 0.0,
    "w_agent_td": 1.0,
    "w_similarity": 0.0,
    "w_consistency": 0.0,
    "w_params": 0.0,
}
"""EconConfig fields with which the learner beats every fixed belief on the debate_v0 regime
``expert_herding`` (:mod:`econ_env.regimes`; ``benchmarks/econ_reference.py``,
``tests/agents/test_econ_regime.py``): a smaller network, the 2 × 2 prototype grid
(temperature and repetition penalty at ±1) and per-executor TD on each executor's own reward
only — the QMIX team loss and the auxiliary losses off. On that regime the executors' own
rewards point the same way as the team's, and the team TD through the mixer only adds noise at
this data size (~1200 episodes)."""

__all__ = [
    "ECON_ENV_CONFIG",
    "ECON_REGIME_SETTINGS",
    "BeliefEncoder",
    "BeliefNetwork",
    "EconAgent",
    "EconConfig",
    "EconEnvSpec",
    "EconLearner",
    "EnvSpec",
    "Episode",
    "EpisodeReplay",
    "QMixer",
    "belief_prototypes",
    "collect_episode",
    "evaluate",
    "evaluate_episodes",
    "evaluate_vector",
    "train_econ",
]
