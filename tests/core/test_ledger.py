"""Tests for econ_env.core.ledger: budgeted token accounting."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from econ_env.core.ledger import BudgetExceeded, LedgerEntry, Role, TokenLedger

AGENTS = ("a", "b", "c")


def test_budget_must_be_positive() -> None:
    for bad in (0, -5, 1.5, True, "10"):
        with pytest.raises(ValueError, match="budget"):
            TokenLedger(bad)  # type: ignore[arg-type]
    assert TokenLedger(np.int64(10)).budget == 10


def test_record_defaults_and_totals() -> None:
    led = TokenLedger(100)
    e = led.record("a", Role.DRAFT, 10, 5)
    assert e.billed == 15 and e.generated == 15 and e.index == 0
    e2 = led.record("b", "bid", 7, 3, billed=7, round=2, note="x")
    assert e2.role is Role.BID and e2.round == 2 and e2.note == "x"
    assert led.billed_total == 22
    assert led.generated_total == 25
    assert led.prompt_total == 17 and led.completion_total == 8
    assert led.remaining == 78
    assert led.billed_by_agent() == {"a": 15, "b": 7}
    assert led.generated_by_agent() == {"a": 15, "b": 10}
    assert led.by_role() == {Role.DRAFT: (10, 5, 15), Role.BID: (7, 3, 7)}
    assert led.entries == (e, e2)
    assert led.can_afford(78) and not led.can_afford(79)


def test_role_values_are_lowercase() -> None:
    assert [r.value for r in Role] == [r.name.lower() for r in Role]
    assert Role("judge") is Role.JUDGE


def test_refused_record_changes_nothing() -> None:
    led = TokenLedger(20)
    led.record("a", Role.DRAFT, 10, 5)
    before = (led.entries, led.billed_total, led.generated_total, led.by_role())
    with pytest.raises(BudgetExceeded) as info:
        led.record("b", Role.BROADCAST, 3, 4)
    msg = str(info.value)
    assert "requested=7" in msg and "remaining=5" in msg and "'b'" in msg and "broadcast" in msg
    assert info.value.requested == 7 and info.value.remaining == 5
    assert (led.entries, led.billed_total, led.generated_total, led.by_role()) == before
    # Unbilled generation is still allowed: the budget bounds billed tokens only.
    led.record("b", Role.REVISE, 50, 50, billed=0)
    assert led.generated_total == 115 and led.remaining == 5


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"prompt_tokens": -1}, "prompt_tokens"),
        ({"completion_tokens": 2.5}, "completion_tokens"),
        ({"billed": 100}, "billed"),
        ({"billed": -1}, "billed"),
        ({"round": -1}, "round"),
        ({"role": "shout"}, "role"),
        ({"agent": ""}, "agent"),
    ],
)
def test_invalid_records_raise_naming_field(kwargs: dict, field: str) -> None:
    led = TokenLedger(1000)
    args = {"agent": "a", "role": Role.DRAFT, "prompt_tokens": 3, "completion_tokens": 4}
    args.update(kwargs)
    with pytest.raises(ValueError, match=field):
        led.record(**args)
    assert led.entries == () and led.billed_total == 0


def test_entry_validation() -> None:
    with pytest.raises(ValueError, match="billed"):
        LedgerEntry(0, 0, "a", Role.BID, 1, 1, 3)
    with pytest.raises(ValueError, match="role"):
        LedgerEntry(0, 0, "a", "bid", 1, 1, 1)  # type: ignore[arg-type]
    assert LedgerEntry(0, 0, "a", Role.BID, 1, 1, 2).generated == 2


def test_record_many_is_atomic() -> None:
    led = TokenLedger(30)
    specs = [
        {"agent": "a", "role": "draft", "prompt_tokens": 10, "completion_tokens": 5},
        {"agent": "b", "role": "draft", "prompt_tokens": 10, "completion_tokens": 10},
    ]
    with pytest.raises(BudgetExceeded, match="requested=35"):
        led.record_many(specs)
    assert led.entries == () and led.remaining == 30
    bad = [specs[0], {"agent": "b", "role": "draft", "prompt_tokens": -1, "completion_tokens": 1}]
    with pytest.raises(ValueError, match="prompt_tokens"):
        led.record_many(bad)
    with pytest.raises(ValueError, match="entries_spec"):
        led.record_many([{"agent": "a", "role": "draft", "prompt_tokens": 1}])
    assert led.entries == ()
    out = led.record_many([specs[0], {**specs[1], "billed": 10}])
    assert [e.index for e in out] == [0, 1] and led.billed_total == 25


def test_charge_bills_an_earlier_generation() -> None:
    led = TokenLedger(100)
    d = led.record("a", Role.DRAFT, 30, 20, billed=0)
    led.record("b", Role.DRAFT, 5, 5, billed=0)
    assert led.unbilled(d.index) == 50
    c = led.charge("a", Role.BID, 30, d.index, round=1)
    assert c.ref == d.index and c.generated == 0 and c.billed == 30
    assert led.unbilled(d.index) == 20 and led.unbilled(c.index) == 0
    assert led.billed_total == 30 and led.generated_total == 60
    assert led.by_role()[Role.BID] == (0, 0, 30)
    with pytest.raises(ValueError, match="tokens"):
        led.charge("a", Role.BROADCAST, 21, d.index)
    with pytest.raises(ValueError, match="agent"):
        led.charge("b", Role.BROADCAST, 1, d.index)
    with pytest.raises(ValueError, match="ref"):
        led.charge("a", Role.BROADCAST, 1, c.index)
    with pytest.raises(ValueError, match="ref"):
        led.charge("a", Role.BROADCAST, 1, 99)
    # Atomic: the second charge overdraws the generation it bills, so neither is recorded.
    n = len(led)
    with pytest.raises(ValueError, match="tokens"):
        led.charge_many([("a", Role.BROADCAST, 15, d.index, 1), ("a", Role.BROADCAST, 6, d.index)])
    assert len(led) == n and led.billed_total == 30
    led.charge_many(
        [
            ("a", Role.BROADCAST, 20, d.index, 1),
            {"agent": "b", "role": "bid", "tokens": 5, "ref": 1},
        ]
    )
    assert led.billed_total == 55 and led.billed_by_agent() == {"a": 50, "b": 5}


def test_charge_refused_over_budget() -> None:
    led = TokenLedger(10)
    d = led.record("a", Role.DRAFT, 30, 20, billed=0)
    with pytest.raises(BudgetExceeded, match="requested=11"):
        led.charge("a", Role.BROADCAST, 11, d.index)
    assert len(led) == 1 and led.remaining == 10


def test_to_records_and_reset() -> None:
    led = TokenLedger(50)
    d = led.record("a", Role.DRAFT, 3, 4, billed=0, note="n")
    led.charge("a", Role.BROADCAST, 4, d.index)
    recs = json.loads(json.dumps(led.to_records()))
    assert recs[0]["role"] == "draft" and recs[0]["note"] == "n" and recs[0]["ref"] is None
    assert recs[1] == {
        "index": 1, "round": 0, "agent": "a", "role": "broadcast", "prompt_tokens": 0,
        "completion_tokens": 0, "billed": 4, "note": "", "ref": 0,
    }  # fmt: skip
    led.reset()
    assert led.entries == () and led.remaining == 50 and led.generated_total == 0
    assert led.by_role() == {} and led.billed_by_agent() == {}


counts = st.integers(0, 40)


class LedgerMachine(RuleBasedStateMachine):
    """Random sequences of record / record_many / charge attempts against a reference model."""

    def __init__(self) -> None:
        super().__init__()
        self.budget = 200
        self.led = TokenLedger(self.budget)
        self.model: list[LedgerEntry] = []

    def _snapshot(self) -> tuple:
        led = self.led
        return (
            led.entries, led.billed_total, led.generated_total, led.prompt_total,
            led.completion_total, led.billed_by_agent(), led.generated_by_agent(), led.by_role(),
        )  # fmt: skip

    def _attempt(self, fn, *args) -> None:  # type: ignore[no-untyped-def]
        before = self._snapshot()
        try:
            out = fn(*args)
        except (BudgetExceeded, ValueError):
            assert self._snapshot() == before
            return
        self.model.extend(out if isinstance(out, list) else [out])

    @rule(agent=st.sampled_from(AGENTS), role=st.sampled_from(list(Role)), p=counts, c=counts,
          frac=st.floats(0, 1.2))  # fmt: skip
    def record(self, agent: str, role: Role, p: int, c: int, frac: float) -> None:
        self._attempt(self.led.record, agent, role, p, c, int(frac * (p + c)))

    @rule(specs=st.lists(st.tuples(st.sampled_from(AGENTS), counts, counts), max_size=4))
    def record_many(self, specs: list[tuple[str, int, int]]) -> None:
        spec = [
            {"agent": a, "role": Role.DRAFT, "prompt_tokens": p, "completion_tokens": c}
            for a, p, c in specs
        ]
        self._attempt(self.led.record_many, spec)

    @precondition(lambda self: len(self.model) > 0)
    @rule(data=st.data(), tokens=st.integers(0, 60))
    def charge(self, data: st.DataObject, tokens: int) -> None:
        ref = data.draw(st.integers(0, len(self.model) - 1))
        agent = data.draw(st.sampled_from([self.model[ref].agent, *AGENTS]))
        self._attempt(self.led.charge, agent, Role.BROADCAST, tokens, ref)

    @invariant()
    def totals_consistent(self) -> None:
        led = self.led
        assert led.entries == tuple(self.model)
        assert led.remaining >= 0
        assert led.billed_total <= self.budget
        assert led.billed_total <= led.generated_total
        assert led.billed_total == sum(e.billed for e in self.model)
        assert led.generated_total == sum(e.generated for e in self.model)
        assert sum(led.billed_by_agent().values()) == led.billed_total
        assert sum(led.generated_by_agent().values()) == led.generated_total
        assert sum(v[2] for v in led.by_role().values()) == led.billed_total
        for agent, billed in led.billed_by_agent().items():
            assert billed <= led.generated_by_agent()[agent]
        for e in self.model:
            if e.ref is None:
                charged = e.billed + sum(x.billed for x in self.model if x.ref == e.index)
                assert charged <= e.generated


TestLedgerMachine = LedgerMachine.TestCase
TestLedgerMachine.settings = settings(max_examples=100, stateful_step_count=25, deadline=None)
