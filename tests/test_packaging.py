"""What an installed wheel carries: every file the package reads at run time.

The example (configuration and evidence) lives inside the package so that
`pip install slogate && slogate demo` works without a checkout; the checkout's
`examples/readiness-demo` is a link to it.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from slogate.cli.demo_cmds import example_config_path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "slogate"


def _package_data_globs() -> list[str]:
    doc = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return list(doc["tool"]["setuptools"]["package-data"]["slogate"])


def _shipped(path: Path, globs: list[str]) -> bool:
    rel = path.relative_to(PACKAGE)
    return any(rel in {p.relative_to(PACKAGE) for p in PACKAGE.glob(g)} for g in globs)


def test_every_non_python_file_the_package_reads_is_package_data() -> None:
    globs = _package_data_globs()
    folders = ["examples", "config/defaults", "report/templates", "web/templates", "web/static"]
    data = [p for f in folders for p in (PACKAGE / f).rglob("*") if p.is_file()]
    assert any(p.name == "slogate.yaml" for p in data)
    missing = [str(p.relative_to(PACKAGE)) for p in data if not _shipped(p, globs)]
    assert missing == []


def test_the_example_is_found_inside_the_package_and_the_checkout_links_to_it() -> None:
    found = example_config_path()
    assert found == PACKAGE / "examples" / "readiness-demo" / "slogate.yaml"
    assert (found.parent / "evidence" / "junit").is_dir()
    link = ROOT / "examples" / "readiness-demo"
    assert link.is_symlink() and link.resolve() == found.parent.resolve()
