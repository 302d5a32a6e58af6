"""Tests for the backend registry: names, specs with arguments, pass-through and errors."""

from __future__ import annotations

import pytest

import econ_env.llm as llm
from econ_env.llm import registry
from econ_env.llm.base import Completion, GenRequest
from econ_env.llm.registry import list_backends, make_backend, register_backend
from econ_env.llm.simulated import SimulatedBackend


class Echo:
    """A tiny backend that records the factory argument it was built with."""

    name = "echo"

    def __init__(self, arg: str | None = None, **kwargs):
        self.arg, self.kwargs = arg, kwargs

    def generate(self, requests):
        return [Completion(str(self.arg), 1, 1, -0.1, 0.1) for _ in requests]


@pytest.fixture
def clean_registry():
    saved = dict(registry._REGISTRY)
    yield
    registry._REGISTRY.clear()
    registry._REGISTRY.update(saved)


def test_simulated_is_registered_and_built_by_name():
    assert "simulated" in list_backends()
    b = make_backend("simulated")
    assert isinstance(b, SimulatedBackend) and b.seed == 0
    assert make_backend("simulated:7").seed == 7
    b = make_backend("simulated", seed=3, skill=0.25)
    assert b.seed == 3 and b.params.skill == 0.25


def test_seeded_spec_matches_direct_construction():
    r = [GenRequest(({"role": "user", "content": "hi"},), 64)]
    assert make_backend("simulated:5").generate(r) == SimulatedBackend(seed=5).generate(r)


def test_bad_simulated_argument_raises():
    with pytest.raises(ValueError, match="seed"):
        make_backend("simulated:abc")


def test_instance_passes_through():
    b = SimulatedBackend(seed=2)
    assert make_backend(b) is b
    with pytest.raises(ValueError, match="instance"):
        make_backend(b, seed=3)


def test_unknown_name_lists_registered():
    with pytest.raises(ValueError, match=r"unknown backend 'nope'.*simulated"):
        make_backend("nope")
    with pytest.raises(ValueError):
        make_backend(42)  # type: ignore[arg-type]


def test_argument_after_first_colon_is_passed_positionally(clean_registry):
    register_backend("echo", Echo)
    assert "echo" in list_backends() and list_backends() == sorted(list_backends())
    b = make_backend("echo:http://127.0.0.1:8000/v1", timeout=3)
    assert b.arg == "http://127.0.0.1:8000/v1" and b.kwargs == {"timeout": 3}
    assert make_backend("echo").arg is None
    with pytest.raises(ValueError, match="empty argument"):
        make_backend("echo:")


def test_register_validation_and_replacement(clean_registry):
    register_backend("echo", Echo)
    register_backend("echo", Echo)  # same factory again is fine
    with pytest.raises(ValueError, match="already registered"):
        register_backend("echo", lambda *a, **k: Echo("other"))
    register_backend("echo", lambda *a, **k: Echo("other"), replace=True)
    assert make_backend("echo").arg == "other"
    for bad in ("", "a:b", " x"):
        with pytest.raises(ValueError, match="name"):
            register_backend(bad, Echo)
    with pytest.raises(ValueError, match="callable"):
        register_backend("x", 3)  # type: ignore[arg-type]


def test_package_reexports():
    for name in ("SimulatedBackend", "SimParams", "make_backend", "register_backend", "Backend"):
        assert hasattr(llm, name)
