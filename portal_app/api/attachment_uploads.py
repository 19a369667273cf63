"""A file attached to a contact's message: the raw body read under the size limit, handed to intake.

``POST /files/uploads/attachment/{thread_id}?message_id=<id>`` after the message itself was posted, with the same
headers as the payment proof route (``X-Portal-Upload: 1``, ``X-File-Name``, ``X-Idempotency-Key``) and the same
checks, reused from ``portal_app/api/uploads.py``: own origin only, a per-client rate limit before any body is
read, the contact re-resolved from the session cookie, the thread and message checked to be theirs before the body
is read, the body refused at once past ``settings.upload_max_bytes``. The file is quarantined for review.

Answers are the JSON the page's upload script shows: ``{"ok": true, "message", "id"}`` or
``{"ok": false, "field": "file"|"", "message"}``.
"""

from __future__ import annotations

import logging
from urllib.parse import unquote

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from portal_app import routes
from portal_app.api.client import client_address
from portal_app.api.cookies import read_session_token
from portal_app.api.uploads import (
    NAME_MAX,
    RATE_LIMITED,
    REFUSED,
    UPLOAD_HEADER,
    _not_found,
    _too_large,
    allowed_origins,
    answer,
    read_upload_body,
    upload_clients,
)
from portal_app.db import session_scope
from portal_app.services import attachments, sessions, storage
from portal_app.services.access import ContactActor
from portal_app.services.errors import Conflict, NotFound, RateLimited, Unavailable, ValidationFailed
from portal_app.services.permissions import ContactPermission
from portal_app.settings import get_settings

log = logging.getLogger("portal.security")

UPLOAD_ATTACHMENT_PATH = routes.FILES_UPLOAD_ATTACHMENT + "/{thread_id:int}"


def _contact(session: Session, token: str | None) -> ContactActor | None:
    principal = sessions.resolve(session, token)
    actor = principal.actor if principal else None
    if not isinstance(actor, ContactActor) or ContactPermission.MESSAGES not in actor.permissions:
        return None
    return actor


def _filename(request: Request) -> str:
    raw = request.headers.get("x-file-name", "")[:NAME_MAX]
    try:
        return unquote(raw, errors="replace") or storage.FALLBACK_NAME
    except Exception:  # noqa: BLE001  a malformed name only loses its display form
        return storage.FALLBACK_NAME


def _precheck(token: str | None, thread_id: int, message_id: int) -> JSONResponse | None:
    with session_scope() as session:
        actor = _contact(session, token)
        if actor is None:
            return _not_found()
        attachments.precheck(session, actor, thread_id, message_id)
    return None


def _submit(
    token: str | None, thread_id: int, message_id: int, name: str, key: str, data: bytes
) -> JSONResponse:
    with session_scope() as session:
        actor = _contact(session, token)  # re-resolved: access may have ended while the body arrived
        if actor is None:
            return _not_found()
        upload = attachments.attach_file(
            session, actor, thread_id, message_id, filename=name, data=data, idempotency_key=key
        )
    return answer(200, f"File attached ({upload.original_name}).", ok=True, id=upload.id)


async def upload_attachment(request: Request) -> Response:
    thread_id = int(request.path_params["thread_id"])
    if request.headers.get(UPLOAD_HEADER) != "1":
        log.warning("attachment upload refused: no upload header")
        return answer(403, REFUSED)
    origin = request.headers.get("origin")
    if origin is not None and origin.rstrip("/") not in allowed_origins():
        log.warning("attachment upload refused: foreign origin")
        return answer(403, REFUSED)
    if not upload_clients.allow(client_address(request)):
        log.warning("attachment upload rate limited (client)")
        return answer(429, RATE_LIMITED)
    limit = get_settings().upload_max_bytes
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.strip().isdigit():
            return answer(400, "The upload was malformed. Please try again.", field="file")
        if int(declared) > limit:
            return _too_large(limit)
    raw_message = request.query_params.get("message_id", "").strip()
    if not raw_message.isdigit() or not 0 < int(raw_message) < 2**63:
        return _not_found()
    message_id = int(raw_message)
    token = read_session_token(request)
    try:
        refused = await run_in_threadpool(_precheck, token, thread_id, message_id)
        if refused is not None:
            return refused
        data = await read_upload_body(request, limit, what="attachment")
        if isinstance(data, JSONResponse):
            return data
        key = request.headers.get("x-idempotency-key", "")
        return await run_in_threadpool(_submit, token, thread_id, message_id, _filename(request), key, data)
    except NotFound:
        return _not_found()
    except ValidationFailed as exc:
        return answer(400, exc.message, field="" if "idempotency" in exc.message.lower() else "file")
    except Conflict as exc:
        return answer(409, exc.message, field="file")
    except RateLimited as exc:
        return answer(429, exc.message)
    except Unavailable as exc:
        return answer(503, exc.message)


def attachment_routes() -> list[Route]:
    return [Route(UPLOAD_ATTACHMENT_PATH, upload_attachment, methods=["POST"])]
