"""HTTP routes mounted in front of Reflex through ``rx.App(api_transformer=build_api())``.

Routes here take precedence over Reflex's own, and the middleware added here wraps every HTTP response of the
app: Reflex mounts its backend (and, with ``reflex run --env prod``, the compiled frontend) inside this
Starlette app.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from collections.abc import Sequence
from pathlib import Path
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
from portal_app.api.desktop import desktop_routes
from portal_app.api.files import file_routes
from portal_app.api.mailbox import mailbox_routes
from portal_app.api.portal_links import portal_link_routes
from portal_app.api.public import public_routes
from portal_app.api.reminders import reminder_routes
from portal_app.settings import Environment, get_settings

__all__ = [
    "SecurityHeadersMiddleware",
    "build_api",
    "content_security_policy",
    "inline_script_hashes",
    "security_headers",
]

log = logging.getLogger("portal.security")


# An inline <script> element of a compiled page, with its exact text (what a CSP hash covers).
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)


def inline_script_hashes(static_dir: Path) -> tuple[str, ...]:
    """``'sha256-…'`` of every inline ``<script>`` in the compiled pages under ``static_dir`` (sorted, unique)."""
    found: set[str] = set()
    for page in static_dir.rglob("*.html"):
        for match in _INLINE_SCRIPT.finditer(page.read_text(encoding="utf-8")):
            text = match.group(1)
            if text:
                digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
                found.add(f"'sha256-{digest}'")
    return tuple(sorted(found))


def served_page_script_hashes() -> tuple[str, ...]:
    """The hashes of the inline scripts of the pages this process serves; () when it serves none.

    Only ``reflex run --env prod`` (or a backend started with the compiled frontend mounted) serves pages, and it
    builds them before it starts the backend, so the files read here are exactly the ones the static mount sends
    (``reflex.utils.exec.get_frontend_mount`` reads the same folder). A rebuild needs a restart anyway. In dev the
    pages come from Vite's server, which sends none of our headers.
    """
    from reflex_base import constants
    from reflex_base.config import get_config
    from reflex_base.environment import environment

    if not environment.REFLEX_MOUNT_FRONTEND_COMPILED_APP.get():
        return ()
    from reflex.utils.prerequisites import get_web_dir

    static_dir = get_web_dir() / constants.Dirs.STATIC / get_config().frontend_path.strip("/")
    hashes = inline_script_hashes(static_dir)
    if not hashes:
        log.warning("no compiled pages under %s: pages served from there would not run", static_dir)
    return hashes


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def content_security_policy(public_base_url: str, script_hashes: Sequence[str] = ()) -> str:
    """The page policy. Measured on the production build (``reflex run --env prod``: React Router + Vite).

    ``script-src``:
    * no ``'unsafe-inline'``: each compiled page carries inline scripts (React Router's context, stream and scroll
      restoration, React's streaming helpers, Reflex's theme script, the module entry that imports the page's
      route). Their hashes are computed from the very files served (``served_page_script_hashes``) and listed
      instead; no page has an inline event handler or ``javascript:`` URL. Nothing adds inline scripts after
      the page loaded.
    * ``'unsafe-eval'`` stays: Reflex's client runs client-side events with ``eval`` of JavaScript source text:
      every ``rx.call_script`` (the sign-out button, dialogs, full-page navigation in state/base.py), and every
      ``rx.toast`` / ``rx.scroll_to`` a handler yields (sent from the server as text, e.g. state/pages.py,
      state/audit.py). Without it sign-out and every toast are refused. Removing it needs a Reflex client that
      stops evaluating event payloads.
    ``style-src 'unsafe-inline'`` stays: Emotion (Radix Themes) injects ``<style>`` elements at run time and
    components set ``style`` attributes; neither can be hashed ahead of time.
    ``img-src data:`` and ``font-src data:``: inline icons and fonts in the bundled CSS. The workspace logo
    (``/files/logo/…``) is served by this app, so ``'self'`` covers it.
    ``connect-src``: this origin and its event websocket. ``form-action``: the app's own origins (in dev the
    backend's port differs from the page's, and a form's redirect must land on the page's origin).
    Everything else falls back to ``'self'``; plugins, ``<base>`` and being framed are refused.
    """
    parts = urlsplit(public_base_url)
    ws_scheme = "wss" if parts.scheme == "https" else "ws"
    connect = ["'self'"]
    if parts.netloc:
        connect.append(f"{ws_scheme}://{parts.netloc}")
    own = ["'self'", *sorted({o for o in (_origin(public_base_url), _origin(routes.backend_origin())) if o})]
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *script_hashes, "'unsafe-eval'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": connect,
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": own,
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def security_headers(script_hashes: Sequence[str] = ()) -> list[tuple[bytes, bytes]]:
    """Headers added to every HTTP response (unless the route already set them)."""
    settings = get_settings()
    headers = {
        "content-security-policy": content_security_policy(settings.public_base_url, script_hashes),
        "x-content-type-options": "nosniff",
        "referrer-policy": "strict-origin-when-cross-origin",
        "x-frame-options": "DENY",
    }
    # HSTS only where the app is really served over https in production (browsers ignore it over http anyway).
    if settings.env is Environment.PROD and urlsplit(settings.public_base_url).scheme == "https":
        headers["strict-transport-security"] = "max-age=31536000; includeSubDomains"
    return [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]


HASHED_ASSET = re.compile(r"^/assets/[\w.-]+-[\w-]{8}\.(?:js|css|woff2?)$")
IMMUTABLE = b"public, max-age=31536000, immutable"


class SecurityHeadersMiddleware:
    """Pure ASGI middleware (no response buffering, websockets pass through untouched).

    Documents (``text/html``, and answers without a body type such as a 304 that revalidates a cached page) get
    the policy with the compiled pages' script hashes; scripts, styles, JSON, images and files get the same policy
    without them, which keeps those responses small (a CSP only governs documents and workers).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.headers = security_headers()
        hashes = served_page_script_hashes()
        self.page_headers = security_headers(hashes) if hashes else self.headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        # The build's scripts and styles carry a content hash in their names: a browser may keep them for good
        # (without this, it revalidated every file on a reload, or guessed from the file's age).
        immutable = HASHED_ASSET.match(scope.get("path", "")) is not None

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                current = message.get("headers", [])
                existing = {name.lower() for name, _ in current}
                content_type = next(
                    (value for name, value in current if name.lower() == b"content-type"), None
                )
                is_document = content_type is None or content_type.lower().startswith(b"text/html")
                ours = self.page_headers if is_document else self.headers
                message["headers"] = [*current, *((n, v) for n, v in ours if n not in existing)]
                if immutable and message.get("status") == 200 and b"cache-control" not in existing:
                    message["headers"].append((b"cache-control", IMMUTABLE))
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
            *desktop_routes(),
            # The development identity provider exists only in dev/test without a configured issuer;
            # dev_idp.mount() itself refuses to build in any other configuration.
            *([dev_idp.mount()] if get_settings().uses_builtin_identity_provider else []),
        ],
        middleware=[Middleware(SecurityHeadersMiddleware)],
    )
