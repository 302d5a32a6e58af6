"""Run a policy over an econ-bench suite and write a submission directory (resumably).

``run_suite(suite, policy, out_dir)`` plays every :class:`~econ_env.bench.suites.EpisodeSpec`
in suite order, each in a fresh env built from the case config (+ the baseline's overrides) and
the episode's budget, reset with the episode seed and item id, with the policy built per episode
(policy seed = episode seed). Each finished episode is appended to ``traces.jsonl`` at once, so
a crash loses at most the running episode: rerunning with the same arguments skips the episode
ids already written (a partial last line is discarded) and ``metadata.json`` must agree.

Actions are recorded as JSON (an int, or a list of floats) and the env is stepped with the action
rebuilt from that JSON — exactly what ``verify`` replays. Envs come from :mod:`econ_env.registry`,
policies from :func:`econ_env.bench.baselines.resolve` (built from the episode env's public
:class:`~econ_env.core.spec.EnvSpec`), and episodes are played by
:func:`econ_env.core.rollout.play_episode`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from gymnasium import spaces
from tqdm.auto import tqdm

from econ_env.bench import submission as sub
from econ_env.bench.baselines import overrides_of, resolve
from econ_env.bench.genlog import RealRun, is_real_spec
from econ_env.bench.limits import MAX_BUDGETS
from econ_env.bench.suites import EpisodeSpec, Suite, get_suite
from econ_env.core import rollout
from econ_env.core.spec import EnvSpec
from econ_env.registry import make

__all__ = ["action_from_json", "action_to_json", "make_env", "play_episode", "run_suite"]

_MATCH_KEYS = ("suite", "suite_version", "policy", "limit", "budgets", "track")


def make_env(env_name: str, config: Mapping[str, Any]) -> Any:
    """The registry's AEC env ``env_name`` with ``config`` (``ValueError`` naming the envs)."""
    return make(env_name, **dict(config))


def resolve_policy(
    policy: str, env_name: str, case_config: Mapping[str, Any]
) -> tuple[Callable[[EnvSpec, int], Any], dict[str, Any]]:
    """``(policy_factory(spec, seed), overrides)`` via :func:`econ_env.bench.baselines.resolve`."""
    return resolve(policy, env_name, dict(case_config))


def policy_overrides(policy: str, env_name: str, case_config: Mapping[str, Any]) -> dict[str, Any]:
    """The config overrides of a bench baseline name; ``{}`` for anything else.

    Never imports a ``module:Class`` spec (``verify`` calls it on untrusted metadata).
    """
    return overrides_of(policy, env_name, dict(case_config))


def action_to_json(action: Any) -> int | list[float]:
    """An action as JSON: an int (discrete) or a list of floats (continuous)."""
    if isinstance(action, (bool, np.bool_)):
        raise ValueError(f"action must be an int or an array of floats, got {action!r}")
    if isinstance(action, (int, np.integer)):
        return int(action)
    arr = np.asarray(action)
    if arr.ndim == 0 and np.issubdtype(arr.dtype, np.integer):
        return int(arr)
    if not np.issubdtype(arr.dtype, np.number) or arr.ndim != 1:
        raise ValueError(f"action must be an int or a 1-d array of floats, got {action!r}")
    return [float(x) for x in arr.tolist()]


def action_from_json(value: Any, space: spaces.Space) -> Any:
    """The env action for a recorded JSON ``value`` in ``space`` (``ValueError`` if invalid)."""
    if isinstance(space, spaces.Discrete):
        if type(value) is not int:
            raise ValueError(f"expected an int action for {space}, got {value!r}")
        return value
    if not isinstance(value, list) or not all(
        type(v) in (int, float) and np.isfinite(v) for v in value
    ):
        raise ValueError(f"expected a list of finite numbers for {space}, got {value!r}")
    return np.asarray(value, dtype=space.dtype)


def play_episode(
    env: Any,
    spec: EpisodeSpec,
    act: Callable[[Any, str], Any] | None = None,
    actions: Sequence[Sequence[Any]] | None = None,
) -> tuple[list[list[Any]], dict[str, Any]]:
    """Play one episode with ``act(obs, agent)``, or replay recorded ``actions``.

    Returns ``(actions as JSON pairs, last info)``. Replaying raises ``ValueError`` when the
    recorded actions do not fit the episode (wrong agent, too few or too many, invalid). The
    episode is played by :func:`econ_env.core.rollout.play_episode`.
    """
    if (act is None) == (actions is None):
        raise ValueError("pass exactly one of act (to play) and actions (to replay)")
    recorded: list[list[Any]] = []

    def choose(obs: Any, agent: str) -> Any:
        pos = len(recorded)
        if actions is None:
            assert act is not None
            value = action_to_json(act(obs, agent))
        else:
            if pos >= len(actions):
                raise ValueError(f"the recorded actions end after {pos}; {agent} is still to act")
            who, value = actions[pos]
            if who != agent:
                raise ValueError(f"recorded action {pos} is by {who!r}, but {agent!r} acts")
        recorded.append([agent, value])
        return action_from_json(value, env.action_space(agent))

    result = rollout.play_episode(env, choose, seed=spec.seed, options={"item_id": spec.item_id})
    if actions is not None and len(recorded) != len(actions):
        raise ValueError(
            f"{len(actions)} actions recorded, but the episode ended after {len(recorded)}"
        )
    return recorded, dict(result.info)


def episode_record(
    env: Any, spec: EpisodeSpec, config: Mapping[str, Any], policy: str, actions: list, info: dict
) -> dict[str, Any]:
    """The ``traces.jsonl`` object of a finished episode."""
    game = env.unwrapped.game
    ledger = sub.jsonable(game.ledger.to_records())
    return {
        "episode_id": spec.episode_id,
        "case": spec.case,
        "env": spec.env,
        "config": sub.jsonable(dict(config)),
        "item_id": spec.item_id,
        "budget": spec.budget,
        "seed": spec.seed,
        "policy": policy,
        "actions": actions,
        "final_answer": None if game.final_answer is None else str(game.final_answer),
        "stop_reason": str(game.stop_reason),
        "rounds": int(info.get("round", getattr(game, "round", 0))),
        "correct": bool(game.correct),
        "totals": {
            "billed": sum(e["billed"] for e in ledger),
            "generated": sum(e["prompt_tokens"] + e["completion_tokens"] for e in ledger),
        },
        "ledger": ledger,
        "transcript": sub.jsonable(game.transcript.to_records()),
        "history": sub.jsonable(getattr(game, "history", [])),
    }


def episode_config(spec: EpisodeSpec, policy: str) -> dict[str, Any]:
    """The env config an episode of ``policy`` is played with (budget excluded)."""
    return {**spec.config, **policy_overrides(policy, spec.env, spec.config)}


def _read_traces(path: Path) -> list[dict[str, Any]]:
    """The complete trace lines of ``path``; a partial last line is dropped from the file."""
    if not path.exists():
        return []
    raw = path.read_bytes()
    lines = raw.split(b"\n")
    out: list[dict[str, Any]] = []
    good = 0
    for i, line in enumerate(lines):
        if not line.strip():
            good += len(line) + 1
            continue
        try:
            record = sub.loads_strict(line.decode("utf-8"))
            ok = isinstance(record, dict) and isinstance(record.get("episode_id"), str)
        except (ValueError, UnicodeDecodeError):
            ok = False
        last = all(not rest.strip() for rest in lines[i + 1 :])
        if not ok or (last and not raw.endswith(b"\n")):
            if last:  # a crash mid-write: drop it
                with path.open("r+b") as fh:
                    fh.truncate(good)
                break
            raise ValueError(f"{path} line {i + 1} is not a complete trace; cannot resume")
        out.append(record)
        good += len(line) + 1
    return out


def _check_metadata(path: Path, expected: Mapping[str, Any]) -> None:
    old = sub.loads_strict(path.read_text(encoding="utf-8"))
    diffs = [
        f"{k}: {old.get(k)!r} in {path} vs {expected[k]!r} now"
        for k in _MATCH_KEYS
        if old.get(k) != expected[k]
    ]
    if expected.get("track") == "real-model":  # the same backend, model and weights
        was, now = old.get("backend") or {}, expected["backend"]
        diffs += [
            f"backend.{k}: {was.get(k)!r} in {path} vs {now[k]!r} now"
            for k in ("spec", "kwargs", "identity")
            if was.get(k) != now[k]
        ]
    if diffs:
        raise ValueError(f"{path.parent} holds a different run; " + "; ".join(diffs))


def run_suite(
    suite: Suite | str,
    policy: str,
    out_dir: str | Path,
    *,
    limit: int | None = None,
    progress: bool = True,
    budgets: Sequence[int] | None = None,
    backend: str | None = None,
    backend_kwargs: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Play ``policy`` on every episode of ``suite`` and write a submission to ``out_dir``.

    ``backend`` (a spec such as ``"hf:smollm2"`` or ``"openai:URL"``, with ``backend_kwargs``)
    replaces the suite's simulated backend: it is built once for the run, every request and
    completion is logged to ``generations.jsonl`` (:mod:`econ_env.bench.genlog`) and the
    submission is on the real-model track.

    ``policy`` is a bench baseline name (:data:`econ_env.bench.baselines.BENCH_BASELINES`), a
    policy registered for the episode's env (:func:`econ_env.policies.list_policies`) or a
    ``module:Class`` spec; it is built per episode as ``factory(env.unwrapped.env_spec, seed)``
    from the env's public description, never from the env.
    ``limit`` keeps the first ``limit`` items of every case; ``budgets`` replaces every case's
    budgets. Resumable (see the module docstring). Returns the ``results.json`` object.
    """
    suite = get_suite(suite) if isinstance(suite, str) else suite
    if not isinstance(policy, str) or not policy:
        raise ValueError(f"policy must be a non-empty string, got {policy!r}")
    budgets = None if budgets is None else [int(b) for b in budgets]
    if budgets is not None and len(budgets) > MAX_BUDGETS:  # the verifier would refuse the run
        raise ValueError(f"budgets has {len(budgets)} entries; at most {MAX_BUDGETS} allowed")
    specs = suite.episodes(limit, budgets=budgets)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    meta_path, traces_path = out / sub.METADATA, out / sub.TRACES
    if backend == "simulated" and not backend_kwargs:
        backend = None  # the suite's own backend
    if backend is not None and not is_real_spec(backend):
        raise ValueError(f"backend {backend!r}: the simulated track runs the suite's backend")
    real = None if backend is None else RealRun(backend, backend_kwargs, out)

    def env_cfg(config: dict[str, Any]) -> dict[str, Any]:
        return config if real is None else real.env_config(config)

    # One env per env name for the metadata (backend, decoding); cheap to build.
    first: dict[str, EpisodeSpec] = {}
    for s in specs:
        first.setdefault(s.env, s)
    envs = {name: make_env(name, s.env_config(env_cfg(episode_config(s, policy)))) for name, s
            in first.items()}  # fmt: skip
    for name, env in envs.items():  # fail before writing anything if the policy cannot be built
        try:
            resolve_policy(policy, name, first[name].config)[0](
                env.unwrapped.env_spec, first[name].seed
            )
        except Exception as exc:
            raise ValueError(f"cannot build policy {policy!r} for {name}: {exc}") from exc
    metadata = sub.build_metadata(suite=suite, policy=policy, limit=limit, budgets=budgets,
                                  envs=envs, backend=real and real.meta)  # fmt: skip
    if meta_path.exists():
        _check_metadata(meta_path, metadata)
    else:
        sub.write_json(meta_path, metadata)

    wanted = {s.episode_id for s in specs}
    done_records = _read_traces(traces_path)
    unknown = [r["episode_id"] for r in done_records if r["episode_id"] not in wanted]
    if unknown:
        raise ValueError(f"{traces_path} holds episodes not in this run, e.g. {unknown[0]!r}")
    done = {r["episode_id"] for r in done_records}
    if len(done) != len(done_records):
        raise ValueError(f"{traces_path} holds an episode twice; cannot resume")
    todo = [s for s in specs if s.episode_id not in done]
    if real is not None:
        real.resume([r["episode_id"] for r in done_records])

    bar = tqdm(total=len(specs), initial=len(specs) - len(todo), disable=not progress,
               desc=f"{policy} on {suite.name}", unit="ep")  # fmt: skip
    try:
        with traces_path.open("a", encoding="utf-8") as fh:
            for spec in todo:
                config = episode_config(spec, policy)
                factory, _ = resolve_policy(policy, spec.env, spec.config)
                env = make_env(spec.env, spec.env_config(env_cfg(config)))
                agent = factory(env.unwrapped.env_spec, spec.seed)
                if real is not None:
                    real.start(spec.episode_id)
                actions, info = play_episode(env, spec, act=agent.act)
                if real is not None:
                    real.finish()  # the log lines first: a trace line implies its log
                    config = real.record_config(config)
                record = episode_record(env, spec, config, policy, actions, info)
                fh.write(sub.dump_json(record) + "\n")
                fh.flush()
                done_records.append(record)
                bar.update(1)
    finally:
        bar.close()
        if real is not None:
            real.close()

    order = {s.episode_id: i for i, s in enumerate(specs)}
    if [order[r["episode_id"]] for r in done_records] != sorted(order.values()):
        done_records.sort(key=lambda r: order[r["episode_id"]])
        tmp = traces_path.with_name(traces_path.name + ".tmp")
        tmp.write_text("".join(sub.dump_json(r) + "\n" for r in done_records), encoding="utf-8")
        tmp.replace(traces_path)
    if real is not None:
        real.close([r["episode_id"] for r in done_records])
    results = sub.compute_results(
        done_records, suite=suite.name, suite_version=suite.version, policy=policy
    )
    sub.write_json(out / sub.RESULTS, results)
    return results
