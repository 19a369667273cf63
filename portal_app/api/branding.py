"""The workspace logo over HTTP: the owner's upload, and the public logo image customers and mail clients load.

``POST /files/uploads/logo`` (settings, branding): the image's bytes as the body, through ``guarded_upload`` (the
``X-Portal-Upload`` header, an own ``Origin``, the per-client rate limit, the size limit while reading). The staff
member is re-resolved from the session cookie before the body is read and again after: no staff session is the
same 404 as anywhere else; a member without ``workspace:manage`` gets 403 and nothing is read. The service checks
the content, re-encodes it and stores it (``branding.set_logo``). Answers are the upload script's JSON.

``GET /files/logo/{key}.png``: public by design (``services/branding.py`` says why and what keeps it safe). Only a
key that is an active workspace's current logo answers; anything else is the same 404. The image is served inline
as ``image/png`` with ``nosniff``, a sandboxing CSP and a day's cache: a new logo has a new key anyway, and a removed
logo (or a suspended workspace's) should stop being shown soon rather than live on in caches for a year. No
``Cross-Origin-Resource-Policy`` is set: the app sends none by default, so a webmail page may show the image.
"""

from __future__ import annotations

import logging

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from portal_app import routes
from portal_app.api.uploads import UploadPlan, answer, guarded_upload
from portal_app.db import session_scope
from portal_app.services import branding, sessions
from portal_app.services.access import StaffActor
from portal_app.services.errors import Unavailable
from portal_app.services.permissions import Permission, role_has

log = logging.getLogger("portal.security")

LOGO_PATH = routes.FILES_LOGO + "/{key}.png"
LOGO_CACHE = "public, max-age=86400"
NOT_FOUND = "Not found."
NOT_ALLOWED = "Only owners and managers can change the logo."
GONE = "Your access to this workspace has ended. Reload the page and sign in again if asked."


def _manager(session: Session, token: str | None) -> StaffActor | JSONResponse:
    """The staff member who may change the logo, or the answer that refuses."""
    principal = sessions.resolve(session, token)
    actor = principal.actor if principal else None
    if not isinstance(actor, StaffActor):
        return answer(404, GONE)
    if not role_has(actor.role, Permission.WORKSPACE_MANAGE):
        log.warning("logo upload refused: role", extra={"workspace_id": actor.workspace_id})
        return answer(403, NOT_ALLOWED)
    return actor


def _precheck(token: str | None) -> JSONResponse | None:
    with session_scope() as session:
        actor = _manager(session, token)
    return actor if isinstance(actor, JSONResponse) else None


def _submit(token: str | None, data: bytes) -> JSONResponse:
    with session_scope() as session:
        actor = _manager(session, token)  # re-resolved: the role may have changed while the body arrived
        if isinstance(actor, JSONResponse):
            return actor
        branding.set_logo(session, actor, data)
    return answer(200, "Logo saved. The portal, new mails and new PDFs show it now.", ok=True)


async def upload_logo(request: Request) -> Response:
    def plan(request: Request) -> UploadPlan:
        return UploadPlan(precheck=_precheck, submit=_submit, field_of=lambda message: "file")

    return await guarded_upload(request, what="logo", plan=plan)


def _not_found() -> Response:
    return PlainTextResponse(NOT_FOUND, status_code=404, headers={"Cache-Control": "no-store"})


def _load(key: str) -> bytes | None:
    with session_scope() as session:
        return branding.logo_bytes(session, key)


async def logo(request: Request) -> Response:
    try:
        data = await run_in_threadpool(_load, str(request.path_params["key"]))
    except Unavailable:
        return PlainTextResponse("Unavailable.", status_code=503, headers={"Cache-Control": "no-store"})
    if data is None:
        return _not_found()
    return Response(
        data,
        media_type="image/png",
        headers={
            "Content-Disposition": 'inline; filename="logo.png"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": LOGO_CACHE,
            "Content-Security-Policy": "default-src 'none'; sandbox; frame-ancestors 'none'",
        },
    )


def branding_routes() -> list[Route]:
    return [
        Route(routes.FILES_UPLOAD_LOGO, upload_logo, methods=["POST"]),
        Route(LOGO_PATH, logo, methods=["GET", "HEAD"]),
    ]
