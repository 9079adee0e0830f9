"""slogate.core imports only the stdlib and itself (pure core, thin edges)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parent.parent / "src" / "slogate" / "core"


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def test_core_imports_only_stdlib_and_core() -> None:
    offenders: list[str] = []
    files = sorted(CORE.rglob("*.py"))
    assert files, "core package not found"
    for path in files:
        for name in _imports(path):
            top = name.split(".")[0]
            if name.startswith("slogate.core") or top in sys.stdlib_module_names:
                continue
            if top == "__future__":
                continue
            offenders.append(f"{path.name}: {name}")
    assert offenders == []
