"""Is a run labelled with a baseline's name really that baseline? Re-play it and compare actions.

A trace submission names its policy in ``metadata.json``. Replay proves that the recorded actions
produce the recorded episode, not that the named policy chose them: a policy that bids only for
correct drafts, relabelled ``truthful``, replays fine. For the bench baselines
(:data:`econ_env.bench.baselines.BENCH_BASELINES`) the verifier owns the policy's code, and the
baselines are deterministic given the episode's seed, so :func:`baseline_problems` plays the
episode again with the named baseline (on the simulated backend) and compares its actions with the
recorded ones. Nothing from the submission is imported: the policy comes from the package.
Policies that are not bench baselines cannot be checked this way; on the simulated track they are
ranked only when the maintainer re-ran them (``econ-env bench evaluate``).
"""

from __future__ import annotations

from typing import Any

from econ_env.bench.baselines import BENCH_BASELINES, resolve
from econ_env.bench.safe_json import short_repr as _r
from econ_env.bench.suites import EpisodeSpec

__all__ = ["baseline_problems", "is_checkable"]


def is_checkable(policy: Any, config: dict[str, Any]) -> bool:
    """Whether ``policy`` names a bench baseline played on the simulated backend."""
    return (
        isinstance(policy, str)
        and policy in BENCH_BASELINES
        and config.get("backend", "simulated") == "simulated"
    )


def baseline_problems(spec: EpisodeSpec, trace: dict[str, Any], config: dict[str, Any]) -> list:
    """``[]`` when the baseline named by ``trace["policy"]`` chooses the recorded actions."""
    from econ_env.bench.runner import make_env, play_episode

    name = trace["policy"]
    factory, _ = resolve(name, spec.env, spec.config)
    env = make_env(spec.env, spec.env_config(config))
    agent = factory(env.unwrapped.env_spec, spec.seed)
    actions, _ = play_episode(env, spec, act=agent.act)
    recorded = trace["actions"]
    for i, (mine, theirs) in enumerate(zip(actions, recorded, strict=False)):
        if mine != theirs:
            return [
                f"action {i} is {_r(theirs)} but baseline {name!r} chooses {_r(mine)}: the run "
                f"is not {name!r}'s"
            ]
    if len(actions) != len(recorded):
        return [f"{len(recorded)} actions recorded but baseline {name!r} plays {len(actions)}"]
    return []
