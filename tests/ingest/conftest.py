"""Fixtures for the local page server (tests/ingest/pageserver.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.ingest.pageserver import PageServer


@pytest.fixture
def page_server() -> Iterator[PageServer]:
    """A fresh page server on 127.0.0.1 with no routes; stopped (and handlers released) after."""
    with PageServer() as server:
        yield server
