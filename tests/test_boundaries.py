"""Dependencies point one way: bot -> ingest -> retrieval; inside bot, front ends on top.

    bot.cli, bot.telegram          front ends: nothing else imports them (the CLI's `start`
                                   loads bot.telegram.application, the one way in)
    bot.services, bot.settings     the composition root and configuration
    bot.evaluation                 measuring: services and settings
    bot.alerts, bot.feeds          below the services: state only
    bot.state                      SQL only: nothing else of bot
Only bot/ reads the environment; below the front ends only services and evaluation see Settings.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {"retrieval": {"ingest", "bot"}, "ingest": {"bot"}}

# For each part of bot/, the parts of bot/ it may import (besides itself).
BOT_ALLOWED = {
    "bot.state": set(),
    "bot.alerts": {"bot.state"},
    "bot.feeds": {"bot.state"},
    "bot.inbox": set(),
    "bot.settings": set(),
    "bot.wording": set(),
    "bot.services": {"bot.settings", "bot.state", "bot.alerts", "bot.feeds"},
    "bot.evaluation": {"bot.services", "bot.settings"},
    "bot.telegram": {
        "bot.wording",
        "bot.services",
        "bot.settings",
        "bot.state",
        "bot.alerts",
        "bot.feeds",
        "bot.inbox",
    },
    "bot.cli": {
        "bot.wording",
        "bot.services",
        "bot.settings",
        "bot.state",
        "bot.alerts",
        "bot.feeds",
        "bot.inbox",
        "bot.evaluation",
        "bot.telegram.application",
    },
}


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports (absolute imports), anywhere in the file."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def imported_packages(path: Path) -> set[str]:
    return {name.split(".")[0] for name in imported_modules(path)}


def part_of(module: str) -> str | None:
    """The part of bot/ (a key of BOT_ALLOWED) a module belongs to."""
    return next((p for p in BOT_ALLOWED if module == p or module.startswith(p + ".")), None)


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_import_points_upwards(package: str) -> None:
    wrong = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) & FORBIDDEN[package])
        for path in (ROOT / package).rglob("*.py")
    }
    assert {k: v for k, v in wrong.items() if v} == {}


def test_inside_bot_front_ends_are_on_top() -> None:
    wrong: dict[str, list[str]] = {}
    for path in (ROOT / "bot").rglob("*.py"):
        own = part_of(module_name(path))
        if own is None:  # bot/__init__.py
            continue
        allowed = BOT_ALLOWED[own] | {own}
        for name in imported_modules(path):
            if not name.startswith("bot.") or name == "bot":
                continue
            if not any(name == a or name.startswith(a + ".") for a in allowed):
                # `from bot.x import y` also lists bot.x.y: judge the module, not the name
                if part_of(name) is None or part_of(name) == own:
                    continue
                wrong.setdefault(str(path.relative_to(ROOT)), []).append(name)
    assert wrong == {}


@pytest.mark.parametrize("package", ["bot", "ingest", "retrieval"])
def test_every_package_says_what_it_holds_and_may_import(package: str) -> None:
    for init in (ROOT / package).rglob("__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text())) or ""
        assert "import" in doc.lower(), f"{init.relative_to(ROOT)} does not say what it imports"
    folders = {p.parent for p in (ROOT / package).rglob("*.py")} - {ROOT / package / "__pycache__"}
    missing = [str(f.relative_to(ROOT)) for f in folders if not (f / "__init__.py").exists()]
    assert missing == []


# retrieval's rooms, lowest first: each may import the rooms below it, never one above.
RETRIEVAL_ROOMS = (
    "retrieval.language",
    "retrieval.embedding",
    "retrieval.index",
    "retrieval.ranking",
    "retrieval.answering",
)
RETRIEVAL_FLOOR = ("retrieval.types", "retrieval.errors")  # any room may use these


def test_retrieval_rooms_import_downwards_only() -> None:
    wrong: dict[str, list[str]] = {}
    for path in (ROOT / "retrieval").rglob("*.py"):
        own = module_name(path)
        if own in RETRIEVAL_FLOOR or own == "retrieval":
            level = -1  # the floor imports no room
        else:
            level = next(i for i, r in enumerate(RETRIEVAL_ROOMS) if own.startswith(r))
        for name in imported_modules(path):
            room = next((i for i, r in enumerate(RETRIEVAL_ROOMS) if name.startswith(r)), None)
            if room is not None and room > level:
                wrong.setdefault(str(path.relative_to(ROOT)), []).append(name)
    assert wrong == {}


def test_retrieval_is_rooms_not_a_flat_folder() -> None:
    modules = sorted(p.name for p in (ROOT / "retrieval").glob("*.py"))
    assert len(modules) <= 6, modules
    rooms = [p for p in (ROOT / "retrieval").iterdir() if (p / "__init__.py").exists()]
    assert len(rooms) >= 4
    assert sorted(f"retrieval.{p.name}" for p in rooms) == sorted(RETRIEVAL_ROOMS)


def test_retrieval_runs_models_and_never_trains_them() -> None:
    """Training is evaluation's business (bot/evaluation/reader/): only what a question runs
    lives in retrieval/."""
    trains = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "retrieval").rglob("*.py")
        if any(word in path.read_text() for word in ("torch.optim", ".backward(", "AdamW"))
    ]
    assert trains == []


def test_bot_keeps_few_modules_at_its_top_level() -> None:
    modules = sorted(p.name for p in (ROOT / "bot").glob("*.py"))
    assert len(modules) <= 8, modules


@pytest.mark.parametrize("package", ["retrieval", "ingest"])
def test_library_code_reads_no_environment(package: str) -> None:
    readers = [
        str(path.relative_to(ROOT))
        for path in (ROOT / package).rglob("*.py")
        if "os.environ" in path.read_text()
        or "getenv" in path.read_text()
        or "pydantic_settings" in path.read_text()
    ]
    assert readers == []


def test_only_settings_touches_the_environment() -> None:
    """Configuration and the offline switches for models live in one place, bot/settings.py;
    entry points call its use_offline_models(), child processes get its child_environment()."""
    touching = sorted(
        str(path.relative_to(ROOT))
        for package in ("bot", "ingest", "retrieval")
        for path in (ROOT / package).rglob("*.py")
        if "os.environ" in path.read_text() or "getenv" in path.read_text()
    )
    assert touching == ["bot/settings.py"]


def test_the_walker_sees_imports() -> None:
    assert {"retrieval", "ingest"} <= imported_packages(ROOT / "ingest" / "pipeline.py")
    assert "bot.state.database" in imported_modules(ROOT / "bot" / "alerts" / "topics.py")
    assert part_of("bot.telegram.handlers.feeds") == "bot.telegram"
