"""Re-run an agent submission on hidden seeds: the simulated track's ``econ-env bench evaluate``.

:func:`evaluate_submission` draws the seeds from the maintainer's secret
(:func:`econ_env.bench.hidden_seeds.draw_seeds`), plays every episode of the seeded suite with
the submission's policy in one sandboxed child process
(:class:`~econ_env.bench.agent_proc.AgentProcess`; a fresh policy per episode, built from the
episode env's public :class:`~econ_env.core.spec.EnvSpec` and seed) and writes an ordinary
submission directory: ``metadata.json`` (schema version 2, ``track="simulated"``, the policy
label ``agent:<name>`` and an ``evaluation`` block with the seeds, the secret's commitment —
never the secret —, the isolation, the limits and the submission's digest), ``traces.jsonl``,
``results.json`` and, given a key, ``attestation.json`` (:func:`econ_env.bench.attest.attest`).
Episodes are played as :func:`econ_env.bench.runner.run_suite` plays them, so the verifier
replays the traces against :func:`~econ_env.bench.hidden_seeds.seeded_suite` unchanged.

If the agent breaks a limit or the rules, :class:`~econ_env.bench.agent_proc.AgentError` is
raised and nothing is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from econ_env.bench import submission as sub
from econ_env.bench.agent_proc import AgentLimits, AgentProcess
from econ_env.bench.attest import attest
from econ_env.bench.hidden_seeds import commitment, draw_seeds, seeded_suite
from econ_env.bench.runner import episode_config, episode_record, make_env, play_episode
from econ_env.bench.suites import Suite, get_suite

__all__ = ["EVALUATED_BY", "LABEL_PREFIX", "SCHEMA_VERSION", "evaluate_submission"]

SCHEMA_VERSION = 2
EVALUATED_BY = "econ-env bench evaluate"
LABEL_PREFIX = "agent:"
"""A re-run submission's policy label is ``agent:<name>``: never a baseline's name."""


def _check_out(out: Path) -> None:
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise ValueError(f"--out {out} must be a new or empty directory")
    if out.is_dir() and any(out.iterdir()):
        raise ValueError(f"--out {out} is not empty; evaluate into a new directory")


def evaluate_submission(
    submission: str | Path,
    suite: Suite | str,
    out_dir: str | Path,
    *,
    secret: bytes,
    key: bytes | None,
    key_id: str,
    limits: AgentLimits,
    limit: int | None = None,
    progress: bool = False,
    isolation: str | None = None,
) -> dict[str, Any]:
    """Evaluate ``submission`` on ``suite`` with seeds drawn from ``secret``; write ``out_dir``.

    ``limit`` keeps the first ``limit`` items of every case (a partial run, never ranked).
    ``key`` signs the directory (``attestation.json`` with ``key_id``); ``None`` leaves it
    unsigned. ``isolation`` forces the sandbox's OS layer (``None``: the strongest available).
    Returns the ``results.json`` object. Raises
    :class:`~econ_env.bench.agent_proc.AgentError` when the agent fails (nothing written) and
    ``ValueError`` for bad arguments.
    """
    suite = get_suite(suite) if isinstance(suite, str) else suite
    if not isinstance(limits, AgentLimits):
        raise ValueError(f"limits must be an AgentLimits, got {type(limits).__name__}")
    out = Path(out_dir)
    _check_out(out)
    seeds = draw_seeds(secret, suite)
    seeded = seeded_suite(suite, seeds)
    specs = seeded.episodes(limit)

    first = specs[0]
    env = make_env(first.env, first.env_config(first.config))
    records: list[dict[str, Any]] = []
    envs: dict[str, Any] = {}
    bar = tqdm(total=len(specs), disable=not progress, desc=f"agent on {suite.name}", unit="ep")
    try:
        with AgentProcess(
            submission, env.unwrapped.env_spec, first.seed, limits=limits, isolation=isolation
        ) as proc:
            label = LABEL_PREFIX + str(proc.name)
            for i, spec in enumerate(specs):
                config = episode_config(spec, label)
                if i > 0:
                    env = make_env(spec.env, spec.env_config(config))
                    proc.reset(env.unwrapped.env_spec, spec.seed)
                envs.setdefault(spec.env, env)
                actions, info = play_episode(env, spec, act=proc.act)
                records.append(episode_record(env, spec, config, label, actions, info))
                bar.update(1)
            evaluation = {
                "by": EVALUATED_BY,
                "seed_commitment": commitment(secret),
                "seeds": {case: list(s) for case, s in seeds.items()},
                "isolation": proc.isolation,
                "limits": limits.to_dict(),
                "agent": {"spec": proc.policy, "digest": proc.digest},
            }
    finally:
        bar.close()

    metadata = sub.build_metadata(suite=seeded, policy=label, limit=limit, budgets=None,
                                  envs=envs)  # fmt: skip
    metadata["schema_version"] = SCHEMA_VERSION
    metadata["track"] = "simulated"
    metadata["backend"].setdefault("weights_digest", None)
    metadata["generation_log"] = None
    metadata["evaluation"] = evaluation
    results = sub.compute_results(
        records, suite=suite.name, suite_version=suite.version, policy=label
    )
    out.mkdir(parents=True, exist_ok=True)
    sub.write_json(out / sub.METADATA, metadata)
    tmp = out / (sub.TRACES + ".tmp")
    tmp.write_text("".join(sub.dump_json(r) + "\n" for r in records), encoding="utf-8")
    tmp.replace(out / sub.TRACES)
    sub.write_json(out / sub.RESULTS, results)
    if key is not None:
        attest(out, key, key_id)
    return results
