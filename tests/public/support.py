"""Helpers shared by the public-page tests and their subprocess probe: fresh page states and handler calls."""

from __future__ import annotations

import os
from typing import Any, TypeVar

os.environ.setdefault("__REFLEX_SKIP_COMPILE", "1")

import reflex as rx  # noqa: E402
from reflex.istate.data import RouterData  # noqa: E402

from portal_app import routes  # noqa: E402

S = TypeVar("S", bound=rx.State)

UNREACHABLE_DATABASE_URL = "postgresql+psycopg://nobody@127.0.0.1:1/none"
PRIVATE_PREFIXES = ("/app", "/portal", "/operator", "/auth", "/dev-idp", "/dev")


def page_state(cls: type[S], *, path: str = "/", cookie: str = "") -> S:
    """A fresh state tree for one browser tab that opened ``path`` (query string included)."""
    root = rx.State(_reflex_internal_init=True)  # type: ignore[call-arg]
    state = root.get_substate(cls.get_full_name().split(".")[1:])
    router = RouterData.from_router_data(
        {
            "headers": {"cookie": cookie, "origin": "http://localhost:3000"},
            "pathname": path.split("?", 1)[0],
            "asPath": path,
            "token": "t",
        }
    )
    current: Any = state
    while current is not None:
        object.__setattr__(current, "router", router)
        current = current.parent_state
    return state  # type: ignore[return-value]


def call(state: rx.State, handler: str, *args: Any) -> Any:
    """Call an event handler as Reflex would for a browser event (any arguments a client could send)."""
    return getattr(type(state), handler).fn(state, *args)


def page_key(route: str) -> str:
    """How Reflex keys a route in ``app._unevaluated_pages``."""
    return "index" if route == routes.HOME else route.strip("/")


def run_on_load(app: Any, route: str, *, cookie: str = "") -> list[rx.State]:
    """Run a page's on_load handlers, each on a fresh state of its class, as a first visit would."""
    on_load = app._unevaluated_pages[page_key(route)].on_load
    handlers = on_load if isinstance(on_load, list) else [on_load]
    states = []
    for handler in handlers:
        state = page_state(handler.state, path=route, cookie=cookie)
        handler.fn(state)
        states.append(state)
    return states


def render_page(app: Any, route: str) -> dict[str, Any]:
    """Build a page's component tree (what the compiler would evaluate) and render it to a dict."""
    page = app._unevaluated_pages[page_key(route)]
    component = page.component() if callable(page.component) else page.component
    return component.render()
