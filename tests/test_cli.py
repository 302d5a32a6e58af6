"""The econ-env command line: demo table, eval, render and clear errors."""

import pytest

from econ_env.cli import main


def test_demo_prints_a_table_for_every_policy(capsys):
    assert main(["demo", "--episodes", "5", "--no-progress"]) == 0
    out = capsys.readouterr().out
    for needle in (
        "accuracy",
        "billed tok",
        "generated tok",
        "silent",
        "random",
        "truthful",
        "always",
        "round_robin",
    ):
        assert needle in out


def test_eval_with_overrides_and_render(capsys):
    assert (
        main(
            [
                "eval",
                "--policy",
                "truthful",
                "--episodes",
                "3",
                "--no-progress",
                "-c",
                "mechanism=vcg",
                "-c",
                "n_agents=4",
                "-c",
                "top_k=2",
            ]
        )
        == 0
    )
    assert "mechanism=vcg" in capsys.readouterr().out
    assert main(["render", "--seed", "2"]) == 0
    assert "round 1" in capsys.readouterr().out


def test_bad_override_names_the_field():
    with pytest.raises(SystemExit, match="budget"):
        main(["eval", "--policy", "silent", "-c", "budget=-1"])
    with pytest.raises(SystemExit, match="unknown policy"):
        main(["eval", "--policy", "nonsense"])


def test_run_debate_prints_transcript_and_summary(capsys):
    assert (
        main(
            [
                "run",
                "debate_v0",
                "--episodes",
                "3",
                "--render",
                "-c",
                "embedder=hashed",
                "-c",
                "groups=2",
                "-c",
                "n_agents=4",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    for needle in (
        "strategy",
        "commitment:",
        "end:",
        "accuracy",
        "stop reasons",
        "tokens per role",
        "strategy",
        "answer",
        "mean reward components",
    ):
        assert needle in out


def test_run_rejects_unknown_env_and_policy():
    with pytest.raises(SystemExit, match="unknown environment"):
        main(["run", "chess_v0"])
    with pytest.raises(SystemExit, match="neutral"):
        main(["run", "debate_v0", "--policy", "always", "-c", "embedder=hashed"])


def test_envs_lists_every_registry_env_with_what_it_is(capsys):
    import econ_env

    assert main(["envs"]) == 0
    out = capsys.readouterr().out
    for name in econ_env.list_envs():
        info = econ_env.env_info(name)
        line = next(li for li in out.splitlines() if li.startswith(f"{name}: "))
        assert len(line) > len(name) + 10  # says what the env is
        assert info.pettingzoo_id in out and info.gymnasium_id in out
        for policy in econ_env.list_policies(name):
            assert policy in out
        assert f"default {info.default_policy}" in out


def test_an_unknown_policy_lists_the_registered_names():
    import econ_env

    with pytest.raises(SystemExit) as err:
        main(["render", "--policy", "nonsense"])
    for name in econ_env.list_policies("auction_v0"):
        assert name in str(err.value)


class SpecOnlyPolicy:
    """A ``module:Class`` policy accepting nothing but the env's public spec."""

    def __init__(self, spec, seed=0):
        import econ_env

        assert isinstance(spec, econ_env.EnvSpec), f"built from a {type(spec).__name__}"
        self.inner = econ_env.make_policy(econ_env.env_info(spec.env).default_policy, spec, seed)

    def act(self, obs, agent):
        return self.inner.act(obs, agent)


def test_a_module_class_policy_is_built_from_the_spec(capsys, tmp_path):
    name = f"{__name__}:SpecOnlyPolicy"
    assert main(["eval", "--policy", name, "--episodes", "2", "--no-progress"]) == 0
    assert name in capsys.readouterr().out
    argv = ["run", "debate_v0", "--policy", name, "--episodes", "1", "-c", "embedder=hashed"]
    assert main(argv) == 0
    assert "accuracy" in capsys.readouterr().out
    out = tmp_path / "sub"
    assert main(["bench", "run", "--policy", name, "--out", str(out), "--limit", "1",
                 "--no-progress"]) == 0  # fmt: skip
    assert main(["bench", "verify", str(out)]) == 0
    assert "verified" in capsys.readouterr().out
