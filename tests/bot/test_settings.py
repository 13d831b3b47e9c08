"""`.env.example` documents exactly the settings that exist."""

from __future__ import annotations

import re
from pathlib import Path

from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_env_example_keys_equal_settings_fields() -> None:
    keys = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(), re.M))
    assert keys == {name.upper() for name in Settings.model_fields}


def test_every_setting_has_a_comment() -> None:
    # A setting, or a group of settings on consecutive lines, has a comment right above it.
    lines = (ROOT / ".env.example").read_text().splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^[A-Z][A-Z0-9_]*=", line):
            above = i - 1
            while above >= 0 and re.match(r"^[A-Z][A-Z0-9_]*=", lines[above]):
                above -= 1
            assert above >= 0 and lines[above].startswith("#"), f"{line} has no comment"


def test_settings_come_from_the_environment(monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("ALLOW_PRIVATE_HOSTS", "127.0.0.1, 10.0.0.0/8")
    settings = Settings()
    assert settings.chroma_path == tmp_path / "d" / "chroma"
    assert settings.private_hosts == ("127.0.0.1", "10.0.0.0/8")
