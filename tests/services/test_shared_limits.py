"""Per-client limits hold across workers: with Redis configured, every worker (here: separate limiter instances and
a separate process) counts in one place; without Redis, or while it does not answer, each worker counts alone.

Redis runs on the CI machine at its default local port (as PostgreSQL does); without it these tests skip, and say so.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from portal_app.services import ratelimit
from portal_app.services.ratelimit import REDIS_PREFIX, ClientRateLimiter
from portal_app.settings import get_settings

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("PORTAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_answers() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except Exception:  # noqa: BLE001
        return False


@pytest.fixture
def shared(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    if not _redis_answers():
        pytest.skip(f"no Redis answers at {REDIS_URL}: the shared limits cannot be tested here")
    import redis

    monkeypatch.setattr(get_settings(), "redis_url", REDIS_URL)
    monkeypatch.setattr(ratelimit, "_redis", ratelimit._Redis())
    conn = redis.Redis.from_url(REDIS_URL)
    for key in conn.scan_iter(match=f"{REDIS_PREFIX}test-*"):
        conn.delete(key)
    yield REDIS_URL
    for key in conn.scan_iter(match=f"{REDIS_PREFIX}test-*"):
        conn.delete(key)


def test_two_workers_share_one_budget(shared: str) -> None:
    worker_a = ClientRateLimiter(5, 60, name="test-links")
    worker_b = ClientRateLimiter(5, 60, name="test-links")  # another process's instance: no memory in common
    assert [worker_a.allow("198.51.100.7") for _ in range(3)] == [True] * 3
    assert [worker_b.allow("198.51.100.7") for _ in range(3)] == [True, True, False]
    assert not worker_a.allow("198.51.100.7")
    assert worker_b.allow("198.51.100.8")  # another client has its own budget


def test_a_separate_process_counts_in_the_same_place(shared: str) -> None:
    here = ClientRateLimiter(6, 60, name="test-process")
    assert [here.allow("203.0.113.9") for _ in range(4)] == [True] * 4
    code = (
        "from portal_app.services.ratelimit import ClientRateLimiter\n"
        "lim = ClientRateLimiter(6, 60, name='test-process')\n"
        "print(sum(lim.allow('203.0.113.9') for _ in range(5)))\n"
    )
    env = {**os.environ, "PORTAL_REDIS_URL": shared}
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert out.stdout.strip() == "2"  # 6 in all: the other process got what this one left
    assert not here.allow("203.0.113.9")


def test_the_window_slides_and_keys_expire_holding_no_address(shared: str) -> None:
    import redis

    lim = ClientRateLimiter(2, 0.3, name="test-window")
    assert [lim.allow("192.0.2.1") for _ in range(3)] == [True, True, False]
    conn = redis.Redis.from_url(shared)
    keys = [k.decode() for k in conn.scan_iter(match=f"{REDIS_PREFIX}test-window:*")]
    assert len(keys) == 1 and "192.0.2.1" not in keys[0]
    assert 0 < conn.pttl(keys[0]) <= 300
    time.sleep(0.35)
    assert lim.allow("192.0.2.1")
    lim.clear()
    assert not list(conn.scan_iter(match=f"{REDIS_PREFIX}test-window:*"))


def test_without_redis_each_worker_still_limits_on_its_own(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(get_settings(), "redis_url", "redis://127.0.0.1:9/0")  # nothing listens there
    monkeypatch.setattr(ratelimit, "_redis", ratelimit._Redis())
    lim = ClientRateLimiter(3, 60, name="test-down")
    with caplog.at_level(logging.ERROR, logger="portal.security"):
        assert [lim.allow("192.0.2.2") for _ in range(4)] == [True, True, True, False]
    falls = [r for r in caplog.records if "fall back" in r.getMessage()]
    assert len(falls) == 1  # said once, then Redis is left alone for a while


def test_with_no_redis_configured_nothing_is_tried(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "redis_url", "")
    monkeypatch.setattr(ratelimit, "_redis", ratelimit._Redis())
    lim = ClientRateLimiter(1, 60, name="test-memory")
    assert lim.allow("x") and not lim.allow("x")
    assert ratelimit._redis._clients == {}
