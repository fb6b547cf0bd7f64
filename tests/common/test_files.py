"""common.files: atomic writes leave the old file or the new one, never a part; the memo recomputes on change."""

import os

import pytest

from common.files import StatMemo, atomic_dir, atomic_write, stat_signature


def test_atomic_write_replaces_only_on_success(tmp_path):
    """A failed write leaves the previous content and no temporary file behind."""
    target = tmp_path / "sub" / "model.pt"
    with atomic_write(target) as fh:
        fh.write(b"first")
    with pytest.raises(RuntimeError):
        with atomic_write(target) as fh:
            fh.write(b"half")
            raise RuntimeError("disk full")
    assert target.read_bytes() == b"first"
    assert os.listdir(target.parent) == ["model.pt"]


def test_atomic_write_text_mode(tmp_path):
    """Text mode writes text; the file is readable by others (not mkstemp's 0600)."""
    target = tmp_path / "model.json"
    with atomic_write(target, "w") as fh:
        fh.write("{}")
    assert target.read_text() == "{}"
    assert target.stat().st_mode & 0o044 == 0o044


def test_atomic_dir_publishes_whole_or_nothing(tmp_path):
    """A directory appears complete under its name, and a failure leaves no trace."""
    dest = tmp_path / "dataset"
    with pytest.raises(ValueError):
        with atomic_dir(dest) as tmp:
            (tmp / "a.txt").write_text("a")
            raise ValueError("bad image")
    assert not dest.exists() and os.listdir(tmp_path) == []
    dest.mkdir()  # an empty directory is replaced
    with atomic_dir(dest) as tmp:
        (tmp / "a.txt").write_text("a")
    assert (dest / "a.txt").read_text() == "a"
    assert os.listdir(tmp_path) == ["dataset"]


def test_atomic_dir_never_replaces_a_finished_directory(tmp_path):
    """A non-empty destination is an error and keeps its files."""
    dest = tmp_path / "dataset"
    dest.mkdir()
    (dest / "keep.txt").write_text("k")
    with pytest.raises(OSError):
        with atomic_dir(dest) as tmp:
            (tmp / "new.txt").write_text("n")
    assert sorted(os.listdir(dest)) == ["keep.txt"]
    assert os.listdir(tmp_path) == ["dataset"]


def test_stat_memo_recomputes_when_the_file_changes(tmp_path):
    """Same signature: cached value; a rewritten file: computed again."""
    path = tmp_path / "w.bin"
    path.write_bytes(b"one")
    memo, calls = StatMemo(), []

    def compute():
        calls.append(1)
        return path.read_bytes()

    assert memo.get(str(path), stat_signature(path), compute) == b"one"
    assert memo.get(str(path), stat_signature(path), compute) == b"one"
    assert len(calls) == 1
    path.write_bytes(b"three")
    assert memo.get(str(path), stat_signature(path), compute) == b"three"
    assert len(calls) == 2
