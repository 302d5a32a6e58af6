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
