"""Agent submissions re-run in a sandboxed process on hidden seeds (``econ-env bench evaluate``).

The example submission evaluates, replay-verifies and is signed; seeds follow the secret and are
re-derived on reveal; hostile submissions each fail with a clear reason (or, for the gold
snooper, find nothing) and the evaluation machinery keeps working.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import pytest

from econ_env.bench.agent_eval import evaluate_submission
from econ_env.bench.agent_proc import AgentError, AgentLimits
from econ_env.bench.attest import check_attestation
from econ_env.bench.hidden_seeds import (
    check_reveal,
    commitment,
    draw_seeds,
    new_secret,
    seeded_suite,
)
from econ_env.bench.runner import run_suite
from econ_env.bench.suites import get_suite
from econ_env.bench.verify import verify_submission
from econ_env.sandbox import isolation
from tests.bench.conftest import TINY

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "submission_agent"
KEY = b"k" * 32
SECRET = bytes(range(32))
FAST = AgentLimits(action_s=5.0, total_s=60.0, startup_s=60.0)


def _evaluate(sub: Path, out: Path, *, limits: AgentLimits = FAST, suite=TINY, limit=None):
    return evaluate_submission(sub, suite, out, secret=SECRET, key=KEY, key_id="test",
                               limits=limits, limit=limit)  # fmt: skip


def _submission(tmp: Path, body: str, *, extra: dict[str, bytes] | None = None) -> Path:
    """A submission directory whose ``agent.py`` holds ``body`` (defining ``Agent``)."""
    d = tmp / "sub"
    d.mkdir()
    (d / "submission.json").write_text(json.dumps({"policy": "agent:Agent", "name": "hostile"}))
    header = "import numpy as np\n\n"
    (d / "agent.py").write_text(header + textwrap.dedent(body))
    for name, data in (extra or {}).items():
        (d / name).write_bytes(data)
    return d


PASSIVE = """
class Agent:
    def __init__(self, spec, seed=0):
        self.spec = spec

    def act(self, obs, agent):
        return np.array([-1.0], dtype=np.float32)
"""


# ----------------------------------------------------------------------------- the example
@pytest.fixture(scope="module")
def evaluated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("agent_eval") / "run"
    _evaluate(EXAMPLE, out, suite=get_suite("econ-bench-v0/dev"), limit=1)
    return out


def test_example_evaluates_replay_verifies_and_is_signed(evaluated: Path) -> None:
    meta = json.loads((evaluated / "metadata.json").read_text())
    assert meta["policy"] == "agent:linear-bidder"
    assert meta["track"] == "simulated" and meta["schema_version"] == 2
    ev = meta["evaluation"]
    assert ev["seed_commitment"] == commitment(SECRET)
    assert ev["isolation"] == isolation()
    assert ev["agent"]["spec"] == "my_agent:LinearBidder"
    # the secret itself is never written
    for f in evaluated.iterdir():
        assert SECRET.hex() not in f.read_text()
    suite = get_suite("econ-bench-v0/dev")
    assert ev["seeds"] == {c: list(s) for c, s in draw_seeds(SECRET, suite).items()}
    # verify plays the suite with the seeds the metadata records (the drawn ones) ...
    report = verify_submission(evaluated)
    assert report.ok, report.errors
    assert report.checked_episodes == 24
    assert check_attestation(evaluated, KEY) is None


def test_verify_rejects_edited_seeds(evaluated: Path, tmp_path: Path) -> None:
    # ... so seeds edited in the metadata no longer match the traces' episodes
    copy = tmp_path / "run"
    shutil.copytree(evaluated, copy)
    meta = json.loads((copy / "metadata.json").read_text())
    case = next(iter(meta["evaluation"]["seeds"]))
    meta["evaluation"]["seeds"][case][0] += 1
    (copy / "metadata.json").write_text(json.dumps(meta))
    report = verify_submission(copy, replay=False)
    assert not report.ok and any("unknown episode" in e for e in report.errors), report.errors
    meta["evaluation"]["seeds"][case] = [0]  # the wrong count
    (copy / "metadata.json").write_text(json.dumps(meta))
    report = verify_submission(copy, replay=False)
    assert not report.ok and any("evaluation.seeds" in e for e in report.errors), report.errors


def test_forged_attestation_is_detected(evaluated: Path, tmp_path: Path) -> None:
    forged = tmp_path / "forged"
    shutil.copytree(evaluated, forged)
    results = json.loads((forged / "results.json").read_text())
    results["accuracy"] = 1.0
    (forged / "results.json").write_text(json.dumps(results))
    assert "results.json was changed" in check_attestation(forged, KEY)
    assert "signature does not match" in check_attestation(evaluated, b"x" * 32)
    att = json.loads((forged / "attestation.json").read_text())
    att["files"]["results.json"] = "0" * 64  # re-pointing the digest breaks the HMAC
    (forged / "attestation.json").write_text(json.dumps(att))
    assert "signature does not match" in check_attestation(forged, KEY)
    (forged / "attestation.json").unlink()
    assert "not signed" in check_attestation(forged, KEY)


def test_wheel_submission_evaluates(tmp_path: Path) -> None:
    wheel = tmp_path / "linear_bidder-0.1-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for name in ("my_agent.py", "submission.json", "weights.safetensors"):
            zf.write(EXAMPLE / name, name)
        zf.writestr("linear_bidder-0.1.dist-info/METADATA", "Name: linear-bidder\n")
    results = _evaluate(wheel, tmp_path / "out")
    assert results["episodes"] == 2 and results["policy"] == "agent:linear-bidder"


def test_example_weights_are_made_by_its_script(tmp_path: Path) -> None:
    import runpy

    import numpy as np
    from safetensors.numpy import load_file

    shutil.copy(EXAMPLE / "make_weights.py", tmp_path)
    runpy.run_path(str(tmp_path / "make_weights.py"))
    made, shipped = (load_file(str(d / "weights.safetensors")) for d in (tmp_path, EXAMPLE))
    assert made.keys() == shipped.keys()
    assert all(np.array_equal(made[k], shipped[k]) for k in made)


TORCH_AGENT = """
import torch


class Agent:
    def __init__(self, spec, seed=0, weights=None):
        torch.manual_seed(seed)
        self.net = torch.nn.Linear(spec.observation_space["observation"].shape[0]
                                   if hasattr(spec.observation_space, "spaces")
                                   else spec.observation_space.shape[0], 1)
        self.net.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()})
        self.shape = spec.action_space.shape

    def act(self, obs, agent):
        x = obs["observation"] if isinstance(obs, dict) else obs
        with torch.no_grad():
            bid = torch.tanh(self.net(torch.as_tensor(np.asarray(x), dtype=torch.float32)))
        out = -np.ones(self.shape, dtype=np.float32)
        out[0] = float(bid[0])
        return out
"""


def test_a_torch_policy_runs_when_it_asks_to_preload_torch(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")  # the dev extra installs it; CI has it
    from safetensors.torch import save_file

    from econ_env import env_spec

    n_obs = env_spec("auction_v0", n_agents=3).observation_space.shape[0]
    net = torch.nn.Linear(n_obs, 1)
    d = _submission(tmp_path, TORCH_AGENT)
    save_file(net.state_dict(), str(d / "net.safetensors"))
    manifest = {"policy": "agent:Agent", "name": "torch-agent", "preload": ["torch"],
                "weights": ["net.safetensors"]}  # fmt: skip
    # without the preload the guard refuses torch's native loading (ctypes) ...
    (d / "submission.json").write_text(json.dumps({**manifest, "preload": []}))
    with pytest.raises(AgentError, match="ctypes"):
        _evaluate(d, tmp_path / "no_preload", limit=1)
    # ... with it, torch is imported before the guard and the policy plays and verifies
    (d / "submission.json").write_text(json.dumps(manifest))
    out = tmp_path / "run"
    _evaluate(d, out, limit=1)
    assert verify_submission(out, suites={TINY.name: TINY}).ok  # seeds from metadata
    (d / "submission.json").write_text(json.dumps({**manifest, "preload": ["os"]}))
    with pytest.raises(AgentError, match="preload must be a list of libraries"):
        _evaluate(d, tmp_path / "bad", limit=1)


# ----------------------------------------------------------------------------- hidden seeds
def test_seeds_follow_the_secret_and_reveal_checks_them() -> None:
    suite = get_suite("econ-bench-v0/test")
    a, b = new_secret(), new_secret()
    seeds = draw_seeds(a, suite)
    assert seeds == draw_seeds(a, suite) and seeds != draw_seeds(b, suite)
    assert all(len(set(s)) == len(s) == 2 and min(s) >= 0 for s in seeds.values())
    meta = {"suite": suite.name, "suite_version": suite.version,
            "evaluation": {"seed_commitment": commitment(a),
                           "seeds": {c: list(s) for c, s in seeds.items()}}}  # fmt: skip
    assert check_reveal(a.hex(), meta) == []
    wrong = check_reveal(b.hex(), meta)
    assert any("commitment" in p for p in wrong) and len(wrong) == 1 + len(seeds)
    assert check_reveal("not hex", meta) == ["a secret is 32 bytes written as 64 hex digits"]
    meta["evaluation"]["seeds"]["auction-gsm8k"] = [1, 2]  # seeds the secret does not give
    assert check_reveal(a.hex(), meta) == [
        "case 'auction-gsm8k': the seeds are not the ones the secret gives"
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s.pop("auction-gsm8k"), "missing ['auction-gsm8k']"),
        (lambda s: s.update(extra=[1, 2]), "unknown ['extra']"),
        (lambda s: s.update({"auction-gsm8k": [1]}), "must be 2 unique ints"),
        (lambda s: s.update({"auction-gsm8k": [3, 3]}), "must be 2 unique ints"),
        (lambda s: s.update({"auction-gsm8k": [-1, 3]}), "must be 2 unique ints"),
        (lambda s: s.update({"auction-gsm8k": [1.0, 3]}), "must be 2 unique ints"),
    ],
)
def test_seeded_suite_validates_the_seeds(change, message) -> None:
    suite = get_suite("econ-bench-v0/dev")
    seeds = {c: list(s) for c, s in draw_seeds(SECRET, suite).items()}
    assert seeded_suite(suite, seeds).case("auction-gsm8k").seeds == tuple(seeds["auction-gsm8k"])
    change(seeds)
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        seeded_suite(suite, seeds)


# ----------------------------------------------------------------------------- hostile agents
SNOOPER = """
import gc

# the item's question and gold, reversed so that this module does not hold them itself
QUESTION, GOLD = {question!r}, {gold!r}


def _leaks():
    import econ_env  # importable, but there is no env, item or gold in this process
    from pettingzoo import AECEnv

    question, gold = QUESTION[::-1], GOLD[::-1]
    for obj in gc.get_objects():
        if isinstance(obj, AECEnv):
            return "an env"
        values = ()
        if isinstance(obj, dict):
            values = obj.values()
        elif isinstance(obj, (list, tuple)):
            values = obj
        elif hasattr(obj, "__dict__") and isinstance(getattr(obj, "__dict__", None), dict):
            values = obj.__dict__.values()
        for v in values:
            if isinstance(v, str) and (question in v or v == gold):
                return "the item"
    return None


class Agent:
    def __init__(self, spec, seed=0):
        self.spec, self.checked = spec, False

    def act(self, obs, agent):
        if not self.checked:
            self.checked = True
            found = _leaks()
            if found:
                raise RuntimeError(f"LEAK: found {{found}}")
        return np.array([-1.0], dtype=np.float32)
"""


def test_snooping_agent_finds_no_env_and_no_gold(tmp_path: Path, monkeypatch) -> None:
    from econ_env.tasks import make_task

    item = make_task("arithmetic").get(TINY.cases[0].item_ids[0])
    body = SNOOPER.format(question=item.question[::-1], gold=item.gold[::-1])
    sub = _submission(tmp_path, body)
    results = _evaluate(sub, tmp_path / "out", limit=1)  # the sandboxed child finds nothing
    assert results["episodes"] == 1
    # control: the same policy run in the env's process finds the item, so the scan works
    monkeypatch.syspath_prepend(str(sub))
    monkeypatch.delitem(sys.modules, "agent", raising=False)
    with pytest.raises(RuntimeError, match="LEAK: found"):
        run_suite(TINY, "agent:Agent", tmp_path / "inproc", limit=1, progress=False)


def test_printing_to_stdout_is_harmless(tmp_path: Path) -> None:
    body = PASSIVE.replace(
        "return np.array", "print('garbage {', flush=True)\n        return np.array"
    )
    sub = _submission(tmp_path, body)
    assert _evaluate(sub, tmp_path / "out")["episodes"] == 2


HOSTILE = {
    "sleeps": (
        "import time\nclass Agent:\n    def __init__(self, spec, seed=0): pass\n"
        "    def act(self, obs, agent):\n        time.sleep(30)\n",
        "action_s",
        "time limit per action",
    ),
    "memory": (
        "class Agent:\n    def __init__(self, spec, seed=0): pass\n"
        "    def act(self, obs, agent):\n        self.x = np.ones(2**31, dtype=np.uint8)\n",
        "memory",
        "MemoryError",
    ),
    "invalid_action": (
        "class Agent:\n    def __init__(self, spec, seed=0): pass\n"
        "    def act(self, obs, agent):\n        return np.array([5.0], dtype=np.float32)\n",
        "action_space",
        "invalid action for bidder_0",
    ),
    "garbage_protocol": (
        "import os\nclass Agent:\n    def __init__(self, spec, seed=0): pass\n"
        "    def act(self, obs, agent):\n"
        "        for fd in range(1, 12):\n"
        "            try:\n                os.write(fd, b'garbage {\\n')\n"
        "            except OSError:\n                pass\n"
        "        return np.array([-1.0], dtype=np.float32)\n",
        "protocol",
        "malformed message",
    ),
    "fake_ready": (  # at import, a forged ready message with a control character in the name
        'import os\nFAKE = b\'{"ready": true, "name": "x\\\\u001b", "policy": "a:B"}\'\n'
        "for fd in range(1, 12):\n    try:\n        os.write(fd, FAKE + b'\\n')\n"
        "    except OSError:\n        pass\n" + PASSIVE,
        "protocol",
        "instead of its ready message",
    ),
    "raises_in_init": (
        "class Agent:\n    def __init__(self, spec, seed=0):\n        raise ValueError('boom')\n",
        None,
        "raised ValueError: boom",
    ),
    "socket": (
        "import socket\nclass Agent:\n    def __init__(self, spec, seed=0):\n"
        "        socket.create_connection(('127.0.0.1', 9), timeout=1)\n",
        "sandbox",
        "blocked: socket.connect",
    ),
    "subprocess": (
        "import os\nclass Agent:\n    def __init__(self, spec, seed=0):\n"
        "        os.system('touch /tmp/econ-agent-escaped')\n",
        "sandbox",
        "blocked: os.system",
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_agent_fails_with_a_clear_reason(case: str, tmp_path: Path) -> None:
    body, limit, reason = HOSTILE[case]
    sub = _submission(tmp_path, body)
    limits = AgentLimits(action_s=1.0, total_s=60.0, memory_mb=512)
    start = time.monotonic()
    with pytest.raises(AgentError) as info:
        _evaluate(sub, tmp_path / "out", limits=limits)
    assert info.value.limit == limit
    assert reason in str(info.value) and "agent submission" in str(info.value)
    assert time.monotonic() - start < 20
    assert not (tmp_path / "out").exists()  # nothing written


def test_total_time_limit(tmp_path: Path) -> None:
    body = PASSIVE.replace(
        "return np.array", "import time; time.sleep(0.2)\n        return np.array"
    )
    limits = AgentLimits(action_s=1.0, total_s=0.5)
    with pytest.raises(AgentError, match=re.escape("total time limit of 0.5 s")) as info:
        _evaluate(_submission(tmp_path, body), tmp_path / "out", limits=limits)
    assert info.value.limit == "total_s"


@pytest.mark.parametrize("name", ["weights.pkl", "model.pt", "w.npy"])
def test_pickle_and_other_weights_are_refused(name: str, tmp_path: Path) -> None:
    sub = _submission(tmp_path, PASSIVE, extra={name: b"\x80\x04K\x01."})
    with pytest.raises(AgentError, match=f"{name}: .* files are refused"):
        _evaluate(sub, tmp_path / "out")


def test_declared_weights_must_be_safetensors(tmp_path: Path) -> None:
    sub = _submission(tmp_path, PASSIVE, extra={"w.dat": b"x"})
    manifest = {"policy": "agent:Agent", "name": "x", "weights": ["w.dat"]}
    (sub / "submission.json").write_text(json.dumps(manifest))
    with pytest.raises(AgentError, match=re.escape("only .safetensors is accepted")):
        _evaluate(sub, tmp_path / "out")


def test_wheel_with_parent_paths_is_refused(tmp_path: Path) -> None:
    (tmp_path / "inner").mkdir()
    wheel = tmp_path / "inner" / "evil-0.1-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("submission.json", json.dumps({"policy": "agent:Agent", "name": "evil"}))
        zf.writestr("agent.py", "import numpy as np\n" + PASSIVE)
        zf.writestr("../../evil.py", "print('escaped')\n")
    with pytest.raises(AgentError, match=re.escape("unsafe path '../../evil.py'")):
        _evaluate(wheel, tmp_path / "out")
    assert not list(tmp_path.rglob("evil.py"))


def test_bad_limits_and_names(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=re.escape("AgentLimits.action_s must be seconds")):
        AgentLimits(action_s=0)
    with pytest.raises(ValueError, match=re.escape("AgentLimits.memory_mb must be an int")):
        AgentLimits(memory_mb=1.5)
    sub = _submission(tmp_path, PASSIVE)
    (sub / "submission.json").write_text(json.dumps({"policy": "agent:Agent", "name": "a b"}))
    with pytest.raises(AgentError, match="name must match"):
        _evaluate(sub, tmp_path / "out")
    out = tmp_path / "full"
    out.mkdir()
    (out / "x").write_text("")
    with pytest.raises(ValueError, match="is not empty"):
        _evaluate(EXAMPLE, out)


# ----------------------------------------------------------------------------- the CLI
def test_cli_evaluate_creates_the_secret_and_reveal_checks_it(tmp_path: Path, capsys) -> None:
    from econ_env.bench.leaderboard_badges import read_key_file
    from econ_env.cli import main

    secret, key, out = tmp_path / "secret", tmp_path / "key", tmp_path / "run"
    argv = ["bench", "evaluate", str(EXAMPLE), "--suite", "econ-bench-v0/dev", "--out",
            str(out), "--secret-file", str(secret), "--key-file", str(key), "--limit", "1",
            "--no-progress"]  # fmt: skip
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "created the seed secret" in text and '"policy": "agent:linear-bidder"' in text
    assert secret.stat().st_mode & 0o777 == 0o600 and key.stat().st_mode & 0o777 == 0o600
    assert check_attestation(out, read_key_file(key)) is None
    assert main(["bench", "reveal", str(out), "--secret-file", str(secret)]) == 0
    other = tmp_path / "other"
    other.write_text(new_secret().hex() + "\n")
    assert main(["bench", "reveal", str(out), "--secret-file", str(other)]) == 1
    assert "does not match the seed commitment" in capsys.readouterr().out
    bad = ["bench", "evaluate", str(_submission(tmp_path, PASSIVE.replace("-1.0", "9.0"))),
           "--suite", "econ-bench-v0/dev", "--out", str(tmp_path / "bad"), "--secret-file",
           str(secret), "--limit", "1", "--no-progress"]  # fmt: skip
    assert main(bad) == 1
    assert "REJECTED: agent submission hostile: invalid action" in capsys.readouterr().out


def _weaker_isolations() -> list[str]:
    """The OS layers below the strongest that work here ("none" always does)."""
    from econ_env.sandbox.isolation import ISOLATIONS, resolve_isolation

    modes = list(ISOLATIONS[ISOLATIONS.index(isolation()) + 1 :])
    out = []
    for mode in modes:
        with contextlib.suppress(RuntimeError):
            out.append(resolve_isolation(mode))
    return out


@pytest.mark.parametrize("mode", _weaker_isolations())
def test_weaker_isolation_still_runs_and_guards(mode: str, tmp_path: Path) -> None:
    from econ_env.bench.agent_eval import evaluate_submission as evaluate

    results = evaluate(EXAMPLE, TINY, tmp_path / "ok", secret=SECRET, key=None, key_id="",
                       limits=FAST, isolation=mode)  # fmt: skip
    assert results["episodes"] == 2
    meta = json.loads((tmp_path / "ok" / "metadata.json").read_text())
    assert meta["evaluation"]["isolation"] == mode
    assert not (tmp_path / "ok" / "attestation.json").exists()  # no key: not signed
    sub = _submission(tmp_path, HOSTILE["socket"][0])
    with pytest.raises(AgentError, match=re.escape("blocked: socket.connect")):
        evaluate(sub, TINY, tmp_path / "bad", secret=SECRET, key=None, key_id="",
                 limits=FAST, isolation=mode)  # fmt: skip
