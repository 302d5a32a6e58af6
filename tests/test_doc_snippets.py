"""Every code block of README.md and docs/**/*.md runs (issue 17).

One pytest case per markdown file (found by globbing, so new pages are tested without listing
them). A file's blocks run in order, in a fresh temporary working directory:

- ```python blocks share one namespace per file (a later block uses an earlier one's names);
- ```bash / ```sh / ```shell / ```console blocks: each command whose program is ``econ-env``
  (this package's CLI) runs with a timeout; every other command (pip, make, git, python ...) is
  documentation of the developer's environment and is not run. An ``econ-env`` command joined to
  others by a shell operator (``|``, ``&&``, ``>`` ...) cannot be run and fails the test;
- any other fence (```text, ```toml, output) is not code and is ignored.

A block is marked by an HTML comment (invisible on the rendered page) on the line before its
fence: ``<!-- doc-test: skip REASON -->`` never runs it (rare: a GPU, a model download),
``<!-- doc-test: slow -->`` runs it only in the ``slow`` case of the file (CI runs those; skip them
locally with ``-m "not slow"``). ``<!-- doc-test: setup ... -->`` holds hidden Python that runs in
the file's namespace at that point (e.g. writes a data file a snippet reads).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from econ_env import policies

ROOT = Path(__file__).resolve().parent.parent
PYTHON = {"python", "py", "python3"}
SHELL = {"bash", "sh", "shell", "console"}
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})\s*(?P<lang>[\w+-]*)")
MARK = re.compile(
    r'^\s*<!--\s*doc-test:\s*(?P<kind>skip|slow)\b(?:\s+cmd="(?P<cmd>[^"]+)")?(?P<reason>.*?)\s*-->\s*$'
)
SETUP = re.compile(r"^\s*<!--\s*doc-test:\s*setup\s*$")
SHELL_OPS = re.compile(r"[|;&<>`]|\$\(")
CLI_TIMEOUT = 300


@dataclass
class Block:
    lang: str  # "python", "shell" or "setup" (hidden Python from a setup comment)
    code: str
    line: int  # 1-based line of the opening fence (or of the setup comment)
    mark: str = ""  # "", "skip" or "slow": the whole block
    reason: str = ""
    commands: dict[str, tuple[str, str]] = field(default_factory=dict)  # prefix: (mark, reason)

    def mark_of(self, command: str) -> str:
        """A shell command's mark: the first ``cmd=`` marker it starts with, else the block's."""
        return next((m for p, (m, _) in self.commands.items() if command.startswith(p)), self.mark)

    def has_mark(self, kind: str) -> bool:
        return self.mark == kind or any(m == kind for m, _ in self.commands.values())


def parse_blocks(text: str) -> list[Block]:
    """The runnable blocks of a markdown text, in order, with their markers."""
    lines, blocks, i = text.splitlines(), [], 0
    while i < len(lines):
        if SETUP.match(lines[i]):
            end = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == "-->"), None)
            if end is None:
                raise ValueError(f"line {i + 1}: a doc-test setup comment without its -->")
            blocks.append(Block("setup", "\n".join(lines[i + 1 : end]), i + 1))
            i = end + 1
            continue
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence = len(m["indent"]), m["fence"]
        end = i + 1
        while end < len(lines) and not lines[end].strip().startswith(fence):
            end += 1
        body = "\n".join(ln[indent:] for ln in lines[i + 1 : end])
        lang = m["lang"].lower()
        kind = "python" if lang in PYTHON else "shell" if lang in SHELL else ""
        block = Block(kind, body, i + 1)
        j = i - 1
        while j >= 0 and (MARK.match(lines[j]) or not lines[j].strip()):  # markers above it
            if mark := MARK.match(lines[j]):
                if mark["cmd"]:
                    block.commands[mark["cmd"]] = (mark["kind"], mark["reason"].strip())
                else:
                    block.mark, block.reason = mark["kind"], mark["reason"].strip()
            j -= 1
        if kind:
            blocks.append(block)
        i = end + 1
    return blocks


def shell_commands(code: str) -> list[list[str]]:
    """The ``econ-env`` commands of a shell block, as argument lists (others are not run)."""
    commands = []
    for logical in re.sub(r"\\\n", " ", code).splitlines():
        logical = re.sub(r"^\s*\$\s+", "", logical)  # a console prompt
        argv = shlex.split(logical, comments=True)
        if not argv or argv[0] != "econ-env":
            continue
        if SHELL_OPS.search(" ".join(argv)):
            raise ValueError(f"cannot run {logical.strip()!r}: an econ-env command in a pipeline")
        commands.append(argv)
    return commands


def cli() -> list[str]:
    script = Path(sys.executable).parent / "econ-env"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from econ_env.cli import main; sys.exit(main())"]


def run_blocks(blocks: list[Block], source: str, cwd: Path, slow: bool) -> int:
    """Runs the blocks (all unmarked ones, plus the slow ones when ``slow``); returns the count."""
    namespace: dict = {"__name__": "__doc_snippets__"}
    # the CLI imports `module:Class` policies from the page's working directory
    path = os.pathsep.join(filter(None, [str(cwd), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": path}
    ran = 0
    for block in blocks:
        if block.mark == "skip" or (block.mark == "slow" and not slow):
            continue
        where = f"{source}:{block.line}"
        if block.lang in ("python", "setup"):
            try:
                exec(compile(block.code, where, "exec"), namespace)
            except Exception as exc:
                raise AssertionError(f"{where}: {block.lang} block failed: {exc!r}") from exc
            ran += 1
            continue
        # a folder named econ_env in the cwd would shadow the installed package in the CLI
        assert not (cwd / "econ_env").exists(), f"{where}: the page wrote ./econ_env"
        for argv in shell_commands(block.code):
            mark = block.mark_of(shlex.join(argv))
            if mark == "skip" or (mark == "slow" and not slow):
                continue
            try:
                proc = subprocess.run(
                    [*cli(), *argv[1:]],
                    cwd=cwd,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=CLI_TIMEOUT,
                )
            except subprocess.TimeoutExpired as exc:
                raise AssertionError(f"{where}: {shlex.join(argv)} timed out") from exc
            assert proc.returncode == 0, (
                f"{where}: `{shlex.join(argv)}` exited {proc.returncode}\n"
                f"{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
            )
            ran += 1
    return ran


def markdown_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def cases():
    for path in markdown_files():
        rel = path.relative_to(ROOT).as_posix()
        yield pytest.param(path, False, id=rel)
        text = path.read_text(encoding="utf-8")
        if any(b.has_mark("slow") for b in parse_blocks(text)):
            yield pytest.param(path, True, id=f"{rel}[slow]", marks=pytest.mark.slow)


@pytest.mark.parametrize(("path", "slow"), list(cases()))
def test_doc_snippets(path, slow, tmp_path, monkeypatch):
    """Runs one page's blocks in a temporary cwd, with one torch thread."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.setattr(sys, "argv", ["doc-snippet"])
    # a page may register policies at run time (docs/extending.md does): keep them to the page
    monkeypatch.setattr(policies, "_registered", dict(policies._registered))
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is an optional extra
        torch = None
    threads = torch.get_num_threads() if torch else 0
    if torch:
        torch.set_num_threads(1)
    try:
        blocks = parse_blocks(path.read_text(encoding="utf-8"))
        run_blocks(blocks, path.relative_to(ROOT).as_posix(), tmp_path, slow)
    finally:
        if torch:
            torch.set_num_threads(threads)


# The harness itself: it must be able to fail, and the markers must parse.

SAMPLE = """\
# Page

```python
x = 1
```

<!-- doc-test: skip needs a GPU -->
```python
raise RuntimeError("never run")
```

<!-- doc-test: slow -->
```python
y = x + 1
```

<!-- doc-test: setup
z = 40
-->

```text
not code
```

```bash
pip install something   # not run
econ-env --help  # run
```
"""


def test_markers_parse():
    blocks = parse_blocks(SAMPLE)
    assert [(b.lang, b.line, b.mark) for b in blocks] == [
        ("python", 3, ""),
        ("python", 8, "skip"),
        ("python", 13, "slow"),
        ("setup", 17, ""),
        ("shell", 25, ""),
    ]
    assert blocks[1].reason == "needs a GPU"
    assert shell_commands(blocks[4].code) == [["econ-env", "--help"]]
    assert shell_commands("$ econ-env a \\\n    --b 'c d'  # note\nmake test") == [
        ["econ-env", "a", "--b", "c d"]
    ]
    text = (
        '<!-- doc-test: skip cmd="econ-env models prepare" needs the network -->\n'
        "<!-- doc-test: slow -->\n\n"
        "```console\n$ econ-env models prepare x\n$ econ-env models list\n```\n"
    )
    (block,) = parse_blocks(text)
    assert block.commands == {"econ-env models prepare": ("skip", "needs the network")}
    assert block.mark_of("econ-env models prepare x") == "skip"
    assert block.mark_of("econ-env models list") == "slow"
    assert block.has_mark("slow") and block.has_mark("skip")
    with pytest.raises(ValueError, match="pipeline"):
        shell_commands("econ-env demo | head")


def test_harness_runs_in_order_and_skips(tmp_path):
    assert run_blocks(parse_blocks(SAMPLE), "sample.md", tmp_path, slow=False) == 3
    assert run_blocks(parse_blocks(SAMPLE), "sample.md", tmp_path, slow=True) == 4


def test_harness_fails_with_file_and_line(tmp_path):
    text = "intro\n\n```python\na = 1\n```\n\n```python\nassert a == 2, 'wrong'\n```\n"
    with pytest.raises(AssertionError, match=r"bad\.md:7: python block failed"):
        run_blocks(parse_blocks(text), "bad.md", tmp_path, slow=False)
    with pytest.raises(AssertionError, match=r"bad\.md:1: `econ-env no-such-command` exited"):
        bad = "```bash\necon-env no-such-command\n```\n"
        run_blocks(parse_blocks(bad), "bad.md", tmp_path, slow=False)
