"""Containment tests of econ_env.sandbox: each harmful script is stopped with a reason and the
machine is left unharmed (no file, no connection, no leftover process, no temp dir).

Every test runs under the strongest isolation available here, under ``"none"`` (the guard and
the rlimits alone) and under each namespace tool that works on this machine (bwrap, unshare).
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from pathlib import Path

import pytest

from econ_env.sandbox import (
    Limits,
    SandboxResult,
    communicate,
    isolation,
    kill_tree,
    resolve_isolation,
    run_python,
    spawn,
)
from econ_env.sandbox.isolation import _available

MODES = sorted({isolation(), "none", *(m for m in ("bwrap", "unshare") if _available(m))})
NS_MODES = [m for m in MODES if m != "none"]
FAST = Limits(cpu_s=2.0, wall_s=8.0)


def leftover(marker: str, wait_s: float = 3.0) -> list[int]:
    """Pids whose command line contains ``marker`` (retried for ``wait_s`` while any remain)."""
    deadline = time.monotonic() + wait_s
    while True:
        found = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/cmdline", "rb") as f:
                        if marker.encode() in f.read():
                            found.append(int(entry))
                except OSError:
                    pass
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def test_isolation_is_detected_and_cached() -> None:
    assert isolation() in ("bwrap", "unshare", "none")
    assert isolation() is isolation()
    assert resolve_isolation(None) == isolation()
    with pytest.raises(ValueError, match="isolation must be one of"):
        resolve_isolation("docker")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("cpu_s", 0),
        ("wall_s", -1.0),
        ("memory_bytes", 1024),
        ("nofile", 3),
        ("nproc", 0),
        ("file_bytes", 1.5),
        ("cpu_s", float("nan")),
    ],
)
def test_limits_reject_bad_values_naming_the_field(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=f"Limits.{field}"):
        Limits(**{field: value})  # type: ignore[arg-type]


@pytest.mark.parametrize("mode", MODES)
def test_pass_fail_and_output(mode: str) -> None:
    ok = run_python("import sys\nprint('hi'); print('err', file=sys.stderr)", isolation=mode)
    assert isinstance(ok, SandboxResult)
    assert (ok.status, ok.returncode, ok.isolation) == ("passed", 0, mode)
    assert ok.stdout == "hi\n" and ok.stderr == "err\n"
    bad = run_python("def f():\n    return 1\nassert f() == 2, 'f is wrong'", isolation=mode)
    assert bad.status == "failed" and bad.reason == "AssertionError: f is wrong"
    files = run_python(
        "print(open('data/x.txt').read())", files={"data/x.txt": "7"}, isolation=mode
    )
    assert files.status == "passed" and files.stdout == "7\n"


@pytest.mark.parametrize("mode", MODES)
def test_output_is_capped_and_temp_dir_removed(mode: str) -> None:
    code = "import os, sys\nprint(os.getcwd())\nsys.stdout.write('x' * 50_000_000)"
    r = run_python(code, isolation=mode, output_cap=4096, limits=FAST)
    assert r.status == "passed" and len(r.stdout) == 4096
    workdir = r.stdout.splitlines()[0]
    assert "econ-sandbox-" in workdir and not os.path.exists(workdir)


@pytest.mark.parametrize("mode", MODES)
def test_infinite_loop_times_out_on_cpu_then_wall(mode: str) -> None:
    start = time.monotonic()
    r = run_python("while True:\n    pass", limits=Limits(cpu_s=1.0, wall_s=10.0), isolation=mode)
    assert r.status == "timeout" and "CPU time limit" in r.reason
    assert time.monotonic() - start < 6.0
    marker = f"{uuid.uuid4().hex}"
    r = run_python(
        f"import time  # {marker}\ntime.sleep(60)", limits=Limits(wall_s=1.0), isolation=mode
    )
    assert r.status == "timeout" and "wall time limit of 1 s" in r.reason
    assert r.wall_s < 5.0


@pytest.mark.parametrize("mode", MODES)
def test_fork_bomb_is_blocked_and_leaves_no_process(mode: str) -> None:
    marker = f"1000.{uuid.uuid4().int % 10**12}"
    code = (
        "import os\n"
        "while True:\n"
        "    if os.fork() == 0:\n"
        f"        os.execv('/bin/sleep', ['sleep', '{marker}'])\n"
    )
    r = run_python(code, limits=FAST, isolation=mode)
    assert r.status == "blocked" and r.reason == "blocked: os.fork ()"
    assert leftover(marker) == []


@pytest.mark.parametrize("mode", MODES)
def test_process_tree_is_killed_at_the_wall_limit(mode: str, tmp_path: Path) -> None:
    """Without the guard (a shell), 100 background children all die with the tree."""
    marker = f"1000.{uuid.uuid4().int % 10**12}"
    script = f"i=0; while [ $i -lt 100 ]; do sleep {marker} & i=$((i+1)); done; echo started; wait"
    proc = spawn(["/bin/sh", "-c", script], workdir=tmp_path, limits=FAST, isolation=mode)
    out, _, timed_out = communicate(proc, wall_s=2.0)
    assert timed_out and out == b"started\n"
    assert proc.returncode is not None
    with pytest.raises(ChildProcessError):
        os.waitpid(proc.pid, os.WNOHANG)  # reaped: no zombie
    assert leftover(marker) == []


@pytest.mark.parametrize("mode", MODES)
def test_memory_hogs_hit_the_memory_limit(mode: str) -> None:
    limits = Limits(memory_bytes=256 * 2**20, cpu_s=5.0, wall_s=15.0)
    r = run_python("x = bytearray(2**31)", limits=limits, isolation=mode)
    assert r.status == "memory" and "MemoryError" in r.reason
    grow = "chunks = []\nwhile True:\n    chunks.append(bytearray(10**7))"
    r = run_python(grow, limits=limits, isolation=mode)
    assert r.status == "memory", r


@pytest.mark.parametrize("mode", MODES)
def test_writes_outside_the_work_dir_are_blocked(mode: str, tmp_path: Path) -> None:
    targets = [tmp_path / "outside.txt", Path("/tmp") / f"econ-{uuid.uuid4().hex}"]
    for target in targets:
        r = run_python(f"open({str(target)!r}, 'w').write('pwned')", limits=FAST, isolation=mode)
        assert r.status == "blocked" and r.reason.startswith("blocked: open"), r
        assert not target.exists()
    (tmp_path / "keep.txt").write_text("keep")
    for code in (
        f"import os\nos.remove({str(tmp_path / 'keep.txt')!r})",
        f"import os\nos.rename({str(tmp_path / 'keep.txt')!r}, 'stolen.txt')",
        f"import os\nos.symlink({str(tmp_path / 'keep.txt')!r}, 'link')",
        "import os\nos.open('../escape', os.O_WRONLY | os.O_CREAT)",
    ):
        r = run_python(code, limits=FAST, isolation=mode)
        assert r.status == "blocked", (code, r)
    assert (tmp_path / "keep.txt").read_text() == "keep"
    inside = run_python(
        "open('out.txt', 'w').write('ok')\nimport os; os.mkdir('d')", isolation=mode
    )
    assert inside.status == "passed"


@pytest.mark.parametrize("mode", NS_MODES)
def test_namespaces_alone_keep_the_filesystem_read_only(mode: str, tmp_path: Path) -> None:
    """No guard (a shell): the OS layer alone refuses writes outside the work dir."""
    work = tmp_path / "work"
    work.mkdir()
    outside = tmp_path / "outside.txt"
    tmp_file = Path("/tmp") / f"econ-{uuid.uuid4().hex}"
    script = f"echo x > {outside}; echo x > {tmp_file}; echo x > inside.txt"
    proc = spawn(["/bin/sh", "-c", script], workdir=work, limits=FAST, isolation=mode)
    communicate(proc, wall_s=5.0)
    assert not outside.exists() and not tmp_file.exists()
    assert (work / "inside.txt").read_text() == "x\n"


class Listener:
    """A loopback TCP server that counts accepted connections."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted += 1
            conn.close()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(2.0)
        self.sock.close()


@pytest.fixture
def listener() -> Listener:
    server = Listener()
    yield server
    server.close()


@pytest.mark.parametrize("mode", MODES)
def test_network_connections_are_blocked(mode: str, listener: Listener) -> None:
    code = f"import socket\nsocket.create_connection(('127.0.0.1', {listener.port}), timeout=2)"
    r = run_python(code, limits=FAST, isolation=mode)
    assert r.status == "blocked" and r.reason.startswith("blocked: socket.connect")
    time.sleep(0.3)
    assert listener.accepted == 0


@pytest.mark.parametrize("mode", NS_MODES)
def test_namespaces_alone_have_no_network(mode: str, listener: Listener, tmp_path: Path) -> None:
    import sys

    code = f"import socket\nsocket.create_connection(('127.0.0.1', {listener.port}), timeout=2)"
    proc = spawn([sys.executable, "-I", "-c", code], workdir=tmp_path, limits=FAST, isolation=mode)
    _, err, _ = communicate(proc, wall_s=8.0)
    assert proc.returncode != 0 and b"Error" in err
    time.sleep(0.3)
    assert listener.accepted == 0


@pytest.mark.parametrize("mode", MODES)
def test_programs_and_native_code_are_blocked(mode: str, tmp_path: Path) -> None:
    target = tmp_path / "touched"
    for code, event in (
        (f"import os\nos.system('touch {target}')", "os.system"),
        # importing subprocess loads _posixsubprocess, which is blocked at once
        (f"import subprocess\nsubprocess.run(['touch', {str(target)!r}])", "import"),
        (f"import os\nos.execv('/usr/bin/touch', ['touch', {str(target)!r}])", "os.exec"),
        ("import ctypes", "import"),
        ("import _posixsubprocess", "import"),
        ("import os\nos.kill(os.getppid(), 0)", "os.kill"),
        ("try:\n    import os; os.system('true')\nexcept BaseException:\n    pass", "os.system"),
    ):
        r = run_python(code, limits=FAST, isolation=mode)
        assert r.status == "blocked" and r.reason.startswith(f"blocked: {event}"), (code, r)
    assert not target.exists()


def test_kill_tree_reaps_a_running_process(tmp_path: Path) -> None:
    proc = spawn(["/bin/sleep", "30"], workdir=tmp_path, limits=FAST)
    kill_tree(proc)
    assert proc.returncode is not None
    kill_tree(proc)  # idempotent
    with pytest.raises(ValueError, match="workdir"):
        spawn(["/bin/true"], workdir=tmp_path / "missing", limits=FAST)
    with pytest.raises(ValueError, match="argv"):
        spawn([], workdir=tmp_path, limits=FAST)


def test_bad_arguments_raise_clear_errors() -> None:
    with pytest.raises(ValueError, match="files"):
        run_python("pass", files={"../x": "y"})
    with pytest.raises(ValueError, match="code must be a str"):
        run_python(b"pass")  # type: ignore[arg-type]
