"""The request contract validates its fields and its simulation hints (``SimHints``; the
deprecated ``meta`` mapping warns and converts); a backend returning the wrong count is caught."""

import pytest

from econ_env.core.ledger import Role
from econ_env.llm.base import Completion, GenRequest, SimHints, generate_checked
from econ_env.tasks.base import TaskItem


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"max_tokens": 0}, "max_tokens"),
        ({"temperature": -0.1}, "temperature"),
        ({"top_p": 0.0}, "top_p"),
        ({"repetition_penalty": 0.9}, "repetition_penalty"),
    ],
)
def test_request_fields_are_validated(kwargs, field):
    base = {"messages": ({"role": "user", "content": "hi"},), "max_tokens": 8}
    with pytest.raises(ValueError, match=field):
        GenRequest(**{**base, **kwargs})


class ShortBackend:
    name = "short"

    def generate(self, requests):
        return [Completion("x", 1, 1, -0.1, 0.1)] * (len(requests) - 1)


def test_generate_checked_names_a_backend_that_drops_requests():
    reqs = [GenRequest(({"role": "user", "content": "q"},), 4)] * 3
    with pytest.raises(RuntimeError, match="'short' returned 2 completions for 3 requests"):
        generate_checked(ShortBackend(), reqs)


# --------------------------------------------------------------------------- simulation hints
ITEM = TaskItem("t/1", "What is 2 + 3?", "5", "numeric")
MSGS = ({"role": "user", "content": ITEM.question},)


def test_hints_accept_a_role_or_its_value_and_normalise_heard():
    h = SimHints(item=ITEM, role="revise", agent_index=2, own_answer="4", heard=["5", None])
    assert h.role is Role.REVISE and h.heard == ("5", None)
    assert SimHints(role=Role.COMMITMENT, agent_index=-1).role is Role.COMMITMENT
    assert SimHints() == SimHints(item=None, role=Role.DRAFT, agent_index=0)


def test_a_bad_role_is_rejected_naming_the_allowed_roles():
    with pytest.raises(ValueError, match="reviser") as err:
        SimHints(role="reviser")
    for role in Role:
        assert repr(role.value) in str(err.value)


@pytest.mark.parametrize("index", [-2, -100])
def test_agent_index_below_the_coordinator_is_rejected(index):
    with pytest.raises(ValueError, match=f"agent_index must be >= -1, got {index}"):
        SimHints(agent_index=index)


@pytest.mark.parametrize("index", [1.0, "0", True, None])
def test_agent_index_must_be_an_int(index):
    with pytest.raises(ValueError, match="agent_index must be an int"):
        SimHints(agent_index=index)


def test_hints_must_be_sim_hints():
    with pytest.raises(ValueError, match="SimHints"):
        GenRequest(MSGS, 8, hints={"item": ITEM})  # type: ignore[arg-type]


def test_meta_warns_and_converts_to_hints():
    meta = {"item": ITEM, "role": "answer", "agent_index": 1, "own_answer": "4", "heard": ["5"]}
    with pytest.warns(DeprecationWarning, match=r"meta=\.\.\.\) is deprecated.*SimHints"):
        req = GenRequest(MSGS, 8, seed=3, meta=meta)
    want = SimHints(item=ITEM, role=Role.ANSWER, agent_index=1, own_answer="4", heard=("5",))
    assert req.hints == want
    assert req == GenRequest(MSGS, 8, seed=3, hints=req.hints)
    with pytest.warns(DeprecationWarning):
        assert GenRequest(MSGS, 8, meta={}).hints is None


@pytest.mark.parametrize("key", ["strategy_good", "agent", "item_id"])
def test_meta_with_an_unknown_key_raises_naming_it(key):
    with pytest.warns(DeprecationWarning), pytest.raises(ValueError, match=repr(key)):
        GenRequest(MSGS, 8, meta={"item": ITEM, key: True})


def test_meta_and_hints_together_are_refused():
    with pytest.warns(DeprecationWarning), pytest.raises(ValueError, match="not both"):
        GenRequest(MSGS, 8, hints=SimHints(item=ITEM), meta={"item": ITEM})


def test_hints_do_not_take_part_in_request_equality():
    a = GenRequest(MSGS, 8, seed=1, hints=SimHints(item=ITEM, agent_index=0))
    b = GenRequest(MSGS, 8, seed=1, hints=SimHints(item=ITEM, agent_index=2, role="revise"))
    assert a == b and a != GenRequest(MSGS, 8, seed=2, hints=a.hints)
