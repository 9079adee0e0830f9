"""The `store:` section: defaults for old files, values, and errors with file:line."""

from __future__ import annotations

import textwrap

import pytest

from slogate.config import load_config, load_config_text
from slogate.errors import ConfigError
from slogate.store.segments import DEFAULT_COMMIT_INTERVAL

BASE = """
version: 1
events:
  - name: ok
    family: f
    origin: server
"""


def test_example_without_store_section_gets_defaults(example_config_path) -> None:
    store = load_config(example_config_path).config.store
    assert store.max_segment_mb == 64 and store.max_segment_bytes == 64 * 2**20
    assert store.fsync is True and store.instance is None
    assert store.compaction.compression == "zstd"
    assert store.compaction.interval_minutes is None
    # The config's default and the store's own default are one number.
    assert store.commit_interval_ms / 1000 == DEFAULT_COMMIT_INTERVAL


def test_store_values_are_read() -> None:
    text = BASE + textwrap.dedent(
        """
        store:
          max_segment_mb: 8
          fsync: false
          instance: web-2
          commit_interval_ms: 0
          compaction: {compression: snappy, row_group_rows: 5000, interval_minutes: 15}
        """
    )
    store = load_config_text(text, file="s.yaml", env={}).config.store
    assert (store.max_segment_bytes, store.fsync, store.instance) == (8 * 2**20, False, "web-2")
    assert store.compaction.compression == "snappy"
    assert store.compaction.interval_minutes == 15
    assert store.commit_interval_ms == 0


@pytest.mark.parametrize(
    ("snippet", "field"),
    [
        ("store:\n  instance: ../etc\n", "store.instance"),
        ("store:\n  max_segment_mb: 0\n", "store.max_segment_mb"),
        ("store:\n  compaction: {compression: lz77}\n", "store.compaction.compression"),
        ("store:\n  segment_size: 3\n", "store.segment_size"),
        ("store:\n  commit_interval_ms: -1\n", "store.commit_interval_ms"),
        ("store:\n  commit_interval_ms: 5000\n", "store.commit_interval_ms"),
    ],
)
def test_bad_store_values_name_file_line_and_field(snippet: str, field: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config_text(BASE + snippet, file="s.yaml", env={})
    assert info.value.file == "s.yaml"
    assert info.value.line is not None and info.value.line >= 7
    assert info.value.field == field


def test_serve_builds_its_store_from_the_section(tmp_path) -> None:
    from slogate.cli.ingest_cmds import store_from_settings

    text = BASE + "store:\n  commit_interval_ms: 250\n  max_segment_mb: 2\n  fsync: true\n"
    settings = load_config_text(text, file="s.yaml", env={}).config.store
    store = store_from_settings(settings, tmp_path, instance="web-1", fsync=True)
    assert store.commit_interval == 0.25
    assert store.instance == "web-1"
    default = load_config_text(BASE, file="s.yaml", env={}).config.store
    assert store_from_settings(default, tmp_path, instance="w", fsync=False).commit_interval == (
        DEFAULT_COMMIT_INTERVAL
    )
