"""`briefbot feed`: add, list, poll and remove feeds from the command line."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import pytest

from bot.cli.app import main
from bot.services import build_services
from tests.bot.feeds.pages import article, rss
from tests.ingest.pageserver import PageServer


def test_cli_feed_add_list_poll_remove(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    page_server: PageServer,
    model: Any,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ALLOW_PRIVATE_HOSTS", "127.0.0.1")
    main_ = partial(main, build=partial(build_services, model=model))
    page_server.add("/news/lake-geneva", article("lake-geneva"))
    url = page_server.add("/rss", rss(page_server, ["lake-geneva"]), "application/rss+xml")
    assert main_(["feed", "add", url]) == 0
    assert main_(["feed", "poll"]) == 0
    assert main_(["feed", "poll"]) == 0
    assert main_(["feed", "list"]) == 0
    assert main_(["list", "--json"]) == 0
    assert main_(["feed", "remove", "1"]) == 0
    assert main_(["feed", "remove", "1"]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert f"{url}: 1 new" in out and f"{url}: 0 new" in out
    assert "Lake Geneva water treaty signed" in out
    assert f"Removed {url}" in out and "No feed number 1" in out
