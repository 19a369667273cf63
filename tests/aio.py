"""Running a coroutine from a synchronous test, whatever ran before it."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run_async(coro: Coroutine[Any, Any, T], *, timeout: float = 300) -> T:
    """``asyncio.run(coro)`` on a thread of its own.

    The browser tests' synchronous driver keeps an event loop running on the main thread for the rest of the test
    session, and ``asyncio.run`` refuses to start inside a running loop: every test that runs after them (in
    ``make test``, tests/security does) would fail for that reason alone. The caller's context variables go along
    (Reflex keeps its registry of event handlers in one).
    """
    context = contextvars.copy_context()
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(context.run, asyncio.run, coro).result(timeout=timeout)
