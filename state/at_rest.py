"""Keep the session cookie out of Reflex's state store; read it from the live connection instead.

Reflex copies the websocket handshake's headers into every event's router data and keeps them on the root state
(``reflex.state.State``: ``router_data["headers"]`` and ``rx_router_headers``, a ``HeaderData`` with ``cookie``
and ``raw_headers``). The disk and Redis state managers pickle that root state (``state._serialize()``), so the
raw session token would sit in the ``.states`` files or in Redis. The root state is Reflex's own class, not one of
ours, so the hook is on ``reflex.state.BaseState.__getstate__`` (which every state, root and substates, uses):
the pickled copy has the credential headers removed; the live object keeps them.

Nothing is lost: on every event Reflex rebuilds the router vars from the event's router data (the live socket's
headers) before any handler or the hydrate middleware runs (``BaseStateEventProcessor._execute_event`` calls
``state._update_router_vars``), so ``self.router.headers.cookie`` holds the cookie during the event. ``live_cookie``
reads the current event's router data directly, which also covers background tasks: a state reloaded from Redis
inside ``async with self`` is not refreshed from the event.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reflex.istate.data import HeaderData
from reflex.state import BaseState as ReflexBaseState
from reflex_base.event.context import EventContext

# Header names whose values are credentials (Reflex's own list of headers it never sends to the browser, plus ours).
SECRET_HEADERS = frozenset(
    {
        "cookie",
        "authorization",
        "proxy-authorization",
        "cf-access-jwt-assertion",
        "x-auth-request-access-token",
        "x-forwarded-access-token",
        "x-amzn-oidc-accesstoken",
        "x-amzn-oidc-data",
        "x-goog-iap-jwt-assertion",
    }
)

_ROUTER_DATA = "router_data"
_ROUTER_HEADERS = "rx_router_headers"
_HEADERS_KEY = "headers"


def _is_secret(name: Any) -> bool:
    return isinstance(name, str) and name.lower() in SECRET_HEADERS


def scrub_headers(headers: dict[str, Any]) -> dict[str, Any]:
    """A copy of a router-data headers dict without credential headers."""
    return {name: value for name, value in headers.items() if not _is_secret(name)}


def scrub_header_data(headers: HeaderData) -> HeaderData:
    """``HeaderData`` rebuilt from its raw headers minus the credential ones (so ``cookie`` is blank too)."""
    return HeaderData.from_router_data({_HEADERS_KEY: scrub_headers(dict(headers.raw_headers))})


def scrub_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """The pickled fields of a state with the credential headers taken out; ``fields`` itself is not changed."""
    out = dict(fields)
    headers = out.get(_ROUTER_HEADERS)
    if isinstance(headers, HeaderData) and (headers.cookie or any(map(_is_secret, headers.raw_headers))):
        out[_ROUTER_HEADERS] = scrub_header_data(headers)
    router_data = out.get(_ROUTER_DATA)
    if isinstance(router_data, dict) and isinstance(router_data.get(_HEADERS_KEY), dict):
        # Never empty the dict: an empty router_data makes Reflex rehydrate the client on the next event.
        out[_ROUTER_DATA] = {**router_data, _HEADERS_KEY: scrub_headers(router_data[_HEADERS_KEY])}
    return out


def _wrap(
    original: Callable[[ReflexBaseState], dict[str, Any]],
) -> Callable[[ReflexBaseState], dict[str, Any]]:
    def __getstate__(self: ReflexBaseState) -> dict[str, Any]:
        # Reflex returns the instance's own __dict__: scrub a copy, never the live state.
        return scrub_fields(original(self))

    __getstate__._portal_scrubbed = True  # type: ignore[attr-defined]
    __getstate__.__wrapped__ = original  # type: ignore[attr-defined]
    return __getstate__


def install() -> None:
    """Scrub credential headers from every pickled state. Idempotent; called when ``state.base`` is imported."""
    current = ReflexBaseState.__dict__["__getstate__"]
    if getattr(current, "_portal_scrubbed", False):
        return
    type.__setattr__(ReflexBaseState, "__getstate__", _wrap(current))


def installed() -> bool:
    """Whether the pickled copy of the root state (the one holding the router data) is scrubbed."""
    from reflex.state import State

    return bool(getattr(State.__getstate__, "_portal_scrubbed", False))


def live_cookie() -> str | None:
    """The Cookie header of the connection whose event is being processed, or None outside an event.

    Reflex rebuilds every event's router data from the live socket's headers (captured at its handshake) and
    hands it to the event's context; chained events and background tasks inherit it.
    """
    try:
        router_data = EventContext.get().router_data
    except LookupError:
        return None
    headers = router_data.get(_HEADERS_KEY) if isinstance(router_data, dict) else None
    if not isinstance(headers, dict):
        return None
    return str(headers.get("cookie") or "")
