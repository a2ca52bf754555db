"""Markers of the reliability tests."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "crash: kills real processes at random points (part of the default run, so CI runs it)"
    )
