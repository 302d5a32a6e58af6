"""The sim-to-real study's regime part: issue 14's regimes on a real model.

The main study (:mod:`econ_env.fidelity.study`) plays the plain auction and debate. The regimes
that make communication pay change what a model does, and the simulator has fields for them
that the main study cannot identify:

- ``asymmetric`` (Optima-style split facts, :mod:`econ_env.tasks.split_facts`): each of three
  bidders holds one of an item's three facts, and by the env's knowledge model a broadcast (full
  or summary) hands the speaker's facts to the listeners. The simulator's ``fact_weight`` is the
  logit penalty of a missing fact.
- ``two_facts``: the same with two facts per item (one bidder holds none): Qwen2.5-Coder-0.5B
  solves too few three-fact items with every fact for the penalty of a missing one to show.
- ``two_facts_carried`` / ``asymmetric_carried``: the split-facts parts with ``carry_facts=True``:
  a revision prompt lists every fact its bidder heard, so the real model reads the facts the
  knowledge model says it learned (without it, a real listener only reads the speaker's draft,
  which states the speaker's own numbers among invented ones). The vote plays the same drafts
  as the parts without carrying.
- ``one_expert``: the main study's items with a real expert among real novices: the study's
  model plays the last seat, a smaller one (SmolLM2-135M on the shipped run) the other two. The
  simulator's version gives each seat its fitted skill.
- ``tiered`` (DALA's message tiers): every draft and revision is compressed into a summary and
  keywords by the model itself, and the bidders broadcast one tier. The simulator's
  ``tier_length`` (a compression's length over its draft's) and ``tier_influence`` (how much a
  shorter message persuades) are its fields.

:data:`REGIME_STUDIES` names each regime part's :class:`~econ_env.fidelity.study.StudyConfig`
and policies; :func:`run_regime_study` plays one with any backend (the same runner as the main
study, so drafts that several policies share are cache hits). The ``tiered`` part plays the
main study's arithmetic items with the same env seeds, so its drafts are the main study's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from econ_env.calibration.types import TraceRow
from econ_env.envs.auction.tiers import TIERS
from econ_env.fidelity.study import EpisodeRecord, StudyConfig, StudyPolicy, run_study
from econ_env.llm.base import Backend
from econ_env.llm.routed import RoutedBackend

__all__ = ["REGIME_STUDIES", "RegimeStudy", "run_regime_study"]

_AUCTION = {"n_agents": 3, "max_rounds": 2, "max_draft_tokens": 256}


@dataclass(frozen=True)
class RegimeStudy:
    """One regime part: its config (task, items, env settings) and policies; ``novices`` are
    the seats a second, weaker model plays on a real backend (``run_regime_study``'s
    ``novice_backend``)."""

    name: str
    config: StudyConfig
    policies: tuple[StudyPolicy, ...]
    novices: tuple[int, ...] = ()


REGIME_STUDIES: dict[str, RegimeStudy] = {
    "asymmetric": RegimeStudy(
        "asymmetric",
        StudyConfig(
            task="split_facts",
            task_kwargs={"n_facts": 3},
            n_items={"auction_v0": 30},
            env_kwargs={"auction_v0": {**_AUCTION, "budget": 4096}},
        ),
        (
            StudyPolicy("single agent (all three facts)", "auction_v0", "silent", {"n_agents": 1}),
            StudyPolicy("vote (silent), three facts", "auction_v0", "silent"),
            StudyPolicy("truthful, three facts", "auction_v0", "truthful"),
            StudyPolicy("round-robin, three facts", "auction_v0", "round_robin"),
        ),
    ),
    "two_facts": RegimeStudy(
        "two_facts",
        StudyConfig(
            task="split_facts",
            task_kwargs={"n_facts": 2},
            n_items={"auction_v0": 30},
            env_kwargs={"auction_v0": {**_AUCTION, "budget": 4096}},
        ),
        (
            StudyPolicy("single agent (both facts)", "auction_v0", "silent", {"n_agents": 1}),
            StudyPolicy("vote (silent), two facts", "auction_v0", "silent"),
            StudyPolicy("truthful, two facts", "auction_v0", "truthful"),
            StudyPolicy("round-robin, two facts", "auction_v0", "round_robin"),
        ),
    ),
    "two_facts_carried": RegimeStudy(
        "two_facts_carried",
        StudyConfig(
            task="split_facts",
            task_kwargs={"n_facts": 2},
            n_items={"auction_v0": 30},
            env_kwargs={"auction_v0": {**_AUCTION, "budget": 4096, "carry_facts": True}},
        ),
        (
            StudyPolicy("vote (silent), two facts carried", "auction_v0", "silent"),
            StudyPolicy("truthful, two facts carried", "auction_v0", "truthful"),
            StudyPolicy("round-robin, two facts carried", "auction_v0", "round_robin"),
        ),
    ),
    "asymmetric_carried": RegimeStudy(
        "asymmetric_carried",
        StudyConfig(
            task="split_facts",
            task_kwargs={"n_facts": 3},
            n_items={"auction_v0": 30},
            env_kwargs={"auction_v0": {**_AUCTION, "budget": 4096, "carry_facts": True}},
        ),
        (
            StudyPolicy("vote (silent), three facts carried", "auction_v0", "silent"),
            StudyPolicy("truthful, three facts carried", "auction_v0", "truthful"),
            StudyPolicy("round-robin, three facts carried", "auction_v0", "round_robin"),
        ),
    ),
    "one_expert": RegimeStudy(
        "one_expert",
        StudyConfig(n_items={"auction_v0": 30}, env_kwargs={"auction_v0": dict(_AUCTION)}),
        (
            StudyPolicy("vote (silent), one expert", "auction_v0", "silent"),
            StudyPolicy("truthful, one expert", "auction_v0", "truthful"),
            StudyPolicy("always (MAD), one expert", "auction_v0", "always"),
            StudyPolicy("round-robin, one expert", "auction_v0", "round_robin"),
        ),
        novices=(0, 1),
    ),
    "tiered": RegimeStudy(
        "tiered",
        StudyConfig(
            n_items={"auction_v0": 30},
            env_kwargs={"auction_v0": {**_AUCTION, "tiers": TIERS}},
        ),
        (
            StudyPolicy(
                "truthful, summary", "auction_v0", "econ_env_baselines.auction:TruthfulSummary"
            ),
            StudyPolicy(
                "truthful, keywords", "auction_v0", "econ_env_baselines.auction:TruthfulKeywords"
            ),
        ),
    ),
}
"""The regime parts of the shipped study (items per part sized to the 2-core CPU: see
docs/fidelity.md)."""


def run_regime_study(
    backend: Backend,
    name: str,
    *,
    n_items: int | None = None,
    novice_backend: Backend | None = None,
    parallel: int = 8,
    progress: Callable[[str], None] | None = None,
) -> tuple[list[EpisodeRecord], dict[str, list[TraceRow]]]:
    """Play regime part ``name`` of :data:`REGIME_STUDIES` on ``backend`` (its first ``n_items``
    items; default the part's own count): the episodes and the trace rows per policy label.

    ``novice_backend`` plays the part's ``novices`` seats (a :class:`RoutedBackend` sends their
    requests to it, every other seat's to ``backend``); without it ``backend`` plays every seat
    (a simulated backend gives the seats their skills through ``SimParams.skill``).
    """
    if name not in REGIME_STUDIES:
        raise ValueError(f"unknown regime study {name!r}; one of {sorted(REGIME_STUDIES)}")
    study = REGIME_STUDIES[name]
    if novice_backend is not None and study.novices:
        backend = RoutedBackend(backend, {i: novice_backend for i in study.novices})
    config = study.config
    if n_items is not None:
        if isinstance(n_items, bool) or not isinstance(n_items, int) or n_items < 1:
            raise ValueError(f"n_items must be an int >= 1, got {n_items!r}")
        config = StudyConfig(**{**config.__dict__, "n_items": {"auction_v0": n_items}})
    return run_study(
        backend, config=config, policies=study.policies, parallel=parallel, progress=progress
    )
