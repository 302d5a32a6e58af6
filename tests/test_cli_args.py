"""Flags from a dataclass (econ_env.cli_args), as the example scripts use them."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from econ_env.cli_args import field_docs, parse_dataclass_args


@dataclass(frozen=True)
class Opts:
    episodes: int = 10
    """episodes to play"""
    lr: float = 1e-3
    """learning rate"""
    device: str = "auto"
    progress: bool = True
    """show progress bars"""
    maskable: bool = False

    def __post_init__(self) -> None:
        if self.episodes < 1:
            raise ValueError(f"episodes must be >= 1, got {self.episodes}")


def test_field_docs_are_the_lines_under_the_fields():
    assert field_docs(Opts) == {
        "episodes": "episodes to play",
        "lr": "learning rate",
        "progress": "show progress bars",
    }


def test_defaults_and_typed_values():
    assert parse_dataclass_args(Opts, []) == Opts()
    got = parse_dataclass_args(Opts, ["--episodes", "3", "--lr", "0.5", "--device", "cpu"])
    assert got == Opts(episodes=3, lr=0.5, device="cpu")


@pytest.mark.parametrize(
    ("argv", "maskable", "progress"),
    [
        (["--maskable"], True, True),
        (["--maskable", "true"], True, True),
        (["--maskable", "0"], False, True),
        (["--no-progress"], False, False),
        (["--progress", "false"], False, False),
        (["--maskable", "--no-progress"], True, False),
    ],
)
def test_bool_fields_take_every_spelling(argv, maskable, progress):
    got = parse_dataclass_args(Opts, argv)
    assert (got.maskable, got.progress) == (maskable, progress)


def test_bad_values_exit_and_validation_errors_propagate(capsys):
    with pytest.raises(SystemExit):
        parse_dataclass_args(Opts, ["--episodes", "many"])
    with pytest.raises(SystemExit):
        parse_dataclass_args(Opts, ["--maskable", "maybe"])
    assert "expected true or false" in capsys.readouterr().err
    with pytest.raises(ValueError, match="episodes must be >= 1"):
        parse_dataclass_args(Opts, ["--episodes", "0"])


def test_a_field_type_without_a_flag_form_is_refused():
    @dataclass
    class Bad:
        sizes: tuple = (1, 2)

    with pytest.raises(TypeError, match=r"Bad\.sizes"):
        parse_dataclass_args(Bad, [])


def test_key_values_are_literals_when_they_parse():
    from econ_env.cli_args import parse_key_values

    got = parse_key_values(["n_agents=4", "mechanism=vcg", "top_k=(1, 2)", "flag=True"])
    assert got == {"n_agents": 4, "mechanism": "vcg", "top_k": (1, 2), "flag": True}
    for bad in ("novalue", "=3"):
        with pytest.raises(ValueError, match=r"--backend-arg .* must look like KEY=VALUE"):
            parse_key_values([bad], "--backend-arg")
