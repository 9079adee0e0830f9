"""`slogate scrub` and `slogate compact` as a user runs them (real processes)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pyarrow.parquet as pq

from tests.privacy.pii_corpus import PII_SAMPLES, events_with_pii, find_leaks


def _slogate(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "slogate", *args],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=120,
        check=False,
    )


def test_scrub_jsonl_and_log_file_to_output(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    lines = [orjson.dumps(e).decode() for e in events_with_pii()]
    lines += [f"2026-11-26 12:00:00 INFO app {lines[0]}"]
    lines += [f"plain text with {s.text} inside" for s in PII_SAMPLES if "\n" not in s.text]
    src.write_text("\n".join(lines) + "\n")
    assert find_leaks(src.read_text())  # the input does hold PII
    out = tmp_path / "sub" / "out.jsonl"
    done = _slogate("scrub", str(src), "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert f"scrubbed {len(lines)} lines" in done.stderr
    text = out.read_text()
    assert find_leaks(text) == []
    result = text.splitlines()
    assert len(result) == len(lines)
    # Event lines stay JSON objects; the log line keeps its prefix.
    assert all(isinstance(orjson.loads(x), dict) for x in result[: len(events_with_pii())])
    assert result[len(events_with_pii())].startswith("2026-11-26 12:00:00 INFO app {")
    assert [p.name for p in out.parent.iterdir()] == ["out.jsonl"]  # no temp file left


def test_scrub_stdin_to_stdout() -> None:
    done = _slogate("scrub", "-", stdin="mail jane.doe@example.com\nok\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "mail [email]\nok\n"


def test_scrub_missing_file_is_a_one_line_error(tmp_path: Path) -> None:
    done = _slogate("scrub", str(tmp_path / "absent.jsonl"))
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "file not found" in done.stderr


def test_compact_store_directory_twice(tmp_path: Path) -> None:
    part = tmp_path / "events" / "date=2026-11-26"
    part.mkdir(parents=True)
    for seq in (1, 2):
        rows = [{"ts": "2026-11-26T01:00:00Z", "event": "e", "i": i} for i in range(10)]
        (part / f"h-{seq:06d}.jsonl").write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    done = _slogate("compact", "--data", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "2 segments compacted, 20 rows" in done.stdout
    assert sorted(p.name for p in part.iterdir()) == ["h-000001.parquet", "h-000002.parquet"]
    assert pq.read_table(part / "h-000001.parquet").num_rows == 10
    again = _slogate("compact", "--data", str(tmp_path))
    assert again.returncode == 0 and "0 segments compacted, 0 rows" in again.stdout


def test_compact_reports_corrupt_segment_with_exit_1(tmp_path: Path) -> None:
    part = tmp_path / "events" / "date=2026-11-26"
    part.mkdir(parents=True)
    (part / "h-000001.jsonl").write_bytes(b'{"event":"a"}\nnot json\n')
    done = _slogate("compact", "--data", str(tmp_path))
    assert done.returncode == 1
    assert "h-000001.jsonl:2: invalid JSON" in done.stderr
    assert (part / "h-000001.jsonl").exists()


def test_compact_without_store_fails_cleanly(tmp_path: Path) -> None:
    done = _slogate("compact", "--data", str(tmp_path / "nope"))
    assert done.returncode == 1
    assert done.stderr.startswith("slogate: error:") and "no event store" in done.stderr


def test_scrub_gzip_input_keeps_line_endings(tmp_path: Path) -> None:
    import gzip

    src = tmp_path / "app.log.gz"
    with gzip.open(src, "wt", newline="") as fh:
        fh.write("login ok for bob@example.org\r\nno pii here\r\n")
    out = tmp_path / "clean.log"
    done = _slogate("scrub", str(src), "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == b"login ok for [email]\r\nno pii here\r\n"
