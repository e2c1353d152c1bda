"""Fixtures of the subscription tests."""

from __future__ import annotations

import pytest

from tests.subscriptions.support import Clock, fixed_clock


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return fixed_clock(monkeypatch)
