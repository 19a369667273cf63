"""Shared fixtures for the HTTP route tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from portal_app.services import ratelimit


@pytest.fixture(autouse=True)
def _fresh_redemption_limiter() -> Iterator[None]:
    # Every test client is 127.0.0.1: without this, link redemptions of earlier tests would count against later ones.
    ratelimit.redemptions.clear()
    yield
    ratelimit.redemptions.clear()
