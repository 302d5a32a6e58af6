"""Effect sizes of the simulated backend in the debate game (default ``SimParams``), measured.

Drives :class:`econ_env.llm.simulated.SimulatedBackend` with thousands of seeded requests shaped
like the ones ``debate_v0`` sends and prints one table:

- executor accuracy (role ``answer``, nothing heard, executors 0..3 pooled) at each temperature,
  without a strategy hint and with a good one (the prompt quotes ``STRATEGY_GOOD``, which the
  simulated backend recognises);
- diversity across 4 executors answering the same item: mean number of distinct answers and the
  rate of a non-unanimous round;
- agreement with the commitment (role ``answer``, ``heard=(commitment,)``, own answer = the
  executor's earlier answer at the same temperature) when the commitment is correct vs wrong
  (the item's modal distractor);
- the coordinator's commitment accuracy given 0/1/2/3 of 3 heard answers correct (wrong ones
  drawn from the item's distractor distribution at T = 0.7, order shuffled).

Items: 16 numeric items of difficulty 0.5. The table is pasted into the module docstring of
``econ_env/llm/simulated/__init__.py`` under "Effect sizes (default parameters)".

    OMP_NUM_THREADS=1 python benchmarks/simulated_effects.py [--n 4000] [--seed 0]
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Sequence

from econ_env.llm.base import GenRequest, SimHints
from econ_env.llm.simulated import STRATEGY_GOOD, SimulatedBackend
from econ_env.tasks.answers import extract_answer, normalize_answer
from econ_env.tasks.base import TaskItem

TEMPERATURES = (0.1, 0.7, 1.3)
N_EXECUTORS = 4
ITEMS = tuple(
    TaskItem(
        f"fx/{k}", f"A shop has {10 + k} boxes of {3 + k} pens. How many pens?", str(g), "numeric"
    )
    for k, g in enumerate((10 + k) * (3 + k) for k in range(16))
)
MSGS = ({"role": "user", "content": "question"},)
GOOD_MSGS = ({"role": "user", "content": f"question\n\nCoordinator's strategy: {STRATEGY_GOOD}"},)


def _key(answer: str | None) -> str | None:
    return None if answer is None else normalize_answer(answer, "numeric")


class _Driver:
    """Builds seeded requests and returns extracted answers."""

    def __init__(self, seed: int) -> None:
        self.backend = SimulatedBackend(seed=seed)
        self.next_seed = 0

    def answers(self, metas: Sequence[dict], temperature: float, max_tokens: int = 4096) -> list:
        reqs = []
        for meta in metas:
            self.next_seed += 1
            hints = {k: v for k, v in meta.items() if k != "strategy_good"}
            msgs = GOOD_MSGS if meta.get("strategy_good") else MSGS
            reqs.append(
                GenRequest(
                    msgs,
                    max_tokens,
                    temperature=temperature,
                    seed=self.next_seed,
                    hints=SimHints.from_mapping(hints),
                )
            )
        return [
            extract_answer(c.text, "numeric") if c.finish_reason == "stop" else None
            for c in self.backend.generate(reqs)
        ]


def executor_rows(d: _Driver, n: int) -> list[tuple[str, ...]]:
    rows = []
    for t in TEMPERATURES:
        acc = {}
        for good in (None, True):
            metas = [
                {
                    "item": ITEMS[k % 16],
                    "role": "answer",
                    "agent_index": k % N_EXECUTORS,
                    "own_answer": None,
                    "heard": (),
                    "strategy_good": good,
                }
                for k in range(n)
            ]
            got = d.answers(metas, t)
            acc[good] = sum(_key(a) == _key(metas[k]["item"].gold) for k, a in enumerate(got)) / n
        rounds = n // N_EXECUTORS
        metas = [
            {"item": ITEMS[r % 16], "role": "answer", "agent_index": i, "heard": ()}
            for r in range(rounds)
            for i in range(N_EXECUTORS)
        ]
        got = d.answers(metas, t)
        distinct = [
            len({_key(a) for a in got[r * N_EXECUTORS : (r + 1) * N_EXECUTORS]})
            for r in range(rounds)
        ]
        follow = {}
        for right in (True, False):
            metas = []
            for k in range(n):
                item = ITEMS[k % 16]
                metas.append({"item": item, "role": "answer", "agent_index": k % N_EXECUTORS})
            own = d.answers(metas, t)
            commits = []
            for k, meta in enumerate(metas):
                commit = meta["item"].gold if right else _modal_distractor(d, meta["item"])
                commits.append(commit)
                meta.update(heard=(commit,), own_answer=own[k])
            got = d.answers(metas, t)
            follow[right] = sum(_key(a) == _key(c) for a, c in zip(got, commits, strict=True)) / n
        rows.append(
            (
                f"{t:.1f}",
                f"{acc[None]:.3f}",
                f"{acc[True]:.3f}",
                f"{sum(distinct) / rounds:.2f}",
                f"{sum(x > 1 for x in distinct) / rounds:.3f}",
                f"{follow[True]:.3f}",
                f"{follow[False]:.3f}",
            )
        )
    return rows


_MODAL: dict[str, str] = {}


def _modal_distractor(d: _Driver, item: TaskItem) -> str:
    """The wrong answer a hopeless agent gives greedily (T = 0): the item's modal distractor."""
    if item.id not in _MODAL:
        hopeless = SimulatedBackend(skill=-50.0, seed=0)
        request = GenRequest(MSGS, 4096, temperature=0.0, hints=SimHints(item))
        (c,) = hopeless.generate([request])
        _MODAL[item.id] = extract_answer(c.text, "numeric")
    return _MODAL[item.id]


def commitment_rows(d: _Driver, n: int, seed: int) -> list[tuple[str, ...]]:
    rng = random.Random(seed)
    hopeless = SimulatedBackend(skill=-50.0, seed=seed + 1)
    rows = []
    for n_right in range(4):
        metas = []
        for k in range(n):
            item = ITEMS[k % 16]
            wrong = [
                extract_answer(c.text, "numeric")
                for c in hopeless.generate(
                    [GenRequest(MSGS, 4096, hints=SimHints(item)) for _ in range(3 - n_right)]
                )
            ]
            heard = [item.gold] * n_right + wrong
            rng.shuffle(heard)
            metas.append(
                {"item": item, "role": "commitment", "agent_index": -1, "heard": tuple(heard)}
            )
        got = d.answers(metas, 0.7, max_tokens=50)
        done = [(a, m) for a, m in zip(got, metas, strict=True) if a is not None]
        acc = sum(_key(a) == _key(m["item"].gold) for a, m in done) / len(done)
        rows.append((f"{n_right}/3", f"{acc:.3f}", f"{1 - len(done) / n:.3f}"))
    return rows


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    line = "  ".join("=" * w for w in widths)
    fmt = "  ".join(f"{{:>{w}}}" for w in widths)
    return "\n".join([line, fmt.format(*header), line, *(fmt.format(*r) for r in rows), line])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=4000, help="requests per measured cell")
    parser.add_argument("--seed", type=int, default=0, help="backend seed")
    args = parser.parse_args()
    start = time.perf_counter()
    d = _Driver(args.seed)
    header = ("T", "acc", "acc+hint", "distinct/4", "split", "follow_ok", "follow_bad")
    print(_table(header, executor_rows(d, args.n)))
    print()
    print(_table(("heard ok", "commit acc", "truncated"), commitment_rows(d, args.n, args.seed)))
    print(f"\n(n={args.n} per cell, seed={args.seed}, {time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main()
