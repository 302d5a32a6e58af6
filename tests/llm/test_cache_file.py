"""The cache file itself: replay from a read-only file (a shared, published cache) never writes
to it, a corrupt, truncated or foreign file is an error naming it, and paths with ``#`` or ``?``
open the right file."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from econ_env.cli import main as cli_main
from econ_env.llm.base import GenRequest
from econ_env.llm.cache import CachedBackend, CacheFileError, CacheMiss, cache_stats, clear_cache

REQS = [GenRequest(({"role": "user", "content": f"q{i}"},), 32, seed=i) for i in range(3)]
NOBODY = 65534


def _record(path: Path) -> list:
    cache = CachedBackend("simulated", path=path, mode="record")
    out = cache.generate(REQS)
    cache.close()
    return out


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@contextmanager
def read_only(folder: Path, *, folder_too: bool) -> Iterator[None]:
    """Make ``folder``'s files (and the folder when ``folder_too``, else the folder is writable)
    read-only for this process: permission bits, and as root (which ignores them) the effective
    uid of ``nobody``."""
    for p in folder.iterdir():
        p.chmod(0o444)
    folder.chmod(0o555 if folder_too else 0o777)  # 0o777: writable by the other uid too
    root = os.geteuid() == 0
    if root:
        os.setegid(NOBODY)
        os.seteuid(NOBODY)
    try:
        with pytest.raises(PermissionError):  # the premise: writing really is refused
            (folder / next(iter(folder.iterdir())).name).open("ab")
        yield
    finally:
        if root:
            os.seteuid(0)
            os.setegid(0)
        folder.chmod(0o755)
        for p in folder.iterdir():
            p.chmod(0o644)
            if root:
                os.chown(p, 0, 0)


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder another uid can reach (pytest's tmp_path is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="econ-cache-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("folder_too", [True, False], ids=["read-only-folder", "read-only-file"])
def test_replay_from_a_read_only_file_never_writes(shared_dir, folder_too):
    pub = shared_dir / "pub"
    pub.mkdir(mode=0o755)
    expected = _record(pub / "gen.sqlite")
    before = _digest(pub)
    with read_only(pub, folder_too=folder_too):
        replay = CachedBackend("simulated", path=pub / "gen.sqlite", mode="replay")
        assert replay.generate(REQS) == expected
        assert replay.generate(REQS[:1]) == expected[:1]
        stats = replay.stats()
        miss = GenRequest(({"role": "user", "content": "new"},), 32, seed=9)
        with pytest.raises(CacheMiss):
            replay.generate([miss])
        replay.close()
        # writing modes say the file is read-only, naming it
        with pytest.raises(CacheFileError, match=r"gen\.sqlite.*read-only.*mode='replay'"):
            CachedBackend("simulated", path=pub / "gen.sqlite").generate(REQS)
    assert (stats["session_hits"], stats["session_misses"]) == (4, 0)
    assert stats["rows"] == 3 and stats["hits"] == 0  # the file's counters are untouched
    after = _digest(pub)
    assert after["gen.sqlite"] == before["gen.sqlite"]  # not one byte of the cache written
    if folder_too:
        assert after == before  # and no side file (SQLite's -shm) could be left


def _garbage(path: Path, kind: str) -> None:
    if kind == "text":
        path.write_text("model,text\nsmollm2,hello\n" * 50)
    elif kind == "truncated":
        _record(path)
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 3])
    elif kind == "corrupt":
        _record(path)
        data = bytearray(path.read_bytes())
        data[100:4096] = os.urandom(4096 - 100)  # the header's tail and the schema page
        path.write_bytes(bytes(data))
    else:  # an SQLite database of something else
        conn = sqlite3.connect(path)
        conn.execute("CREATE TABLE people (name TEXT)")
        conn.commit()
        conn.close()


@pytest.mark.parametrize("kind", ["text", "truncated", "corrupt", "foreign"])
@pytest.mark.parametrize("mode", ["replay", "read-write", "stats", "clear"])
def test_a_broken_file_is_an_error_naming_it(tmp_path, kind, mode):
    path = tmp_path / "broken.sqlite"
    _garbage(path, kind)
    with pytest.raises(CacheFileError, match=r"cache file .*broken\.sqlite") as info:
        if mode == "stats":
            cache_stats(path)
        elif mode == "clear":
            clear_cache(path)
        else:
            CachedBackend("simulated", path=path, mode=mode).generate(REQS)
    assert info.value.path == str(path)
    assert not isinstance(info.value, sqlite3.DatabaseError)


def test_the_cli_names_a_broken_file(tmp_path, capsys):
    path = tmp_path / "notes.txt"
    _garbage(path, "text")
    assert cli_main(["cache", "stats", "--path", str(path)]) == 1
    assert f"cache file {path}" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["a#b/gen.sqlite", "q?x=1/gen.sqlite", "p%20c/g#1?.sqlite"])
def test_paths_with_uri_characters_open_the_right_file(tmp_path, capsys, name):
    path = tmp_path / name
    path.parent.mkdir()
    expected = _record(path)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    assert cli_main(["cache", "stats", "--path", str(path)]) == 0
    assert "rows 3" in capsys.readouterr().out
    assert cache_stats(path)["path"] == str(path)
    replay = CachedBackend("simulated", path=path, mode="replay")
    assert replay.generate(REQS) == expected
    replay.close()
    after = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    assert [p for p in after if p not in before and not str(p).endswith(("-wal", "-shm"))] == []


def test_compact_gzip_is_a_replayable_deterministic_copy(tmp_path):
    """The shipped form of a cache: every row (the WAL's included), gzip bytes that depend only
    on the rows, and a file that replays without the model; a broken file is named."""
    import gzip

    from econ_env.llm.cache_file import compact_gzip

    path = tmp_path / "c.sqlite"
    cache = CachedBackend("simulated", path=path, mode="record")
    want = cache.generate(REQS)  # left open: the rows may still sit in the WAL
    data = compact_gzip(path)
    cache.close()
    assert data == compact_gzip(path)  # same rows, same bytes (mtime=0, vacuumed)
    copy = tmp_path / "copy.sqlite"
    copy.write_bytes(gzip.decompress(data))
    replay = CachedBackend("simulated", path=copy, mode="replay")
    assert [c.text for c in replay.generate(REQS)] == [c.text for c in want]
    replay.close()
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"not a database at all" * 100)
    with pytest.raises(CacheFileError, match=r"bad\.sqlite"):
        compact_gzip(bad)
