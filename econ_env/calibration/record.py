"""Recording traces: play the registry's games with any backend and keep one row per completion.

The games calibration records are the registry envs with a ``calibration_policy``
(:data:`ENVS`); each is built with :func:`econ_env.registry.make` from its
``calibration_config`` (:data:`DEFAULT_ENV_KWARGS`) plus overrides, played by the named policy
(:data:`DEFAULT_POLICIES`, built by :func:`econ_env.policies.make_policy` from the env's public
spec) through :func:`econ_env.core.rollout.play_episode`, with a :class:`TraceRecorder` in front
of the backend. :func:`record_traces` draws the items and :func:`record_plan` plays a given plan
(the simulated replay of :func:`~econ_env.calibration.report.simulate_report` uses it too);
:class:`BatchGather` merges the requests of episodes played in parallel threads into one
batched backend call.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from econ_env.calibration.types import TraceRow
from econ_env.core.rollout import play_episode
from econ_env.llm.base import Backend, Completion, GenRequest, generate_checked
from econ_env.llm.simulated.backend import strategy_is_good
from econ_env.llm.simulated.distractors import answer_key, plurality
from econ_env.policies import make_policy
from econ_env.registry import env_info, list_envs, make
from econ_env.tasks.answers import check_answer, extract_answer, normalize_answer
from econ_env.tasks.registry import make_task

__all__ = [
    "DEFAULT_ENV_KWARGS",
    "DEFAULT_POLICIES",
    "ENVS",
    "BatchGather",
    "Plan",
    "TraceRecorder",
    "record_plan",
    "record_traces",
]


def _calibration_policies() -> dict[str, str]:
    """The registry envs that name a ``calibration_policy``, in registry order, with it."""
    out: dict[str, str] = {}
    for name in list_envs():
        policy = env_info(name).calibration_policy
        if policy is not None:
            out[name] = policy
    return out


DEFAULT_POLICIES: dict[str, str] = _calibration_policies()
"""The policy each game is recorded with (``EnvInfo.calibration_policy``)."""
ENVS: tuple[str, ...] = tuple(DEFAULT_POLICIES)
"""The games calibration records: the registry envs with a ``calibration_policy``."""
DEFAULT_ENV_KWARGS: dict[str, dict[str, Any]] = {
    game: dict(env_info(game).calibration_config) for game in ENVS
}
"""The config each game is recorded with (``EnvInfo.calibration_config``)."""

Plan = Sequence[tuple[int, int, str]]
"""One game's episodes: ``(episode, env seed, item id)`` each."""


def _check_game(game: str) -> None:
    if game not in ENVS:
        raise ValueError(f"envs: unknown game {game!r}; one of {list(ENVS)}")


def _row(ctx: Mapping[str, Any], req: GenRequest, c: Completion) -> TraceRow:
    """The trace row of one completion of a request whose hints carry an item."""
    hints = req.hints
    assert hints is not None and hints.item is not None
    item = hints.item
    role = hints.role.value
    heard = tuple(h for h in hints.heard if h)
    # the tier of each heard message with an answer (parallel to ``heard``; empty: all full)
    heard_tiers = (
        tuple(t for h, t in zip(hints.heard, hints.heard_tiers, strict=True) if h)
        if hints.heard_tiers
        else ()
    )
    own = hints.own_answer
    answer, correct, good = None, False, None
    if role == "strategy":
        good = strategy_is_good(c.text)
    else:
        answer = normalize_answer(extract_answer(c.text, item.kind), item.kind)
        correct = bool(check_answer(answer, item.gold, item.kind))
        if role == "answer":  # the strategy the executor's prompt quotes (None: not simulated)
            good = strategy_is_good(" ".join(m.get("content", "") for m in req.messages))
    adopted = kept = None
    if role in ("revise", "answer", "commitment") and heard and answer is not None:
        key = answer_key(answer, item.kind)
        adopted = key == answer_key(plurality(heard, item.kind)[0], item.kind)
    if role in ("revise", "answer") and own is not None and answer is not None:
        kept = answer_key(answer, item.kind) == answer_key(own, item.kind)
    choices = item.meta.get("choices")
    return TraceRow(
        game=ctx["game"],
        episode=ctx["episode"],
        episode_seed=ctx["seed"],
        item_id=item.id,
        kind=item.kind,
        gold=item.gold,
        difficulty=float(item.meta.get("difficulty", 0.5)),
        n_choices=len(choices) if choices else 4,
        role=role,
        agent_index=hints.agent_index,
        temperature=req.temperature,
        top_p=req.top_p,
        repetition_penalty=req.repetition_penalty,
        max_tokens=req.max_tokens,
        answer=answer,
        correct=correct,
        has_answer=answer is not None,
        prompt_tokens=c.prompt_tokens,
        prompt_chars=sum(len(m.get("content", "")) for m in req.messages),
        n_messages=len(req.messages),
        completion_tokens=c.completion_tokens,
        finish_reason=c.finish_reason,
        mean_logprob=c.mean_logprob,
        mean_entropy=c.mean_entropy,
        heard=heard,
        own_answer=own,
        strategy_good=good,
        adopted_plurality=adopted,
        kept_own=kept,
        facts_known=hints.facts_known,
        learned=hints.learned,
        tier=hints.tier,
        source_tokens=hints.source_tokens,
        heard_tiers=heard_tiers,
    )


class TraceRecorder:
    """A backend wrapper that records a :class:`TraceRow` for every request with an item.

    ``context`` (``game``, ``episode``, ``seed``) is stamped on each row; ``rows`` collects
    them (the caller resets both between episodes).
    """

    def __init__(self, inner: Backend) -> None:
        self.inner = inner
        self.name = inner.name
        self.rows: list[TraceRow] = []
        self.context: dict[str, Any] = {"game": "", "episode": 0, "seed": 0}

    def generate(self, requests: Sequence[GenRequest]) -> list[Completion]:
        """The inner backend's completions; a row is recorded for each request with an item."""
        completions = self.inner.generate(requests)
        for req, c in zip(requests, completions, strict=False):
            if req.hints is not None and req.hints.item is not None:
                self.rows.append(_row(self.context, req, c))
        return completions


class BatchGather:
    """Merges the ``generate`` calls of several episode threads into one batched call.

    A batch runs once every live worker is waiting (a real model decodes a larger batch for
    about the cost of a small one; per-request seeds keep each completion independent of the
    batch). Each of the ``workers`` threads calls :meth:`done` when it has no more episodes, so
    the others stop waiting for it; an error of the inner backend reaches every waiting worker.
    """

    def __init__(self, inner: Backend, workers: int) -> None:
        self.inner, self.name = inner, inner.name
        self._cv = threading.Condition()
        self._active = workers
        self._pending: list[dict[str, Any]] = []

    def generate(self, requests: Sequence[GenRequest]) -> list[Completion]:
        """This worker's completions, once the merged batch has run."""
        slot: dict[str, Any] = {"requests": list(requests)}
        with self._cv:
            self._pending.append(slot)
            self._run_if_all_waiting()
            while "out" not in slot:
                self._cv.wait()
        if isinstance(slot["out"], BaseException):
            raise slot["out"]
        return slot["out"]

    def done(self) -> None:
        """A worker has no more episodes to play."""
        with self._cv:
            self._active -= 1
            self._run_if_all_waiting()

    def _run_if_all_waiting(self) -> None:  # called with the lock held
        if not self._pending or len(self._pending) < self._active:
            return
        batch, self._pending = self._pending, []
        flat = [r for slot in batch for r in slot["requests"]]
        try:
            out = generate_checked(self.inner, flat)
        except BaseException as err:  # handed to every waiting worker
            for slot in batch:
                slot["out"] = err
        else:
            i = 0
            for slot in batch:
                slot["out"], i = out[i : i + len(slot["requests"])], i + len(slot["requests"])
        self._cv.notify_all()


def record_traces(
    backend: Backend,
    *,
    task: Any = "gsm_symbolic",
    episodes: int = 10,
    seed: int = 0,
    envs: Sequence[str] = ENVS,
    env_kwargs: Mapping[str, Mapping[str, Any]] | None = None,
    task_kwargs: Mapping[str, Any] | None = None,
    policies: Mapping[str, str] | None = None,
    progress: Callable[[str], None] | None = None,
    parallel: int = 1,
) -> list[TraceRow]:
    """Play ``episodes`` episodes of each game in ``envs`` on ``backend``; one row per completion.

    Both games play the same items (drawn from the task with ``seed``); episode ``e`` is reset
    with seed ``seed + e``. ``env_kwargs`` maps a game to config overrides on top of
    :data:`DEFAULT_ENV_KWARGS`; ``policies`` maps a game to a policy name (default
    :data:`DEFAULT_POLICIES`); ``parallel`` episodes are played at once in threads whose
    requests are merged into one batched backend call (same rows, in the same order, as
    ``parallel=1``).
    """
    if not isinstance(episodes, int) or episodes < 1:
        raise ValueError(f"episodes must be an int >= 1, got {episodes!r}")
    source = make_task(task, **dict(task_kwargs or {}))
    rng = np.random.default_rng(seed)
    plan = [(e, seed + e, source.sample(rng).id) for e in range(episodes)]
    plans = {g: plan for g in envs}
    return record_plan(
        backend,
        plans,
        source,
        env_kwargs=env_kwargs,
        policies=policies,
        progress=progress,
        parallel=parallel,
    )


def record_plan(
    backend: Backend,
    plans: Mapping[str, Plan],
    source: Any,
    *,
    env_kwargs: Mapping[str, Mapping[str, Any]] | None = None,
    policies: Mapping[str, str] | None = None,
    progress: Callable[[str], None] | None = None,
    parallel: int = 1,
    on_episode: Callable[[str, int, int, str, Mapping[str, Any]], None] | None = None,
) -> list[TraceRow]:
    """Play each game's ``(episode, seed, item_id)`` plan on items of the task ``source``.

    The games are interleaved per episode (so an interrupted real run has traces of every
    game); ``parallel`` episodes at a time share batched backend calls. Rows come back in plan
    order whatever ``parallel`` is, each stamped with whether its episode ended correct.
    ``on_episode(game, episode, seed, item_id, info)`` (called under a lock) receives every
    finished episode's final info (correctness, billed and generated tokens, ...).
    """
    if isinstance(parallel, bool) or not isinstance(parallel, int) or parallel < 1:
        raise ValueError(f"parallel must be an int >= 1, got {parallel!r}")
    env_kwargs, pols = dict(env_kwargs or {}), {**DEFAULT_POLICIES, **dict(policies or {})}
    for name in (*plans, *env_kwargs, *pols):
        _check_game(name)
    n = max(len(p) for p in plans.values())
    jobs = [(k, g) for k in range(n) for g in plans if k < len(plans[g])]
    results: dict[tuple[int, str], list[TraceRow]] = {}
    lock, start = threading.Lock(), time.perf_counter()
    workers = min(parallel, len(jobs))
    gather = BatchGather(backend, workers)
    errors: list[BaseException] = []

    def worker() -> None:
        recorder = TraceRecorder(gather)
        envs: dict[str, Any] = {}
        try:
            while not errors:
                with lock:
                    if not jobs:
                        return
                    k, game = jobs.pop(0)
                if game not in envs:
                    kw = {**DEFAULT_ENV_KWARGS[game], **env_kwargs.get(game, {})}
                    envs[game] = make(game, backend=recorder, task=source, **kw)
                episode, seed, item_id = plans[game][k]
                env = envs[game]
                recorder.context = {"game": game, "episode": episode, "seed": seed}
                recorder.rows = []
                policy = make_policy(pols[game], env.unwrapped.env_spec, seed=seed)
                result = play_episode(env, policy.act, seed=seed, options={"item_id": item_id})
                ok = bool(result.info["correct"])
                with lock:
                    results[k, game] = [replace(r, episode_correct=ok) for r in recorder.rows]
                    if on_episode is not None:
                        on_episode(game, episode, seed, item_id, result.info)
                if progress is not None:
                    tokens = sum(r.completion_tokens for r in recorder.rows)
                    progress(
                        f"{game} episode {k + 1}/{len(plans[game])}: {len(recorder.rows)} "
                        f"completions, {tokens} tokens, correct={ok} "
                        f"({time.perf_counter() - start:.0f} s)"
                    )
        except BaseException as err:
            errors.append(err)
        finally:
            gather.done()
            for env in envs.values():
                env.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return [r for k in range(n) for g in plans if (k, g) in results for r in results[k, g]]
