"""Every golden transcript (both games) replays exactly; a changed view fails with its path."""

import json

import pytest

from econ_env.testing import GOLDEN_CASES, check_golden
from econ_env.testing.golden import GOLDEN_DIR, _diff


@pytest.mark.parametrize("case", sorted(GOLDEN_CASES))
def test_golden_transcripts(case: str) -> None:
    check_golden(case)


def test_a_changed_view_is_reported_with_its_path(tmp_path, monkeypatch):
    case = "auction_default"
    views = json.loads((GOLDEN_DIR / f"{case}.json").read_text())
    views[1]["reward"] += 0.5
    (tmp_path / f"{case}.json").write_text(json.dumps(views))
    monkeypatch.setattr("econ_env.testing.golden.GOLDEN_DIR", tmp_path)
    with pytest.raises(AssertionError, match=r"auction_default\[1\]\.reward"):
        check_golden(case)
    assert _diff({"a": [1.0]}, {"a": [1.0 + 1e-9]}) is None


def test_golden_cases_name_registry_envs():
    import econ_env

    for env_name, config, _ in GOLDEN_CASES.values():
        assert env_name in econ_env.list_envs()
        econ_env.env_spec(env_name, **config)  # a valid config of that env
