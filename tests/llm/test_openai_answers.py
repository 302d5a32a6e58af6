"""The openai backend sanity-checks every server answer (served by a scripted loopback server):
NaN or infinite log-probabilities, bad token counts, completions longer than asked, absurd prompt
counts and malformed, empty, HTML or plain-text ``200`` bodies give a ``BackendError`` naming the
URL and the field (unreadable bodies after retries), never a raw ``JSONDecodeError``,
``KeyError`` or ``AttributeError``, and never a NaN in an observation."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import econ_env
from econ_env.llm.base import BackendError, BackendUnavailable, GenRequest, completion_problem
from econ_env.llm.openai_answer import completion_of, prompt_token_limit
from econ_env.llm.openai_backend import OpenAIBackend

from .conftest import chat_answer

QUICK = {"backoff": 0.0, "backoff_max": 0.0}
REQ = GenRequest(({"role": "user", "content": "What is 2+2?"},), 16, seed=1)


def backend(server, **kw) -> OpenAIBackend:
    return OpenAIBackend(server.base_url, model="fake-model", max_retries=2, **{**QUICK, **kw})


NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize(
    ("answer", "field"),
    [
        (chat_answer(logprobs=[-0.1, NAN]), r"content\[1\]\.logprob = nan"),
        (chat_answer(logprobs=[INF]), r"content\[0\]\.logprob = inf"),
        (chat_answer(logprobs=[-INF]), r"content\[0\]\.logprob = -inf"),
        (chat_answer(logprobs=[0.5]), r"content\[0\]\.logprob = 0\.5"),
        (chat_answer(logprobs=["-0.1"]), r"content\[0\]\.logprob = '-0\.1'"),
        (chat_answer(top=[-0.1, NAN]), r"top_logprobs\[1\]\.logprob = nan"),
        (chat_answer(prompt_tokens=-3), r"usage\.prompt_tokens = -3; it must be an int >= 0"),
        (chat_answer(prompt_tokens=3.5), r"usage\.prompt_tokens = 3\.5"),
        (chat_answer(prompt_tokens=True), r"usage\.prompt_tokens = True"),
        (chat_answer(completion_tokens="7"), r"usage\.completion_tokens = '7'"),
        (chat_answer(completion_tokens=None), r"usage\.completion_tokens = None"),
        (chat_answer(completion_tokens=18), r"completion_tokens = 18; allowed \[0, 17\]"),
        (chat_answer(prompt_tokens=10**9), r"prompt_tokens = 1000000000; allowed \[0, \d+\]"),
        ({**chat_answer(), "usage": None}, "no token usage"),
        ({**chat_answer(), "choices": []}, r"choices = \[\]"),
        ({"object": "chat.completion"}, r"choices = None; expected a list"),
        ({"error": {"message": "model overloaded"}}, "200 with an error: 'model overloaded'"),
        ([chat_answer()], "JSON list, not an object"),
        ("null", "JSON NoneType, not an object"),
        (
            {**chat_answer(), "choices": [{"message": {"content": 7}, "finish_reason": "stop"}]},
            r"message\.content = 7",
        ),
        ({**chat_answer(), "choices": [{"finish_reason": "stop"}]}, r"choices\[0\]\.message"),
    ],
)
def test_a_nonsensical_answer_is_a_backend_error_naming_url_and_field(fake_openai, answer, field):
    fake_openai.answer(answer)
    b = backend(fake_openai)
    with pytest.raises(BackendError, match=field) as info:
        b.generate([REQ])
    assert info.value.url == fake_openai.base_url and fake_openai.base_url in str(info.value)
    assert not isinstance(info.value, BackendUnavailable)
    assert len(fake_openai.bodies) == 1  # well-formed nonsense is not retried


@pytest.mark.parametrize(
    ("body", "content_type", "what"),
    [
        ("<html><body><h1>Welcome to nginx!</h1></body></html>", "text/html", "base_url the API"),
        ("OK", "text/plain", r"not JSON \(Content-Type 'text/plain': 'OK'\)"),
        ("", "application/json", "an empty body"),
        ('{"id": "chatcmpl-1", "choices": [{"mess', "application/json", "not JSON"),
    ],
    ids=["html", "plain-text", "empty", "cut-off-json"],
)
def test_an_unreadable_body_is_retried_then_named(fake_openai, body, content_type, what):
    b = backend(fake_openai)
    for _ in range(3):
        fake_openai.answer(body, content_type=content_type)
    failed = r"POST /chat/completions failed 3 times; the last try was answered \(HTTP 200\) with"
    with pytest.raises(BackendError, match=f"{failed} .*{what}"):
        b.generate([REQ])
    assert len(fake_openai.bodies) == 3 and b.retries == 2
    fake_openai.answer(body, content_type=content_type)  # once, then a good answer: retried
    (c,) = b.generate([REQ])
    assert c.text == "The answer is \\boxed{4}." and len(fake_openai.bodies) == 5


def test_a_malformed_models_list_is_a_backend_error(fake_openai):
    b = OpenAIBackend(fake_openai.base_url, max_retries=0)
    fake_openai.server.RequestHandlerClass.do_GET = lambda self: self._send(  # type: ignore[attr-defined]
        200, "application/json", b'{"data": [{"name": "no id"}]}'
    )
    with pytest.raises(BackendError, match="GET /models with malformed entries"):
        _ = b.model


def test_edge_values_that_are_valid_pass(fake_openai):
    # the stop token may be counted; -inf alternatives have probability 0; rounding above 0
    fake_openai.answer(chat_answer(completion_tokens=17, logprobs=[1e-7, -0.5], top=[-INF, -0.1]))
    fake_openai.answer({**chat_answer(), "choices": [{"message": {"content": None}}]})
    b = backend(fake_openai)
    (c,) = b.generate([REQ])
    assert c.completion_tokens == 17 and -0.5 <= c.mean_logprob <= 0.0
    assert math.isfinite(c.mean_entropy) and c.mean_entropy >= 0.0
    assert completion_problem(REQ, c) is None
    (empty,) = b.generate([REQ])
    assert empty.text == "" and empty.mean_logprob == 0.0


def test_a_nan_logprob_never_reaches_an_observation(fake_openai):
    env = econ_env.auction_v0.env(backend=backend(fake_openai), n_agents=3, max_rounds=2)
    fake_openai.answer(chat_answer(logprobs=[NAN, NAN]))  # one of the three drafts
    with pytest.raises(BackendError, match="logprob = nan"):
        env.reset(seed=0)
    env.reset(seed=0)
    for agent in env.agent_iter():
        obs, _, term, trunc, _ = env.last()
        space = env.observation_space(agent)
        assert np.all(np.isfinite(obs)) and space.contains(obs)
        env.step(None if term or trunc else np.array([0.5], dtype=np.float32))


# ---------------------------------------------------------------------- the parser, exhaustively
NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**12), 10**12),
    st.booleans(),
    st.none(),
    st.text(max_size=3),
)


@given(
    prompt_tokens=NUMBERS,
    completion_tokens=NUMBERS,
    logprobs=st.lists(NUMBERS, max_size=4),
    top=st.lists(NUMBERS, max_size=3),
    text=st.one_of(st.text(max_size=5), st.none(), st.integers()),
    finish=st.sampled_from(["stop", "length", "tool_calls", None]),
)
def test_whatever_the_server_says_the_completion_is_valid_or_refused(
    prompt_tokens, completion_tokens, logprobs, top, text, finish
):
    answer = chat_answer(
        text=text,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        logprobs=logprobs,
        top=top,
        finish_reason=finish,
    )
    data = json.loads(json.dumps(answer))  # through JSON, as a server's answer arrives
    try:
        completion, _ = completion_of(data, REQ, "http://h:1/v1", 4096)
    except BackendError as err:
        assert err.url == "http://h:1/v1"
        return
    assert completion_problem(REQ, completion) is None
    assert completion.prompt_tokens <= prompt_token_limit(REQ, 4096)
