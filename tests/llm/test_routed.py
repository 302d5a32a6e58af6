"""Tests of the routed backend (econ_env.llm.routed): per-agent routing in one batched call per
sub-backend, request order, identity, building from team model specs, and an auction episode
with one agent on a real llama.cpp server (SmolLM2) and the others simulated."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import econ_env
from econ_env.core.ledger import Role
from econ_env.llm.base import BackendError, Completion, GenRequest, SimHints
from econ_env.llm.cache_keys import request_key
from econ_env.llm.openai_backend import OpenAIBackend
from econ_env.llm.routed import RoutedBackend, config_backend, team_backend
from econ_env.llm.simulated import SimulatedBackend
from econ_env.models import smollm2_gguf
from econ_env.tasks.base import TaskItem
from econ_env.testing.llama_server import llama_server

ITEM = TaskItem("t/1", "What is 12 + 30?", "42", "numeric", {"difficulty": 0.5})


class Recording:
    """A backend wrapper recording every batch it is given."""

    def __init__(self, inner: SimulatedBackend) -> None:
        self.inner = inner
        self.name = f"rec:{inner.seed}"
        self.identity = inner.identity
        self.batches: list[list[GenRequest]] = []

    def generate(self, requests: Sequence[GenRequest]) -> list[Completion]:
        self.batches.append(list(requests))
        return self.inner.generate(requests)


def req(agent: int | None, seed: int) -> GenRequest:
    hints = None if agent is None else SimHints(ITEM, Role.DRAFT, agent)
    msgs = ({"role": "user", "content": f"{ITEM.question} (seat {agent})"},)
    return GenRequest(msgs, 64, seed=seed, hints=hints)


def test_each_agent_is_answered_by_its_backend_in_one_batch_per_backend_and_in_order():
    default = Recording(SimulatedBackend(seed=0))
    expert = Recording(SimulatedBackend(seed=1, skill=6.0, length_mu=2.0))
    routed = RoutedBackend(default, {1: expert, 3: expert})
    agents = [0, 1, None, 3, 1, -1, 2, 3] * 3
    requests = [req(a, seed) for seed, a in enumerate(agents)]
    out = routed.generate(requests)
    assert len(default.batches) == 1 and len(expert.batches) == 1  # one batch per backend
    mine = [r for r, a in zip(requests, agents, strict=True) if a in (1, 3)]
    assert expert.batches[0] == mine  # request order kept inside the batch
    assert default.batches[0] == [r for r in requests if r not in mine]
    for r, a, c in zip(requests, agents, out, strict=True):  # and in the returned list
        owner = expert.inner if a in (1, 3) else default.inner
        other = default.inner if a in (1, 3) else expert.inner
        assert c == owner.generate([r])[0]
        assert c != other.generate([r])[0]  # the two models really differ on every request
    # no requests for a backend: no call at all
    routed.generate([req(0, 5)])
    assert len(expert.batches) == 1 and len(default.batches) == 2


@given(
    st.lists(st.sampled_from([None, -1, 0, 1, 2, 3]), max_size=12),
    st.sets(st.integers(0, 3)),
    st.sets(st.integers(0, 3)),
)
def test_routing_matches_each_owner_alone_for_any_assignment(agents, to_b, to_c):
    a, b, c = SimulatedBackend(seed=0), SimulatedBackend(seed=1), SimulatedBackend(seed=2)
    routes = {i: b for i in to_b} | {i: c for i in to_c - to_b}
    recs = {k: Recording(x) for k, x in (("a", a), ("b", b), ("c", c))}
    by_obj = {id(a): recs["a"], id(b): recs["b"], id(c): recs["c"]}
    routed = RoutedBackend(recs["a"], {i: by_obj[id(x)] for i, x in routes.items()})
    requests = [req(ag, seed) for seed, ag in enumerate(agents)]
    out = routed.generate(requests)
    assert len(out) == len(requests)
    for r, ag, comp in zip(requests, agents, out, strict=True):
        assert comp == routes.get(ag, a).generate([r])[0]
    for rec in recs.values():
        assert len(rec.batches) <= 1
        if rec.batches:  # its requests in their original order
            assert rec.batches[0] == [r for r in requests if routed.backend_of(r) is rec]


def test_sim_hints_skill_replaces_the_agents_skill():
    sim = SimulatedBackend(seed=0)

    def accuracy(skill):
        hits = 0
        for seed in range(200):
            r = GenRequest(({"role": "user", "content": ITEM.question},), 4096, seed=seed,
                           hints=SimHints(ITEM, Role.DRAFT, 1, skill=skill))  # fmt: skip
            hits += "\\boxed{42}" in sim.generate([r])[0].text
        return hits / 200

    assert accuracy(8.0) > 0.95 and accuracy(-8.0) < 0.05
    same = sim.params.skill_of(1)
    for seed in range(20):  # the agent's own skill given explicitly: the same completion
        plain = GenRequest((), 64, seed=seed, hints=SimHints(ITEM, Role.DRAFT, 1))
        given_ = GenRequest((), 64, seed=seed, hints=SimHints(ITEM, Role.DRAFT, 1, skill=same))
        assert sim.generate([plain]) == sim.generate([given_])
    for bad in (float("nan"), float("inf"), True, "1"):
        with pytest.raises(ValueError, match=r"SimHints\.skill"):
            SimHints(ITEM, skill=bad)
    assert SimHints(ITEM, skill=np.float32(1.5)).skill == 1.5


def test_identity_combines_the_sub_backends_and_the_agents_they_serve():
    a, b = SimulatedBackend(seed=0), SimulatedBackend(seed=1)
    ident = RoutedBackend(a, {2: b}).identity
    assert ident["default"] == a.identity
    assert ident["routes"] == [{"agents": [2], "identity": b.identity}]
    r = req(2, 0)
    keys = {
        request_key(RoutedBackend(a, {2: b}).identity, r),
        request_key(RoutedBackend(a, {1: b}).identity, r),
        request_key(RoutedBackend(a, {2: SimulatedBackend(seed=2)}).identity, r),
        request_key(a.identity, r),
    }
    assert len(keys) == 4
    assert request_key(RoutedBackend(a, {2: b}).identity, r) == request_key(
        RoutedBackend(SimulatedBackend(seed=0), {2: SimulatedBackend(seed=1)}).identity, r
    )


def test_team_backend_builds_one_backend_per_distinct_spec():
    default = SimulatedBackend(seed=0)
    assert team_backend(default, [None, None]) is default
    assert team_backend(default, []) is default
    routed = team_backend(default, ["simulated:4", None, "simulated:4", "simulated:9"])
    assert isinstance(routed, RoutedBackend)
    assert routed.agents[0] is routed.agents[2] and routed.agents[0] is not routed.agents[3]
    assert routed.agents[0].seed == 4 and routed.agents[3].seed == 9 and 1 not in routed.agents
    assert len(routed.backends) == 3
    with pytest.raises(ValueError, match=r"team\[1\]\.model='nosuch:x'"):
        team_backend(default, [None, "nosuch:x"])
    with pytest.raises(ValueError, match=r"team\[0\]\.model='simulated:abc'"):
        team_backend(default, ["simulated:abc"])


def test_bad_constructor_arguments_raise():
    b = SimulatedBackend()
    with pytest.raises(ValueError, match="default"):
        RoutedBackend(object(), {})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="agent indices"):
        RoutedBackend(b, {-1: b})
    with pytest.raises(ValueError, match="agent 0"):
        RoutedBackend(b, {0: object()})  # type: ignore[dict-item]


def test_a_sub_backend_that_answers_wrongly_is_named():
    class Short:
        name = "short"

        def generate(self, requests):
            return []

    routed = RoutedBackend(SimulatedBackend(), {1: Short()})
    with pytest.raises(BackendError, match="'short' returned 0 completions for 1 requests"):
        routed.generate([req(0, 0), req(1, 1)])


def test_config_backend_routes_only_when_the_team_names_models():
    from econ_env.envs.auction.config import make_config

    assert isinstance(config_backend(make_config()), SimulatedBackend)
    assert isinstance(config_backend(make_config(team="one_expert")), SimulatedBackend)
    cfg = make_config(team=[{}, {"model": "simulated:3"}, {}], backend_kwargs={"seed": 8})
    routed = config_backend(cfg)
    assert isinstance(routed, RoutedBackend)
    assert routed.default.seed == 8 and routed.agents[1].seed == 3


# ---------------------------------------------------------------- a real model for one agent
@pytest.fixture(scope="module")
def url():
    """One real llama.cpp server (SmolLM2) for the module."""
    with llama_server(smollm2_gguf(), n_ctx=2048) as base_url:
        yield base_url


def test_auction_episode_with_one_agent_on_a_real_model(url):
    env = econ_env.auction_v0.parallel_env(
        n_agents=3,
        max_rounds=2,
        max_draft_tokens=8,
        budget=4096,
        stop_on_consensus=False,
        team=[{}, {"model": f"openai:{url}", "system_prompt": "Answer in one line."}, {}],
    )
    routed = env.backend
    assert isinstance(routed, RoutedBackend) and isinstance(routed.agents[1], OpenAIBackend)
    seen: list[list[GenRequest]] = []
    real = routed.agents[1]
    inner = real.generate

    def recording(requests):
        seen.append(list(requests))
        return inner(requests)

    real.generate = recording  # type: ignore[method-assign]
    env.reset(seed=3)
    bid = np.ones(env.action_space("bidder_0").shape, dtype=np.float32)
    while env.agents:
        env.step({a: bid for a in env.agents})
    game = env.game
    assert game.stop_reason is not None and game.round >= 1
    # the real model got exactly bidder_1's requests, with its system prompt
    assert seen and all(len(batch) == 1 for batch in seen)
    for (r,) in seen:
        assert r.hints.agent_index == 1
        assert r.messages[0]["content"].endswith("\n\nAnswer in one line.")
    calls = [e for e in game.ledger.entries if e.agent == "bidder_1" and e.ref is None]
    assert len(calls) == len(seen)
    drafts = [m for m in game.transcript.messages if m.speaker == "bidder_1"]
    assert drafts and all(m.tokens <= 8 for m in drafts)
    # the simulated agents wrote the simulated model's text, never the system prompt
    for m in game.transcript.messages:
        assert "Answer in one line." not in m.text or m.speaker == "bidder_1"
