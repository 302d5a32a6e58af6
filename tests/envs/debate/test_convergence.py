"""The stop rules as a pure function, each case constructed directly."""

import numpy as np
import pytest

from econ_env.envs.debate.convergence import belief_change, stop_reason

B0 = np.zeros((3, 4))
B1 = np.full((3, 4), 0.5)


@pytest.mark.parametrize(
    ("commitments", "beliefs", "expected"),
    [
        (["7"], [B0], None),
        (["7", "7"], [B0, B1], "converged"),
        ([None, None], [B0, B1], None),  # no answer is not a repeated answer
        (["1", "2"], [B0, B0 + 0.001], "belief_converged"),
        (["1", "2", "1"], [B0, B1, B0], "oscillation"),
        (["1", "2", "2"], [B0, B1, B0], "converged"),  # converged is checked first
        (["1", "2", "3", "4"], [B0, B1, B0, B1], "max_rounds"),
        (["1", "2", "3"], [B0, B1, B0], None),
    ],
)
def test_stop_reason(commitments, beliefs, expected):
    assert stop_reason(commitments, beliefs, epsilon=0.05, max_rounds=4) == expected


def test_epsilon_zero_disables_belief_rule():
    assert stop_reason(["1", "2"], [B0, B0], epsilon=0.0, max_rounds=9) is None


def test_belief_change_is_frobenius():
    assert belief_change(None, B0) == float("inf")
    assert belief_change(B0, B1) == pytest.approx(np.sqrt(12 * 0.25))
