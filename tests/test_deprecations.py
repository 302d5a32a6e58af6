"""Public names that moved keep a deprecation shim for one release: importing the old path
warns and gives the same objects."""

import importlib
import sys

import pytest


@pytest.mark.parametrize(
    ("old", "new", "names"),
    [
        ("econ_env.registration", "econ_env.registry", ["register_envs"]),
        ("econ_env.envs.single_agent", "econ_env.single_agent", ["SingleAgentEnv", "single_agent"]),
        (
            "econ_env.envs.debate.coordinator",
            "econ_env.envs.debate.prompts",
            ["COORDINATOR", "executor_messages", "PROMPT_VERSION"],
        ),
        ("econ_env_baselines.bench", "econ_env.bench.baselines", ["BENCH_BASELINES", "resolve"]),
    ],
)
def test_old_module_paths_warn_and_re_export(old, new, names):
    sys.modules.pop(old, None)
    with pytest.warns(DeprecationWarning, match=new.replace(".", r"\.")):
        module = importlib.import_module(old)
    target = importlib.import_module(new)
    for name in names:
        assert getattr(module, name) is getattr(target, name)


def test_registration_ids_are_derived_from_the_registry():
    sys.modules.pop("econ_env.registration", None)
    with pytest.warns(DeprecationWarning):
        reg = importlib.import_module("econ_env.registration")
    assert reg.ENV_IDS == {"econ_env/auction-v0": "econ_env.auction_v0",
                           "econ_env/auction-v1": "econ_env.auction_v1",
                           "econ_env/debate-v0": "econ_env.debate_v0",
                           "econ_env/debate-v1": "econ_env.debate_v1"}  # fmt: skip
