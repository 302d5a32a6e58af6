"""The sim-to-real study: the same policies, items and seeds on a real model and on the simulator.

:data:`STUDY_POLICIES` lists the policies compared (label, game, registered policy name, config
overrides); :class:`StudyConfig` fixes the task, the items (drawn from the task with
``item_seed``), the env configs and how many items each game plays. :func:`run_study` plays
every policy on the first ``n_items`` items of its game with any backend through
:func:`econ_env.calibration.record_plan` (episode ``e`` is reset with seed ``item_seed + e``, so
every policy of a game sees the same items and env seeds, and drafts that several policies
share are the same requests: cache hits on a real model) and returns one
:class:`EpisodeRecord` per episode plus the trace rows of every completion.

A real run goes through the SQLite cache (``cache:llamacpp:qwen2.5-coder-0.5b`` with a
``path``); ``mode="replay"`` replays it without the model, bit for bit (``make sim-to-real``).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from econ_env.calibration.record import record_plan
from econ_env.calibration.types import TraceRow
from econ_env.envs.auction.config import AuctionConfig
from econ_env.llm.base import Backend
from econ_env.tasks.registry import make_task

__all__ = [
    "STUDY_POLICIES",
    "EpisodeRecord",
    "StudyConfig",
    "StudyPolicy",
    "load_episodes",
    "run_study",
    "save_episodes",
    "study_items",
]


@dataclass(frozen=True)
class StudyPolicy:
    """One compared policy: ``label`` (unique), ``game``, a registered ``policy`` name of that
    game (or ``module:Class``) and config ``overrides`` on top of the study's game config."""

    label: str
    game: str
    policy: str
    overrides: Mapping[str, Any] = field(default_factory=dict)


STUDY_POLICIES: tuple[StudyPolicy, ...] = (
    StudyPolicy("single agent", "auction_v0", "silent", {"n_agents": 1}),
    StudyPolicy("vote (silent)", "auction_v0", "silent"),
    StudyPolicy("truthful", "auction_v0", "truthful"),
    StudyPolicy("always (MAD)", "auction_v0", "always"),
    StudyPolicy("round-robin", "auction_v0", "round_robin"),
    StudyPolicy("α-REINFORCE (trained on sim)", "auction_v0", "econ_env_agents.fidelity:alpha"),
    StudyPolicy("neutral", "debate_v0", "neutral"),
    StudyPolicy("conservative", "debate_v0", "conservative"),
    StudyPolicy("exploratory", "debate_v0", "exploratory"),
    StudyPolicy("round-robin beliefs", "debate_v0", "round_robin"),
    StudyPolicy("ECON (trained on sim)", "debate_v0", "econ_env_agents.fidelity:econ"),
)
"""The policies of the shipped study: auction_v0 bidders and debate_v0 beliefs, fixed and trained
on the simulator (``econ_env_agents.fidelity``, weights from ``benchmarks/sim_to_real_agents.py``;
``econ_env`` never imports them, :func:`econ_env.make_policy` loads them by name)."""


@dataclass(frozen=True)
class StudyConfig:
    """What the study plays: task, items, env configs (the registry's calibration configs; the
    debate plays one round with a longer commitment cap, see docs/fidelity.md) and items per game
    (the defaults are the shipped real run's)."""

    task: str = "arithmetic"
    task_kwargs: Mapping[str, Any] = field(
        default_factory=lambda: {"max_terms": 3, "max_digits": 2}
    )
    item_seed: int = 2026
    n_items: Mapping[str, int] = field(default_factory=lambda: {"auction_v0": 60, "debate_v0": 60})
    env_kwargs: Mapping[str, Mapping[str, Any]] = field(
        default_factory=lambda: {
            "auction_v0": {"n_agents": 3, "max_rounds": 2, "max_draft_tokens": 256},
            "debate_v0": {
                "n_agents": 3,
                "max_rounds": 1,
                "max_answer_tokens": 256,
                "commitment_cap": 96,
                "embedder": "hashed",
            },
        }
    )

    def to_dict(self) -> dict[str, Any]:
        """JSON data of the config."""
        return json.loads(json.dumps(dataclasses.asdict(self)))

    def costs(self) -> dict[str, tuple[float, int]]:
        """``{game: (cost_weight, budget)}`` of the games whose team return is
        ``correct - cost_weight * billed / budget``: auction_v0's team reward, with this
        config's env settings (the debate's ECON reward is not of that form)."""
        if "auction_v0" not in self.env_kwargs:
            return {}
        cfg = AuctionConfig(**dict(self.env_kwargs["auction_v0"]))
        if cfg.reward is not None or cfg.reward_mode != "team":
            return {}
        return {"auction_v0": (float(cfg.cost_weight), int(cfg.budget))}


@dataclass(frozen=True)
class EpisodeRecord:
    """One played episode of the study."""

    label: str
    game: str
    episode: int
    seed: int
    item_id: str
    correct: bool
    billed_tokens: int
    generated_tokens: int

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EpisodeRecord:
        """Rebuild from :func:`dataclasses.asdict` output (``ValueError`` naming a bad field)."""
        names = {f.name for f in dataclasses.fields(cls)}
        if set(data) != names:
            raise ValueError(f"episode record fields must be {sorted(names)}, got {sorted(data)}")
        for name in ("episode", "seed", "billed_tokens", "generated_tokens"):
            if isinstance(data[name], bool) or not isinstance(data[name], int) or data[name] < 0:
                raise ValueError(f"episode record field {name!r} must be an int >= 0")
        if not isinstance(data["correct"], bool):
            raise ValueError("episode record field 'correct' must be a bool")
        return cls(**data)


def study_items(config: StudyConfig) -> list[str]:
    """The study's item ids, in order (the longest game plays them all)."""
    source = make_task(config.task, **dict(config.task_kwargs))
    rng = np.random.default_rng(config.item_seed)
    return [source.sample(rng).id for _ in range(max(config.n_items.values()))]


def run_study(
    backend: Backend,
    *,
    config: StudyConfig | None = None,
    policies: Sequence[StudyPolicy] = STUDY_POLICIES,
    parallel: int = 8,
    item_chunk: int = 10,
    progress: Callable[[str], None] | None = None,
) -> tuple[list[EpisodeRecord], dict[str, list[TraceRow]]]:
    """Play ``policies`` on ``backend`` (see the module docstring).

    Items are played in chunks of ``item_chunk`` for every policy before the next chunk, so an
    interrupted real run has every policy on the same first items. Returns the episodes (in
    policy order, then episode order) and the trace rows per policy label.
    """
    config = config or StudyConfig()
    labels = [p.label for p in policies]
    if len(set(labels)) != len(labels):
        raise ValueError(f"policies: labels must be unique, got {labels}")
    source = make_task(config.task, **dict(config.task_kwargs))
    items = study_items(config)
    episodes: dict[str, list[EpisodeRecord]] = {p.label: [] for p in policies}
    traces: dict[str, list[TraceRow]] = {p.label: [] for p in policies}
    longest = max(config.n_items.get(p.game, 0) for p in policies)
    for start in range(0, longest, item_chunk):
        for pol in policies:
            stop = min(start + item_chunk, config.n_items.get(pol.game, 0))
            if stop <= start:
                continue
            plan = [(e, config.item_seed + e, items[e]) for e in range(start, stop)]
            got: list[EpisodeRecord] = []

            def keep(
                game: str,
                episode: int,
                seed: int,
                item_id: str,
                info: Mapping[str, Any],
                pol: StudyPolicy = pol,
                got: list[EpisodeRecord] = got,
            ) -> None:
                got.append(
                    EpisodeRecord(
                        label=pol.label,
                        game=game,
                        episode=episode,
                        seed=seed,
                        item_id=item_id,
                        correct=bool(info["correct"]),
                        billed_tokens=int(info["billed_tokens"]),
                        generated_tokens=int(info["generated_tokens"]),
                    )
                )

            kwargs = {**dict(config.env_kwargs.get(pol.game, {})), **dict(pol.overrides)}
            rows = record_plan(
                backend,
                {pol.game: plan},
                source,
                env_kwargs={pol.game: kwargs},
                policies={pol.game: pol.policy},
                parallel=parallel,
                on_episode=keep,
            )
            episodes[pol.label].extend(sorted(got, key=lambda r: r.episode))
            traces[pol.label].extend(rows)
            if progress is not None:
                acc = np.mean([r.correct for r in episodes[pol.label]])
                progress(
                    f"{pol.label}: items {start}-{stop - 1} done, {len(rows)} completions, "
                    f"accuracy so far {acc:.3f} ({len(episodes[pol.label])} episodes)"
                )
    return [r for p in policies for r in episodes[p.label]], traces


def save_episodes(path: str | Path, episodes: Sequence[EpisodeRecord], meta: Mapping) -> None:
    """Write episodes as JSONL under a ``{"_meta": ...}`` header line."""
    lines = [json.dumps({"_meta": dict(meta)})]
    lines += [json.dumps(dataclasses.asdict(r)) for r in episodes]
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


def load_episodes(path: str | Path) -> tuple[list[EpisodeRecord], dict[str, Any]]:
    """Read a file written by :func:`save_episodes` (``ValueError`` naming the line)."""
    out, meta = [], {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                if isinstance(data, dict) and "_meta" in data:
                    meta = data["_meta"]
                else:
                    out.append(EpisodeRecord.from_dict(data))
            except (json.JSONDecodeError, ValueError, TypeError) as err:
                raise ValueError(f"{path}:{n}: {err}") from None
    return out, meta
