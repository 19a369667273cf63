"""The raw session token is never kept at rest: not in the pickled Reflex state (disk ``.states`` files, Redis).

Reflex copies the websocket handshake's headers (Cookie included) into the router data of the root state, which the
disk and Redis state managers pickle. ``state.at_rest`` scrubs credential headers from every pickled state and
``BaseState._token`` reads the cookie of the event being processed, so every event still resolves the session.
These tests serialize states exactly as the managers do and drive real events through Reflex's event processor
over a disk manager in a temporary folder and, when a Redis server answers on 127.0.0.1:6379, over Redis.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

os.environ.setdefault("__REFLEX_SKIP_COMPILE", "1")

import reflex as rx  # noqa: E402
from reflex.istate.manager.token import BaseStateToken  # noqa: E402
from reflex.state import State  # noqa: E402
from reflex_base.event import Event  # noqa: E402
from reflex_base.event.context import EventContext  # noqa: E402
from reflex_base.event.processor.base_state_processor import BaseStateEventProcessor  # noqa: E402

import portal_app.portal_app  # noqa: E402, F401  every page state registered, as in the running app
from portal_app.services.sessions import COOKIE_NAME  # noqa: E402
from state import at_rest  # noqa: E402
from state.base import BaseState  # noqa: E402
from state.settings import SettingsState  # noqa: E402
from state.staff import StaffHomeState  # noqa: E402
from tests.aio import run_async  # noqa: E402
from tests.factories import make_tenant  # noqa: E402
from tests.state.test_page_states import call, page_state, staff_token  # noqa: E402

OTHER_COOKIES = "theme=dark; _ga=GA1.2.3"
BEARER = "Bearer not-for-storage-0123456789"


@pytest.fixture()
def db(committed_engine: Any) -> Iterator[Session]:
    with Session(committed_engine, expire_on_commit=False) as session:
        yield session


def _secret_forms(token: str) -> list[bytes]:
    """Every form the token could take in a pickle: its text (str pickles are UTF-8) and the cookie pair."""
    return [token.encode(), f"{COOKIE_NAME}={token}".encode(), BEARER.encode(), BEARER.split()[1].encode()]


def assert_no_secret(blob: bytes, token: str, where: str) -> None:
    for form in _secret_forms(token):
        assert form not in blob, f"{form!r} stored in {where}"
    text = blob.decode("latin-1")
    assert token not in text and f"{COOKIE_NAME}=" not in text, f"cookie stored in {where}"


def _tree(state: rx.State) -> list[rx.State]:
    out, todo = [], [state]
    while todo:
        current = todo.pop()
        out.append(current)
        todo.extend(current.substates.values())
    return out


def _router_data(token: str, client_token: str, path: str = "/app") -> dict[str, Any]:
    """What ``EventNamespace.on_event`` builds for an event: the live socket's headers and the page."""
    return {
        "headers": {
            "cookie": f"{OTHER_COOKIES}; {COOKIE_NAME}={token}",
            "authorization": BEARER,
            "origin": "http://portal.test",
            "user-agent": "pytest",
        },
        "sid": "sid-1",
        "ip": "127.0.0.1",
        "token": client_token,
        "pathname": path,
        "asPath": path,
        "query": {},
    }


# -- the serialization hook ---------------------------------------------------------------------------------------


def test_hook_covers_the_root_state_and_every_state_class() -> None:
    assert at_rest.installed()
    assert getattr(rx.State.__getstate__, "_portal_scrubbed", False)
    assert getattr(BaseState.__getstate__, "_portal_scrubbed", False)
    at_rest.install()  # idempotent: wrapping twice would still be correct, but is not done
    assert not getattr(State.__getstate__.__wrapped__, "_portal_scrubbed", False)  # type: ignore[attr-defined]


def test_serialized_states_hold_no_token_while_the_live_state_resolves_the_actor(db: Session) -> None:
    t = make_tenant(db)
    token = staff_token(db, t.owner.user_id, t.ws.id)
    state = page_state(SettingsState, token, other_cookies=OTHER_COOKIES)
    call(state, "load")
    assert state.gate == "ready" and state.workspace_name == t.ws.name
    root = state._get_root_state()
    # As Reflex's event processor does before the handler: router vars and router_data from the event.
    root.router_data = root._update_router_vars(_router_data(token, "tab-1"), root.router_data)
    states = _tree(root)
    assert len(states) > 10
    for each in states:
        for blob in (each._serialize(), BaseStateToken.serialize(each)):
            assert_no_secret(blob, token, each.get_full_name())
    # The live objects keep the cookie: the handlers of this event (and the next, until reloaded) still see it.
    assert state._token() == token and state._staff() is not None
    assert root.router_data["headers"]["cookie"].endswith(token)
    # What comes back from the store: the other headers and the page are kept, so nothing is rehydrated for it.
    loaded = State._deserialize(root._serialize())
    assert loaded.router_data and loaded.router_data["headers"]["origin"] == "http://portal.test"
    assert (
        "cookie" not in loaded.router_data["headers"] and "authorization" not in loaded.router_data["headers"]
    )
    assert loaded.router.headers.cookie == "" and "cookie" not in loaded.router.headers.raw_headers
    assert loaded.router.headers.user_agent == "pytest" and loaded.router_data["pathname"] == "/app"


def test_a_stored_state_resolves_the_session_from_the_event_being_processed(db: Session) -> None:
    """A background task's ``async with self`` reloads the state from Redis without the cookie: ``_token`` reads
    the cookie of the event that started it (the live socket's headers), not the stored copy."""
    t = make_tenant(db)
    token = staff_token(db, t.owner.user_id, t.ws.id)
    stored = page_state(StaffHomeState, token)
    stored = type(stored)._deserialize(stored._serialize())
    assert stored._token() is None  # what a reload from the store would see by itself
    ctx = EventContext(
        token="tab-1",
        state_manager=None,  # type: ignore[arg-type]
        enqueue_impl=None,  # type: ignore[arg-type]
        router_data=_router_data(token, "tab-1"),
    )
    with ctx:
        assert stored._token() == token and stored._staff() is not None
    signed_out = dataclasses.replace(
        ctx, router_data=_router_data("", "tab-1") | {"headers": {"origin": "x"}}
    )
    with signed_out:
        live = page_state(StaffHomeState, token)
        assert live._token() is None  # the connection has no cookie: whatever the state holds is not used


# -- real events through Reflex's event processor ---------------------------------------------------------------


async def _process(manager: Any, client_token: str, router_data: dict[str, Any], handler: str) -> None:
    processor = BaseStateEventProcessor()
    async with processor.configure(state_manager=manager):
        name = f"{BaseState.get_full_name()}.{handler}"
        future = await processor.enqueue(client_token, Event(name=name, router_data=router_data))
        await asyncio.wait_for(future, timeout=30)


async def _viewer(manager: Any, client_token: str) -> BaseState:
    root = await manager.get_state(BaseStateToken(ident=client_token, cls=State))
    return await root.get_state(BaseState)


async def _reset_viewer(manager: Any, client_token: str) -> None:
    async with manager.modify_state(BaseStateToken(ident=client_token, cls=State)) as root:
        viewer = await root.get_state(BaseState)
        viewer.viewer_kind = ""
        assert root.router.headers.cookie == ""  # loaded from the store: no cookie in it


def test_disk_manager_files_hold_no_token_after_events(
    db: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reflex.istate.manager.disk import StateManagerDisk

    t = make_tenant(db)
    token = staff_token(db, t.owner.user_id, t.ws.id)
    client_token = str(uuid.uuid4())
    monkeypatch.setenv("REFLEX_STATES_WORKDIR", str(tmp_path))

    async def scenario() -> None:
        first = StateManagerDisk()
        assert first.states_directory == tmp_path.absolute()
        await _process(first, client_token, _router_data(token, client_token), "load_viewer")
        assert (await _viewer(first, client_token)).viewer_kind == "staff"
        await first.close()  # flushes the write queue
        # A restart: the state comes back from disk without the cookie; the next event brings the socket's.
        second = StateManagerDisk()
        await _reset_viewer(second, client_token)
        await _process(second, client_token, _router_data(token, client_token), "load_viewer")
        viewer = await _viewer(second, client_token)
        assert viewer.viewer_kind == "staff" and viewer._token() == token
        await second.close()

    run_async(scenario())
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert files, "the disk manager wrote nothing"
    for path in files:
        assert_no_secret(path.read_bytes(), token, str(path))


def _redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _redis_up(), reason="no Redis server on 127.0.0.1:6379")
def test_redis_keys_hold_no_token_after_events(db: Session) -> None:
    from redis.asyncio import Redis
    from reflex.istate.manager.redis import StateManagerRedis

    t = make_tenant(db)
    token = staff_token(db, t.owner.user_id, t.ws.id)
    client_token = f"at-rest-{uuid.uuid4()}"

    async def stored_values(redis: Any) -> dict[bytes, bytes]:
        out: dict[bytes, bytes] = {}
        async for key in redis.scan_iter(match=f"*{client_token}*"):
            kind = await redis.type(key)
            if kind == b"string":
                out[key] = await redis.get(key)
            elif kind == b"hash":
                out[key] = b"".join(k + v for k, v in (await redis.hgetall(key)).items())
            else:  # nothing else is expected; keep its name so the test shows it
                out[key] = kind
        return out

    async def scenario() -> dict[bytes, bytes]:
        redis = Redis.from_url("redis://127.0.0.1:6379/0")
        # A fresh manager per event loop waits out the previous event's lock before the next one (10 s by
        # default); a short expiry keeps the test quick and is still far above one event's time.
        manager = StateManagerRedis(redis=redis, lock_expiration=3000)
        try:
            await _process(manager, client_token, _router_data(token, client_token), "load_viewer")
            await _reset_viewer(manager, client_token)
            # Every Redis event loads the tree from the store: this one must take the cookie from the socket.
            await _process(manager, client_token, _router_data(token, client_token), "load_viewer")
            viewer = await _viewer(manager, client_token)
            assert viewer.viewer_kind == "staff"
            assert viewer.router.headers.cookie == ""  # what is stored, read back
            return await stored_values(redis)
        finally:
            async for key in redis.scan_iter(match=f"*{client_token}*"):
                await redis.delete(key)
            await manager.close()

    values = run_async(scenario())
    assert values, "nothing stored in Redis"
    for key, value in values.items():
        assert_no_secret(value, token, key.decode())
