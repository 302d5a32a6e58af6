"""The request contract validates its fields; a backend returning the wrong count is caught."""

import pytest

from econ_env.llm.base import Completion, GenRequest, generate_checked


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
