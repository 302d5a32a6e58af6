"""The shipped checks pass on every mechanism and both action types (and the golden files)."""

import pytest

import econ_env
from econ_env.envs.auction.mechanism import MECHANISMS
from econ_env.testing import run_all_checks


def _config(mechanism: str, action_type: str) -> dict:
    cfg = {"mechanism": mechanism, "action_type": action_type}
    if mechanism in ("top_k", "vcg", "first_price", "softmax"):
        cfg.update(n_agents=4, top_k=2)
    if mechanism == "vcg":
        cfg["round_cap"] = 300
    return cfg


@pytest.mark.parametrize("action_type", ["continuous", "discrete"])
@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_shipped_checks(mechanism: str, action_type: str) -> None:
    run_all_checks(econ_env.auction_v0, **_config(mechanism, action_type))


def test_shipped_checks_with_beliefs_and_individual_rewards() -> None:
    run_all_checks(
        econ_env.auction_v0, belief_dim=3, reward_mode="individual", task="mmlu", n_agents=2
    )


def test_shipped_checks_by_registry_name() -> None:
    """A registry name works as well as the shim module (full-length config from the registry)."""
    run_all_checks("auction_v0", n_agents=2, action_type="discrete")


def test_an_unknown_registry_name_lists_the_envs() -> None:
    with pytest.raises(ValueError, match=r"unknown environment 'chess_v0'.*auction_v0"):
        run_all_checks("chess_v0")
