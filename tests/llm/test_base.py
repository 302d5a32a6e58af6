"""The request contract validates its fields and its simulation hints (``SimHints``; the
deprecated ``meta`` mapping warns and converts); a backend returning the wrong count, or any
invalid completion, is caught by ``generate_checked`` with a ``BackendError`` naming it."""

import math
import pickle
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from econ_env.core.ledger import Role
from econ_env.llm.base import (
    FINISH_REASONS,
    BackendError,
    BackendUnavailable,
    Completion,
    GenRequest,
    SimHints,
    generate_checked,
)
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


# --------------------------------------------------------------------------- completion checks
GOOD = Completion("ok", 3, 4, -0.5, 0.25)
REQ = GenRequest(({"role": "user", "content": "q"},), 8)


class Fixed:
    """A backend answering every batch with the given completions."""

    name = "fixed"

    def __init__(self, *completions):
        self.completions = list(completions)

    def generate(self, requests):
        return list(self.completions)


@pytest.mark.parametrize(
    ("bad", "field", "allowed"),
    [
        (replace(GOOD, text=None), "text", "must be a str"),
        (replace(GOOD, text=b"ok"), "text", "must be a str"),
        (replace(GOOD, prompt_tokens=-1), "prompt_tokens", ">= 0, got -1"),
        (replace(GOOD, prompt_tokens=3.0), "prompt_tokens", "an int >= 0, got 3.0"),
        (replace(GOOD, prompt_tokens=True), "prompt_tokens", "an int >= 0, got True"),
        (replace(GOOD, completion_tokens=-2), "completion_tokens", ">= 0, got -2"),
        (replace(GOOD, completion_tokens=10), "completion_tokens", r"\[0, 9\].*got 10"),
        (replace(GOOD, mean_logprob=math.nan), "mean_logprob", r"finite number in \(-inf, 0\]"),
        (replace(GOOD, mean_logprob=-math.inf), "mean_logprob", "finite"),
        (replace(GOOD, mean_logprob=0.1), "mean_logprob", "got 0.1"),
        (replace(GOOD, mean_logprob="-0.5"), "mean_logprob", "finite number"),
        (replace(GOOD, mean_entropy=-0.01), "mean_entropy", r"\[0, inf\), got -0.01"),
        (replace(GOOD, mean_entropy=math.inf), "mean_entropy", "finite"),
        (replace(GOOD, finish_reason="eos"), "finish_reason", r"one of \['stop', 'length'\]"),
        ("not a completion", "is a str", "not a Completion"),
    ],
)
def test_generate_checked_names_backend_request_field_and_range(bad, field, allowed):
    with pytest.raises(BackendError, match=rf"'fixed' .*request 1: .*{field}.*{allowed}") as info:
        generate_checked(Fixed(GOOD, bad, GOOD), [REQ] * 3)
    assert info.value.backend == "'fixed'"


def test_generate_checked_allows_the_stop_token_and_numpy_numbers():
    edge = Completion("", 0, 9, -0.0, 0.0, "length")  # max_tokens 8 + the stop token
    assert generate_checked(Fixed(edge), [REQ]) == [edge]
    np_numbers = Completion("x", np.int64(3), np.int32(2), np.float32(-0.5), np.float64(0.1))
    assert generate_checked(Fixed(np_numbers), [REQ]) == [np_numbers]


def test_backend_errors_pickle_and_unavailable_is_one():
    err = pickle.loads(pickle.dumps(BackendError("http://h:1/v1", "answered nonsense")))
    assert str(err) == "backend http://h:1/v1 answered nonsense" and err.url == "http://h:1/v1"
    down = pickle.loads(pickle.dumps(BackendUnavailable("http://h:1/v1", "down")))
    assert isinstance(down, BackendError) and isinstance(down, RuntimeError)
    assert (
        str(down) == "backend at http://h:1/v1 is unavailable: down" and down.url == "http://h:1/v1"
    )


ANY_NUMBER = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.integers(-(10**6), 10**6), st.booleans()
)


@given(
    text=st.one_of(st.text(max_size=5), st.none(), st.integers()),
    prompt_tokens=ANY_NUMBER,
    completion_tokens=ANY_NUMBER,
    mean_logprob=ANY_NUMBER,
    mean_entropy=ANY_NUMBER,
    finish_reason=st.sampled_from([*FINISH_REASONS, "eos", "", None]),
    max_tokens=st.integers(1, 64),
)
def test_generate_checked_lets_only_sane_completions_through(
    text, prompt_tokens, completion_tokens, mean_logprob, mean_entropy, finish_reason, max_tokens
):
    c = Completion(
        text, prompt_tokens, completion_tokens, mean_logprob, mean_entropy, finish_reason
    )
    req = GenRequest(({"role": "user", "content": "q"},), max_tokens)
    try:
        (out,) = generate_checked(Fixed(c), [req])
    except BackendError as err:
        assert "request 0" in str(err) and "'fixed'" in str(err)
        return
    assert isinstance(out.text, str)
    for n in (out.prompt_tokens, out.completion_tokens):
        assert isinstance(n, int) and not isinstance(n, bool) and n >= 0
    assert out.completion_tokens <= max_tokens + 1
    for x in (out.mean_logprob, out.mean_entropy):
        assert not isinstance(x, bool) and math.isfinite(x)
    assert out.mean_logprob <= 0.0 <= out.mean_entropy
    assert out.finish_reason in FINISH_REASONS


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
