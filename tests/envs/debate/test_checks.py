"""The shipped checks pass on debate_v0 for both action types and groups=1 and 2."""

import pytest

import econ_env
from econ_env.testing import run_all_checks


@pytest.mark.parametrize("groups", [1, 2])
@pytest.mark.parametrize("action_type", ["continuous", "discrete"])
def test_shipped_checks(action_type: str, groups: int) -> None:
    run_all_checks(
        econ_env.debate_v0, action_type=action_type, groups=groups, n_agents=4, embedder="hashed"
    )


def test_shipped_checks_with_the_real_embedding_model() -> None:
    run_all_checks(econ_env.debate_v0, embedder="minilm", n_agents=2, num_cycles=6)


def test_shipped_checks_by_registry_name() -> None:
    run_all_checks("debate_v0", n_agents=2, embedder="hashed", num_cycles=6)
