"""Calibration of the simulated backend: record real traces, fit ``SimParams``, compare.

- :func:`record_traces` plays auction_v0 and debate_v0 with any :class:`~econ_env.llm.base.Backend`
  (a real model, usually behind the SQLite cache) through a recording wrapper and returns one
  :class:`TraceRow` per completion (role, agent, item, sampling parameters, correctness, token
  counts, confidence signals, heard answers, whether a revision adopted the heard plurality).
  Both games play the same items (drawn from the task with ``seed``); each episode ``e`` is reset
  with seed ``seed + e`` and played by baseline policies (default: ``truthful`` bidders, and
  ``round_robin`` beliefs, which alternate executors between T = 0.22 and T = 1.18 so that the
  temperature effect is identifiable).
- :func:`fit_sim_params` fits every effect of :class:`~econ_env.llm.simulated.SimParams` it can
  identify from the rows; fields it cannot identify are kept from ``base`` and listed as kept.
- :func:`simulate_report` replays the same episodes (same items, env seeds and policies) with
  the fitted simulated backend and returns real-vs-simulated metrics side by side.

The fit, effect by effect (scipy; :mod:`econ_env.llm.calibrate_fit`):

1. answer accuracy -- logistic regression on fresh answers (auction drafts, debate answers that
   heard nothing) that finished: per-agent skill (or one shared skill: ``skill_mode="auto"``
   keeps per-agent skills only when a likelihood-ratio test rejects equal skills at 5%),
   ``difficulty_weight`` (kept when difficulties barely vary), ``temperature_effect`` (on
   ``max(0, T - t_ref)``), and ``strategy_bonus``: from strategy labels when the traces have them
   (simulated coordinators), else from the debate executors' logit offset over drafts divided by
   ``strategy_hint`` (a real model's strategies carry no label). Effects are >= 0; weak Gaussian
   priors (skill N(0, 4^2), an effect N(base, 2^2)) keep a small real set finite. Truncated rows
   are left out: the length model reproduces truncation, which the simulator scores as no answer.
2. wrong-answer clustering -- ``distractor_skew`` (and ``n_distractors`` when wrong answers
   coincide less often than uniform distractors allow) by moment matching the rate at which two
   wrong fresh answers on one item are the same.
3. social effects -- ``influence``, ``stickiness``, ``truth_bias``, ``follow_temperature`` by the
   likelihood of each revision's outcome class (adopted the heard plurality / kept its own answer
   / other) under the simulator's mixture (adopt, else keep, else answer afresh with step 1's
   model), on revisions and debate answers that heard a commitment.
4. coordinator -- ``coordinator_fidelity`` and ``coordinator_skill`` by the likelihood of a
   commitment's correctness (fidelity x [plurality correct] + (1 - fidelity) x own accuracy).
5. lengths -- one lognormal ``length_sigma`` from the interquartile range of the draft / revise /
   answer lengths (log scale, around each role's median; a truncated completion ranks above every
   finished one), ``mu`` = log median for those roles (``length_mu`` for drafts,
   ``role_length_mu`` for the others) and, for strategy and commitment, the ``mu`` whose mean
   capped length equals the observed mean. Quantiles, not maximum likelihood: a real model's odd
   one-line answer among long solutions would otherwise inflate sigma.
6. prompts -- ``chars_per_token`` and ``per_message_overhead`` by non-negative least squares of
   prompt tokens on (characters, messages).
7. confidence -- ``temperature_confidence`` by regressing the inverse-softplus signals on
   ``(1, correct, T - t_ref)``; ``confidence_correlation`` rho from the mean of the two
   temperature-adjusted AUCs (mean logprob, negative entropy; the simulator's AUC is
   Phi(sqrt(2) rho / sqrt(1 - rho^2))); each signal's offset and slope from its mean and variance.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from econ_env.llm.base import Backend, Completion, GenRequest, generate_checked
from econ_env.llm.calibrate_fit import FitReport, SkillEstimate, fit_sim_params
from econ_env.llm.calibrate_report import auc, format_comparison, simulate_report, summarize
from econ_env.llm.simulated import _key, _plurality, strategy_is_good
from econ_env.tasks.answers import check_answer, extract_answer, normalize_answer
from econ_env.tasks.registry import make_task

__all__ = [
    "DEFAULT_ENV_KWARGS",
    "DEFAULT_POLICIES",
    "FitReport",
    "SkillEstimate",
    "TraceRecorder",
    "TraceRow",
    "auc",
    "fit_sim_params",
    "format_comparison",
    "load_traces",
    "record_traces",
    "save_traces",
    "simulate_report",
    "summarize",
]

ENVS = ("auction_v0", "debate_v0")
DEFAULT_POLICIES: dict[str, str] = {"auction_v0": "truthful", "debate_v0": "round_robin"}
DEFAULT_ENV_KWARGS: dict[str, dict[str, Any]] = {
    "auction_v0": {"n_agents": 3, "max_rounds": 2, "max_draft_tokens": 256},
    "debate_v0": {"n_agents": 3, "max_rounds": 2, "max_answer_tokens": 256, "embedder": "hashed"},
}


@dataclass(frozen=True)
class TraceRow:
    """One recorded completion with what the fit needs (see :func:`record_traces`)."""

    game: str
    episode: int
    episode_seed: int
    item_id: str
    kind: str
    gold: str
    difficulty: float
    n_choices: int
    role: str
    agent_index: int
    temperature: float
    top_p: float
    repetition_penalty: float
    max_tokens: int
    answer: str | None
    correct: bool
    has_answer: bool
    prompt_tokens: int
    prompt_chars: int
    n_messages: int
    completion_tokens: int
    finish_reason: str
    mean_logprob: float
    mean_entropy: float
    heard: tuple[str, ...] = ()
    own_answer: str | None = None
    strategy_good: bool | None = None
    adopted_plurality: bool | None = None
    kept_own: bool | None = None
    episode_correct: bool | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TraceRow:
        """A row from its JSON form (``ValueError`` naming unknown or missing fields)."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown TraceRow field(s) {unknown}")
        try:
            return cls(**{**data, "heard": tuple(data.get("heard", ()))})
        except TypeError as err:
            raise ValueError(f"bad TraceRow: {err}") from None


def _row(ctx: dict[str, Any], req: GenRequest, c: Completion) -> TraceRow:
    hints = req.hints
    assert hints is not None and hints.item is not None
    item = hints.item
    role = hints.role.value
    heard = tuple(h for h in hints.heard if h)
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
        adopted = _key(answer, item.kind) == _key(_plurality(heard, item.kind)[0], item.kind)
    if role in ("revise", "answer") and own is not None and answer is not None:
        kept = _key(answer, item.kind) == _key(own, item.kind)
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
    )


class TraceRecorder:
    """A backend wrapper that records a :class:`TraceRow` for every request with an item."""

    def __init__(self, inner: Backend) -> None:
        self.inner = inner
        self.name = inner.name
        self.rows: list[TraceRow] = []
        self.context: dict[str, Any] = {"game": "", "episode": 0, "seed": 0}

    def generate(self, requests: Sequence[GenRequest]) -> list[Completion]:
        completions = self.inner.generate(requests)
        for req, c in zip(requests, completions, strict=False):
            if req.hints is not None and req.hints.item is not None:
                self.rows.append(_row(self.context, req, c))
        return completions


def _env_module(game: str) -> Any:
    import importlib

    if game not in ENVS:
        raise ValueError(f"envs: unknown game {game!r}; one of {list(ENVS)}")
    return importlib.import_module(f"econ_env.{game}")


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

    ``env_kwargs`` maps a game to config overrides on top of :data:`DEFAULT_ENV_KWARGS`;
    ``policies`` maps a game to a baseline policy name (default :data:`DEFAULT_POLICIES`);
    ``parallel`` episodes are played at once in threads whose requests are merged into one
    batched backend call (same rows, in the same order, as ``parallel=1``).
    """
    if not isinstance(episodes, int) or episodes < 1:
        raise ValueError(f"episodes must be an int >= 1, got {episodes!r}")
    source = make_task(task, **dict(task_kwargs or {}))
    rng = np.random.default_rng(seed)
    plan = [(e, seed + e, source.sample(rng).id) for e in range(episodes)]
    plans = {g: plan for g in envs}
    return _record_plan(backend, plans, source, env_kwargs, policies, progress, parallel)


class _Gather:
    """Merges the ``generate`` calls of several episode threads into one batched call: a batch
    runs once every live worker is waiting (a real model decodes a larger batch for about the
    cost of a small one; per-request seeds keep each completion independent of the batch)."""

    def __init__(self, inner: Backend, workers: int) -> None:
        self.inner, self.name = inner, inner.name
        self._cv = threading.Condition()
        self._active = workers
        self._pending: list[dict[str, Any]] = []

    def generate(self, requests: Sequence[GenRequest]) -> list[Completion]:
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


def _record_plan(
    backend: Backend,
    plans: Mapping[str, Sequence[tuple[int, int, str]]],
    source: Any,
    env_kwargs: Mapping[str, Mapping[str, Any]] | None,
    policies: Mapping[str, str] | None,
    progress: Callable[[str], None] | None = None,
    parallel: int = 1,
) -> list[TraceRow]:
    """Play each game's ``(episode, seed, item_id)`` plan, the games interleaved per episode (so
    an interrupted real run has traces of every game); ``parallel`` episodes at a time share
    batched backend calls. Rows come back in plan order whatever ``parallel`` is."""
    from econ_env_baselines import make_policy

    if isinstance(parallel, bool) or not isinstance(parallel, int) or parallel < 1:
        raise ValueError(f"parallel must be an int >= 1, got {parallel!r}")
    env_kwargs, pols = dict(env_kwargs or {}), {**DEFAULT_POLICIES, **dict(policies or {})}
    for name in (*plans, *env_kwargs, *pols):
        _env_module(name)
    n = max(len(p) for p in plans.values())
    jobs = [(k, g) for k in range(n) for g in plans if k < len(plans[g])]
    results: dict[tuple[int, str], list[TraceRow]] = {}
    lock, start = threading.Lock(), time.perf_counter()
    gather = _Gather(backend, min(parallel, len(jobs)))
    errors: list[BaseException] = []

    def worker() -> None:
        recorder = TraceRecorder(gather)  # type: ignore[arg-type]
        envs: dict[str, Any] = {}
        try:
            while not errors:
                with lock:
                    if not jobs:
                        return
                    k, game = jobs.pop(0)
                if game not in envs:
                    kw = {**DEFAULT_ENV_KWARGS[game], **env_kwargs.get(game, {})}
                    envs[game] = _env_module(game).env(backend=recorder, task=source, **kw)
                episode, seed, item_id = plans[game][k]
                env = envs[game]
                recorder.context = {"game": game, "episode": episode, "seed": seed}
                recorder.rows = []
                env.reset(seed=seed, options={"item_id": item_id})
                pol = make_policy(pols[game], env, seed=seed)
                for agent in env.agent_iter():
                    obs, _, term, trunc, _ = env.last()
                    env.step(None if term or trunc else pol.act(obs, agent))
                ok = bool(env.unwrapped.game.correct)
                with lock:
                    results[k, game] = [replace(r, episode_correct=ok) for r in recorder.rows]
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

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(gather._active)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return [r for k in range(n) for g in plans if (k, g) in results for r in results[k, g]]


def save_traces(path: str | Path, rows: Sequence[TraceRow], meta: Mapping[str, Any]) -> None:
    """Write a JSONL file: a ``{"_meta": ...}`` header line, then one row per line."""
    lines = [json.dumps({"_meta": dict(meta)})] + [json.dumps(asdict(r)) for r in rows]
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


def load_traces(path: str | Path) -> tuple[list[TraceRow], dict[str, Any]]:
    """Read a file written by :func:`save_traces` (``ValueError`` naming the line on bad input)."""
    rows, meta = [], {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                if "_meta" in data:
                    meta = data["_meta"]
                else:
                    rows.append(TraceRow.from_dict(data))
            except (json.JSONDecodeError, ValueError) as err:
                raise ValueError(f"{path}:{n}: {err}") from None
    return rows, meta
