"""Input discovery on real files: directories, globs, pruning, skipped files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from slogate.errors import InputError
from slogate.sources import discover_inputs


def _touch(path: Path, text: str = "{}\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_directory_walk_skips_hidden_temporary_and_dead_letters(tmp_path: Path) -> None:
    keep = [
        _touch(tmp_path / "a.jsonl"),
        _touch(tmp_path / "sub" / "b.log.gz"),
        _touch(tmp_path / "sub" / "deep" / "c.parquet"),
        _touch(tmp_path / "d.ndjson"),
    ]
    _touch(tmp_path / ".hidden.jsonl")
    _touch(tmp_path / "_partial.jsonl")
    _touch(tmp_path / "e.jsonl.tmp")
    _touch(tmp_path / "notes.md")
    _touch(tmp_path / ".git" / "x.jsonl")
    _touch(tmp_path / "deadletter" / "date=2026-11-20" / "i.jsonl")
    found = discover_inputs([tmp_path])
    assert [f.path for f in found] == sorted(keep)
    assert {f.path.name: f.format for f in found}["c.parquet"] == "parquet"


def test_explicit_file_with_any_name_is_read_as_lines(tmp_path: Path) -> None:
    odd = _touch(tmp_path / "server.out")
    (found,) = discover_inputs([odd])
    assert (found.path, found.format) == (odd, "lines")


def test_recursive_glob_and_dedup_of_overlapping_inputs(tmp_path: Path) -> None:
    a = _touch(tmp_path / "x" / "a.jsonl")
    b = _touch(tmp_path / "x" / "y" / "b.jsonl")
    found = discover_inputs([str(tmp_path / "**" / "*.jsonl"), a, tmp_path / "x"])
    assert [f.path for f in found] == [a, b]


def test_partition_pruning_by_range(tmp_path: Path) -> None:
    files = [_touch(tmp_path / f"date=2026-11-{d}" / "i-000001.jsonl") for d in (19, 20, 21)]
    since = datetime(2026, 11, 20, 12, tzinfo=UTC)
    until = datetime(2026, 11, 21, tzinfo=UTC)
    found = discover_inputs([tmp_path], since=since, until=until)
    assert [f.path for f in found] == [files[1]]
    assert found[0].partition_date is not None and found[0].partition_date.day == 20
    assert len(discover_inputs([tmp_path], since=since)) == 2
    assert len(discover_inputs([tmp_path])) == 3


def test_missing_paths_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        discover_inputs([tmp_path / "missing"])
    with pytest.raises(InputError, match="no file matches"):
        discover_inputs([str(tmp_path / "*.parquet")])
    assert discover_inputs([tmp_path]) == []  # an empty folder is an empty input
