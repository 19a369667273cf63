"""HTTP routes mounted in front of Reflex through ``rx.App(api_transformer=build_api())``.

Routes here take precedence over Reflex's own, and the middleware added here wraps every HTTP response of the
app: Reflex mounts its backend (and, with ``reflex run --env prod``, the compiled frontend) inside this
Starlette app.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portal_app import routes
from portal_app.api import dev_idp
from portal_app.api.audit_export import audit_export_routes
from portal_app.api.auth import auth_routes
from portal_app.api.branding import branding_routes
from portal_app.api.files import file_routes
from portal_app.api.mailbox import mailbox_routes
from portal_app.api.portal_links import portal_link_routes
from portal_app.api.public import public_routes
from portal_app.api.reminders import reminder_routes
from portal_app.settings import Environment, get_settings

__all__ = ["SecurityHeadersMiddleware", "build_api", "content_security_policy", "security_headers"]


def content_security_policy(public_base_url: str) -> str:
    """The page policy.

    Reflex's compiled frontend needs inline scripts and styles (hydration data, Radix/Emotion styles) and eval
    (some bundled libraries); everything is same-origin, the event websocket included.
    """
    parts = urlsplit(public_base_url)
    ws_scheme = "wss" if parts.scheme == "https" else "ws"
    connect = ["'self'"]
    if parts.netloc:
        connect.append(f"{ws_scheme}://{parts.netloc}")
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", "'unsafe-inline'", "'unsafe-eval'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": connect,
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def security_headers() -> list[tuple[bytes, bytes]]:
    """Headers added to every HTTP response (unless the route already set them)."""
    settings = get_settings()
    headers = {
        "content-security-policy": content_security_policy(settings.public_base_url),
        "x-content-type-options": "nosniff",
        "referrer-policy": "strict-origin-when-cross-origin",
        "x-frame-options": "DENY",
    }
    if settings.env is Environment.PROD:
        headers["strict-transport-security"] = "max-age=31536000; includeSubDomains"
    return [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]


class SecurityHeadersMiddleware:
    """Pure ASGI middleware (no response buffering, websockets pass through untouched)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.headers = security_headers()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                existing = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(name, value) for name, value in self.headers if name not in existing]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def health(request: Request) -> Response:
    # Liveness only for now; it must not need the database to answer.
    return JSONResponse({"status": "ok"}, headers={"cache-control": "no-store"})


async def not_found(request: Request) -> Response:
    # Reflex serves its upload folder publicly at /_upload/*; nothing of ours is ever served from there.
    return PlainTextResponse("Not Found", status_code=404)


def build_api() -> Starlette:
    """A new Starlette app on every call: Reflex adds middleware to it at start-up, so it cannot be shared."""
    return Starlette(
        routes=[
            Route(routes.HEALTH, health, methods=["GET"]),
            Route(routes.REFLEX_UPLOAD_PREFIX + "/{path:path}", not_found),
            *public_routes(),
            *audit_export_routes(),
            *file_routes(),
            *branding_routes(),
            *portal_link_routes(),
            *reminder_routes(),
            *mailbox_routes(),
            *auth_routes(),
            # The development identity provider exists only in dev/test without a configured issuer;
            # dev_idp.mount() itself refuses to build in any other configuration.
            *([dev_idp.mount()] if get_settings().uses_builtin_identity_provider else []),
        ],
        middleware=[Middleware(SecurityHeadersMiddleware)],
    )
