"""Every consumer plays its AEC episodes through econ_env.core.rollout.play_episode: the CLI,
the benchmark runner and verifier, run_episodes / evaluate and the shipped checks.

Each test wraps ``play_episode`` where the consumer looks it up with a counting spy and checks
that the consumer's episodes all went through it (a hand-written ``agent_iter`` loop would leave
the count at zero)."""

from __future__ import annotations

import pytest

import econ_env
from econ_env.core import rollout


@pytest.fixture
def spy(monkeypatch):
    """``spy(module)`` replaces ``module.play_episode`` with a counting wrapper; returns the list
    of the envs it was called with."""
    real = rollout.play_episode

    def install(module):
        calls = []

        def counting(env, act, **kwargs):
            calls.append(env)
            return real(env, act, **kwargs)

        monkeypatch.setattr(module, "play_episode", counting)
        return calls

    return install


def test_the_runner_and_the_verifier_play_through_it(spy, tmp_path):
    from econ_env.bench.runner import run_suite
    from econ_env.bench.suites import get_suite
    from econ_env.bench.verify import verify_submission

    calls = spy(rollout)
    run_suite("econ-bench-v0/dev", "truthful", tmp_path, limit=1, progress=False)
    episodes = len(get_suite("econ-bench-v0/dev").episodes(1))
    assert len(calls) == episodes
    assert verify_submission(tmp_path).ok
    # every replay too, and (a run named after a bench baseline) the baseline's own re-play
    assert len(calls) == 3 * episodes


def test_run_episodes_and_evaluate_play_through_it(spy):
    from econ_env.bench import summary
    from econ_env.bench.evaluate import evaluate

    calls = spy(summary)
    env = econ_env.make("auction_v0")
    policy = econ_env.make_policy("truthful", env.unwrapped.env_spec)
    out = summary.run_episodes(env, policy, policy_name="truthful", episodes=3)
    assert out.episodes == 3 and calls == [env] * 3
    evaluate(
        lambda: econ_env.make("auction_v0"),
        lambda spec, seed: econ_env.make_policy("silent", spec, seed),
        name="silent",
        episodes=2,
        progress=False,
    )
    assert len(calls) == 5


def test_the_checks_play_through_it(spy):
    from econ_env.testing import checks

    calls = spy(checks)
    views = checks.play(econ_env.make("auction_v0"), seed=1)
    assert len(calls) == 1 and (views[-1]["terminated"] or views[-1]["truncated"])
    checks.check_no_leak("auction_v0", seeds=(0, 1), n_agents=2)
    assert len(calls) == 3


def test_the_cli_renders_through_it(spy, capsys):
    from econ_env import cli

    calls = spy(cli)
    assert cli.main(["render", "--seed", "1"]) == 0
    assert len(calls) == 1 and "round 1" in capsys.readouterr().out


def test_run_episodes_asks_the_policy_for_every_live_turn_only():
    from econ_env.bench.summary import run_episodes

    env = econ_env.make("auction_v0", n_agents=2, max_rounds=1, stop_on_consensus=False)
    seen = []

    class Recorder:
        def act(self, obs, agent):
            seen.append(agent)
            return econ_env.make_policy("silent", env.unwrapped.env_spec).act(obs, agent)

    out = run_episodes(env, Recorder(), policy_name="rec", episodes=2)
    assert seen == ["bidder_0", "bidder_1"] * 2
    assert out.rounds == 2 and out.stop_reasons == {"max_rounds": 2}
