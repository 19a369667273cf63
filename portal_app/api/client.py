"""The client's address for per-client limits and logs, the same way on HTTP routes and on the event socket.

With ``PORTAL_TRUSTED_PROXY_HOPS=0`` (the default) the socket peer is the client and ``X-Forwarded-For`` is
ignored: anyone can send that header. Behind N reverse proxies that each append the address they saw, the
client is the N-th entry from the right; entries further left were written by the client and prove nothing.
Reflex resolves ``router.session.client_ip`` for events by the same rule (``rx.Config(trusted_proxy_hops=...)``).
"""

from __future__ import annotations

from starlette.requests import Request

from portal_app.settings import get_settings


def forwarded_client(peer: str, forwarded_for: str | None, hops: int) -> str:
    """The client address given the socket peer, the ``X-Forwarded-For`` value and the trusted hop count."""
    if hops <= 0 or not forwarded_for:
        return peer
    chain = [part.strip() for part in forwarded_for.split(",") if part.strip()]
    if len(chain) < hops:
        return peer
    return chain[-hops]


def client_address(request: Request) -> str:
    peer = request.client.host if request.client else ""
    return forwarded_client(peer, request.headers.get("x-forwarded-for"), get_settings().trusted_proxy_hops)
