"""debate_v1: debate_v0 with one expert among herding executors by default, where a belief that
depends on the seat and the state beats every constant belief (measured on the batched twin)."""

import pickle
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import econ_env
from econ_env import debate_v0, debate_v1
from econ_env.envs.debate.reward import DebateReward
from econ_env.envs.validation import version_kwargs
from econ_env.llm.simulated import SimulatedBackend
from econ_env.regimes import regime_config

torch.set_num_threads(1)
sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benchmarks"))


def test_v1_is_v0_with_the_expert_herding_regime(episode):
    v1 = debate_v1.parallel_env()
    cfg = v1.unwrapped.config
    assert v1.metadata["name"] == "debate_v1" and v1.unwrapped.env_spec.env == "debate_v1"
    assert (cfg.team, cfg.max_rounds, cfg.early_stop, cfg.alpha_ts) == ("one_expert", 3, False, 1)
    assert debate_v1.env_spec() == v1.unwrapped.env_spec
    v0 = debate_v0.parallel_env(**regime_config("debate_v0", "expert_herding"))
    for seed in (0, 1, 2):
        assert episode(v1, seed) == episode(v0, seed)
    # and debate_v0's defaults are one set of keywords away
    back = debate_v1.parallel_env(**{**debate_v1.V0_CONFIG, "embedder": "hashed"})
    assert episode(back, 3) == episode(debate_v0.parallel_env(embedder="hashed"), 3)


def test_v1_factories_pickle_and_keep_the_version():
    env = debate_v1.parallel_env(budget=4096)
    copy = pickle.loads(pickle.dumps(env))
    assert type(copy) is type(env) and copy.unwrapped.config.team == "one_expert"
    assert copy.unwrapped.config.budget == 4096
    assert econ_env.registry.env_name_of(debate_v1.env()) == "debate_v1"
    assert econ_env.make_policy("neutral", debate_v1.env_spec()).act is not None


def test_v1_batched_twin_has_the_same_defaults():
    vec = econ_env.make_vector("debate_v1", num_envs=8, seed=0)
    assert vec.config.team == "one_expert" and vec.spec.env == "debate_v1"
    assert vec.params.follow_temperature == 5.0 and vec.params.influence == 0.9
    assert vec.spec.observation_space == debate_v1.env_spec().observation_space


def test_default_backend_kwargs_go_with_the_default_backend():
    """Another backend does not get the simulator's herding parameters; a reward object
    replaces the default weights; anything the caller sets wins."""
    d = debate_v1.DEFAULTS
    assert "backend_kwargs" not in version_kwargs(d, {"backend": "openai:http://x"})
    assert "backend_kwargs" not in version_kwargs(d, {"backend": SimulatedBackend()})
    assert version_kwargs(d, {"backend": "simulated:7"})["backend_kwargs"] == d["backend_kwargs"]
    assert version_kwargs(d, {"backend_kwargs": {}})["backend_kwargs"] == {}
    mine = DebateReward(al=0.5, ts=0.5, cc=0.0, cost=0.0)
    kw = version_kwargs(d, {"reward": mine})
    assert not {"alpha_al", "alpha_ts", "alpha_cc", "cost_weight"} & set(kw)
    env = debate_v1.parallel_env(backend=SimulatedBackend(seed=1), reward=mine)
    assert env.unwrapped.config.reward_fn is mine and env.unwrapped.config.backend_kwargs == {}
    env.reset(seed=0)
    assert version_kwargs({}, {"budget": 5}) == {"budget": 5}
    kw = version_kwargs(d, {})
    kw["backend_kwargs"]["influence"] = 0.0  # a copy: the version's defaults stay as they are
    assert d["backend_kwargs"]["influence"] == 0.9


def test_bad_keyword_names_the_field_and_the_allowed_keys():
    with pytest.raises(ValueError, match=r"unknown config key\(s\) \['nope'\].*allowed keys"):
        debate_v1.parallel_env(nope=1)
    with pytest.raises(ValueError, match="max_rounds"):
        debate_v1.parallel_env(max_rounds=0)


def _margin(name: str) -> tuple[float, float, str]:
    """(best state rule − best constant/fixed belief, its standard error, best fixed name) on
    the batched twin of env ``name`` at its defaults (all rounds played, answer similarity)."""
    import econ_regimes as er

    env = econ_env.make_vector(name, num_envs=2048, seed=0, max_rounds=3, early_stop=False,
                               embedder="answer")  # fmt: skip
    env.autoreset = False
    fixed = {k: er.play(env, p, 5).numpy() for k, p in er.fixed_policies().items()}
    best = max(fixed, key=lambda k: fixed[k].mean())
    # novices stay cold; the expert (last seat) is hot while it disagrees with the commitment
    rule = er.play(env, er.follow_rule((-1.0, -1.0, 0.0), (-1.0, -1.0, 1.0), 1.0), 5).numpy()
    diff = rule - fixed[best]  # the same episodes: a paired difference
    return float(diff.mean()), float(diff.std(ddof=1) / np.sqrt(len(diff))), best


def test_at_v1_defaults_a_seat_and_state_rule_beats_every_fixed_belief():
    gap, se, best = _margin("debate_v1")
    print(f"debate_v1: rule - {best} = {gap:+.3f} ± {1.96 * se:.3f}")
    assert gap > 0.2 and gap > 4 * se


def test_the_same_rule_gains_nothing_at_v0_defaults():
    """The reason for v1: with equal executors who do not herd, the rule is no better."""
    gap, se, best = _margin("debate_v0")
    print(f"debate_v0: rule - {best} = {gap:+.3f} ± {1.96 * se:.3f}")
    assert gap < 0.05


def test_v1_on_a_real_model_keeps_its_defaults_but_not_the_simulator_parameters():
    """SmolLM2-135M through transformers: the herding parameters are not passed to it, the rest
    of v1's defaults (one expert's seat, TS-only reward, three rounds) apply."""
    env = debate_v1.parallel_env(backend="hf:smollm2", max_answer_tokens=8, commitment_cap=8)
    cfg = env.unwrapped.config
    assert cfg.backend_kwargs == {} and (cfg.alpha_ts, cfg.max_rounds) == (1.0, 3)
    obs, _ = env.reset(seed=0)
    policy = econ_env.make_policy("neutral", env.unwrapped.env_spec, 0)
    obs, rewards, *_ = env.step({a: policy.act(obs[a], a) for a in env.agents})
    assert all(env.observation_space(a).contains(o) for a, o in obs.items())
    assert all(np.isfinite(r) for r in rewards.values())
