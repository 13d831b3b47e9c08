"""Dependencies point one way: bot -> ingest -> retrieval; only bot/ reads settings."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {"retrieval": {"ingest", "bot"}, "ingest": {"bot"}}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_import_points_upwards(package: str) -> None:
    wrong = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) & FORBIDDEN[package])
        for path in (ROOT / package).rglob("*.py")
    }
    assert {k: v for k, v in wrong.items() if v} == {}


@pytest.mark.parametrize("package", ["retrieval", "ingest"])
def test_library_code_reads_no_environment(package: str) -> None:
    readers = [
        str(path.relative_to(ROOT))
        for path in (ROOT / package).rglob("*.py")
        if "os.environ.get" in path.read_text()
        or "getenv" in path.read_text()
        or "pydantic_settings" in path.read_text()
    ]
    assert readers == []


def test_the_walker_sees_imports() -> None:
    assert {"retrieval", "ingest"} <= imported_packages(ROOT / "ingest" / "pipeline.py")
