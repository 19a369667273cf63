"""Uploads from the portal: the raw file as the request body, read under the size limit, handed to intake.

Every route goes through ``guarded_upload`` (the shared checks below) with its own ``UploadPlan``: payment proof
for an invoice, and a requested document for one checklist item (``POST /files/uploads/document/{item_id}``,
headers as below, no query string; the contact needs the documents permission on the item's account).

``POST /files/uploads/payment-proof/{invoice_id}`` with the file's bytes as the body (not multipart), headers
``X-Portal-Upload: 1`` (a custom header: browsers preflight it, so another site cannot post here), ``X-File-Name``
(URI-encoded original name, for display only) and ``X-Idempotency-Key`` (the page form's key), and the query
string ``amount=<minor units>&paid_on=YYYY-MM-DD&reference=<text>``.

The contact is re-resolved from the session cookie (no session, not a contact: the same 404 as a record that is
not theirs), an ``Origin`` header must be one of the app's own origins, and the body is read chunk by chunk:
past ``settings.upload_max_bytes`` the route answers 413 at once without reading the rest. Only then does
``intake.submit_payment_proof`` sniff, hash, store and record it (review-only: no payment, no balance change).

Every answer is JSON the page's script shows as is: ``{"ok": true, "message", "id"}`` or
``{"ok": false, "field": "file"|"amount"|"paid_on"|"reference"|"", "message"}``.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import unquote

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from models import InvoiceStatus
from portal_app import formatting, routes
from portal_app.api.client import client_address
from portal_app.api.cookies import read_session_token
from portal_app.db import session_scope
from portal_app.services import document_requests, intake, invoices, sessions, storage
from portal_app.services.access import ContactActor
from portal_app.services.errors import Conflict, NotFound, RateLimited, Unavailable, ValidationFailed
from portal_app.services.permissions import ContactPermission
from portal_app.services.ratelimit import ClientRateLimiter
from portal_app.settings import get_settings

log = logging.getLogger("portal.security")

UPLOAD_PROOF_PATH = routes.FILES_UPLOAD_PROOF + "/{invoice_id:int}"
UPLOAD_DOCUMENT_PATH = routes.FILES_UPLOAD_DOCUMENT + "/{item_id:int}"
UPLOAD_HEADER = "x-portal-upload"
REFERENCE_MAX = 200
NAME_MAX = 1000  # the raw header; the service keeps a sanitised name of at most storage.MAX_NAME characters
AMOUNT_DIGITS = 15

# Per client address, in front of reading any body: a script cannot make this worker read file after file.
# (Per contact and per workspace, accepted uploads are also limited by the customer-action ledger.)
UPLOADS_PER_CLIENT = 30
UPLOAD_WINDOW_SECONDS = 600.0
upload_clients = ClientRateLimiter(UPLOADS_PER_CLIENT, UPLOAD_WINDOW_SECONDS, name="upload")

NOT_FOUND = "Not found."
REFUSED = (
    "This upload did not come from this site's own page, so nothing was sent. Reload the page and try again."
)
RATE_LIMITED = "Too many uploads came from your network. Please wait a few minutes and try again."
_AMOUNT_RE = re.compile(rf"^\d{{1,{AMOUNT_DIGITS}}}$")


def allowed_origins() -> frozenset[str]:
    """The app's own origins, as rxconfig.py gives them to Reflex's CORS middleware."""
    settings = get_settings()
    origins = {settings.public_base_url.rstrip("/")}
    if settings.is_dev_like:
        origins |= {"http://localhost:3000", "http://127.0.0.1:3000"}
    return frozenset(origins)


def _limit_text(limit: int) -> str:
    return formatting.file_size(limit)


def answer(status: int, message: str, *, field: str = "", ok: bool = False, **extra: int) -> JSONResponse:
    body: dict[str, object] = {"ok": ok, "message": message}
    if not ok:
        body["field"] = field
    body.update(extra)
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


def _not_found() -> JSONResponse:
    # The same answer for no session, not a contact, no billing, and an invoice that is not theirs.
    return answer(404, NOT_FOUND)


def _too_large(limit: int) -> JSONResponse:
    return answer(
        413,
        f"The file is too large: files can be at most {_limit_text(limit)}. Choose a smaller file.",
        field="file",
    )


@dataclass(frozen=True)
class ProofForm:
    amount_minor: int
    paid_on: date
    reference: str
    filename: str
    key: str


def _parse_form(request: Request) -> ProofForm | JSONResponse:
    """The query string and headers, checked like the page checks them (the service checks again)."""
    query = request.query_params
    amount = query.get("amount", "").strip()
    if not _AMOUNT_RE.match(amount) or int(amount) <= 0:
        return answer(400, "Enter the amount you paid, more than zero.", field="amount")
    raw_day = query.get("paid_on", "").strip()
    try:
        paid_on = date.fromisoformat(raw_day)
    except ValueError:
        return answer(400, "Enter the date you paid, like 2027-03-12.", field="paid_on")
    if paid_on > intake.today() + timedelta(days=1):
        return answer(400, "The payment date cannot be in the future.", field="paid_on")
    reference = " ".join(query.get("reference", "").split())
    if len(reference) > REFERENCE_MAX:
        return answer(400, f"Keep the reference to {REFERENCE_MAX} characters or fewer.", field="reference")
    key = request.headers.get("x-idempotency-key", "")
    return ProofForm(int(amount), paid_on, reference, _file_name(request), key)


def _contact(session: Session, token: str | None) -> ContactActor | None:
    principal = sessions.resolve(session, token)
    actor = principal.actor if principal else None
    if not isinstance(actor, ContactActor) or ContactPermission.BILLING not in actor.permissions:
        return None
    return actor


def _precheck(token: str | None, invoice_id: int, amount_minor: int) -> JSONResponse | None:
    """Before the body is read: who is asking, is the invoice theirs and payable, does the amount fit."""
    with session_scope() as session:
        actor = _contact(session, token)
        if actor is None:
            return _not_found()
        invoice = invoices.portal_get_invoice(session, actor, invoice_id)  # NotFound: not theirs
        if invoice.status not in intake.PAYABLE:
            state = "already paid" if invoice.status is InvoiceStatus.PAID else "not awaiting payment"
            return answer(409, f"Invoice {invoice.number} is {state}, so no payment proof is needed.")
        balance = invoice.total_minor - invoice.amount_paid_minor
        if amount_minor > balance:
            return answer(
                400,
                f"The amount is more than the balance due on {invoice.number} "
                f"({formatting.money(balance, invoice.currency)}).",
                field="amount",
            )
    return None


def _submit(token: str | None, invoice_id: int, form: ProofForm, data: bytes) -> JSONResponse:
    with session_scope() as session:
        actor = _contact(session, token)  # re-resolved: access may have ended while the body arrived
        if actor is None:
            return _not_found()
        upload = intake.submit_payment_proof(
            session,
            actor,
            invoice_id,
            filename=form.filename,
            data=data,
            claimed_amount_minor=form.amount_minor,
            claimed_paid_on=form.paid_on,
            reference=form.reference,
            idempotency_key=form.key,
        )
    return answer(
        200,
        f"Payment proof sent ({upload.original_name}). It is under review; your balance changes once the "
        "team accepts it.",
        ok=True,
        id=upload.id,
    )


def _validation_field(message: str) -> str:
    """Which field a service's validation message is about (the route checked the form fields first, so what
    is left is nearly always the file: size, type, quota)."""
    text = message.lower()
    if "amount" in text:
        return "amount"
    if "payment date" in text:
        return "paid_on"
    if "reference" in text:
        return "reference"
    if "idempotency" in text:
        return ""
    return "file"


class UploadStalled(Exception):
    """The body stopped arriving (``upload_idle_seconds``) or took longer than ``upload_total_seconds``."""


STALLED = "The upload stalled and was stopped: nothing was stored. Please try again."


async def _read_body(request: Request, limit: int) -> bytes | None:
    """The body, or None as soon as it passes ``limit`` (at most ``limit`` plus one chunk is ever held).
    ``UploadStalled`` when no chunk arrives within the idle time or the whole body not within the total time."""
    settings = get_settings()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + settings.upload_total_seconds
    chunks = request.stream().__aiter__()
    body = bytearray()
    while True:
        wait = min(settings.upload_idle_seconds, deadline - loop.time())
        if wait <= 0:
            raise UploadStalled()
        try:
            chunk = await asyncio.wait_for(chunks.__anext__(), wait)
        except StopAsyncIteration:
            return bytes(body)
        except TimeoutError:
            raise UploadStalled() from None
        body += chunk
        if len(body) > limit:
            return None


async def read_upload_body(request: Request, limit: int, *, what: str) -> bytes | JSONResponse:
    """The whole non-empty body under ``limit``, or the answer for a body that was cut, stalled, too large or empty
    (nothing is stored in any of those cases)."""
    try:
        data = await _read_body(request, limit)
    except ClientDisconnect:
        return answer(400, "The upload was interrupted. Please try again.", field="file")
    except UploadStalled:
        log.info("%s upload stalled and was stopped", what, extra={"path": request.url.path})
        return answer(408, STALLED, field="file")
    if data is None:
        log.info("%s upload over the size limit", what, extra={"path": request.url.path})
        return _too_large(limit)
    if not data:
        return answer(400, "Choose a file to send.", field="file")
    return data


@dataclass(frozen=True)
class UploadPlan:
    """What one upload route does around the shared checks: ``precheck(token)`` before the body is read (who is
    asking, is the record theirs and open; an answer refuses), then ``submit(token, body)`` hands the file to
    intake and answers. Both run in a worker thread; domain errors become the JSON answers below."""

    precheck: Callable[[str | None], JSONResponse | None]
    submit: Callable[[str | None, bytes], JSONResponse]
    field_of: Callable[[str], str] = _validation_field  # which field a ValidationFailed message is about


async def guarded_upload(
    request: Request, *, what: str, plan: Callable[[Request], UploadPlan | JSONResponse]
) -> Response:
    """The checks every upload route shares, in order: the ``X-Portal-Upload`` header, an own ``Origin``, the
    per-client rate limit, the declared size; then ``plan(request)`` (the route's own query and headers), its
    precheck, the body read under the size limit, and its submit. ``what`` names the route in the logs."""
    if request.headers.get(UPLOAD_HEADER) != "1":
        log.warning("%s upload refused: no upload header", what)
        return answer(403, REFUSED)
    origin = request.headers.get("origin")
    if origin is not None and origin.rstrip("/") not in allowed_origins():
        log.warning("%s upload refused: foreign origin", what)
        return answer(403, REFUSED)
    if not upload_clients.allow(client_address(request)):
        log.warning("%s upload rate limited (client)", what)
        return answer(429, RATE_LIMITED)

    limit = get_settings().upload_max_bytes
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.strip().isdigit():
            return answer(400, "The upload was malformed. Please try again.", field="file")
        if int(declared) > limit:
            return _too_large(limit)

    steps = plan(request)
    if isinstance(steps, JSONResponse):
        return steps
    token = read_session_token(request)
    try:
        refused = await run_in_threadpool(steps.precheck, token)
        if refused is not None:
            return refused
        data = await read_upload_body(request, limit, what=what)
        if isinstance(data, JSONResponse):
            return data
        return await run_in_threadpool(steps.submit, token, data)
    except NotFound:
        return _not_found()
    except ValidationFailed as exc:
        return answer(400, exc.message, field=steps.field_of(exc.message))
    except Conflict as exc:
        return answer(409, exc.message)
    except RateLimited as exc:
        return answer(429, exc.message)
    except Unavailable as exc:
        return answer(503, exc.message)


def _file_name(request: Request) -> str:
    """The ``X-File-Name`` header, URI-decoded (for display only; the service sanitises it)."""
    raw_name = request.headers.get("x-file-name", "")[:NAME_MAX]
    try:
        filename = unquote(raw_name, errors="replace")
    except Exception:  # noqa: BLE001  a malformed name only loses its display form
        filename = ""
    return filename or storage.FALLBACK_NAME


async def upload_payment_proof(request: Request) -> Response:
    invoice_id = int(request.path_params["invoice_id"])

    def plan(request: Request) -> UploadPlan | JSONResponse:
        form = _parse_form(request)
        if isinstance(form, JSONResponse):
            return form
        return UploadPlan(
            precheck=lambda token: _precheck(token, invoice_id, form.amount_minor),
            submit=lambda token, data: _submit(token, invoice_id, form, data),
        )

    return await guarded_upload(request, what="payment proof", plan=plan)


# -- a requested document: one file for one checklist item ----------------------------------------------------


def _documents_contact(session: Session, token: str | None) -> ContactActor | None:
    principal = sessions.resolve(session, token)
    actor = principal.actor if principal else None
    if not isinstance(actor, ContactActor) or ContactPermission.DOCUMENTS not in actor.permissions:
        return None
    return actor


def _document_precheck(token: str | None, item_id: int) -> JSONResponse | None:
    with session_scope() as session:
        actor = _documents_contact(session, token)
        if actor is None:
            return _not_found()
        document_requests.portal_item_for_upload(
            session, actor, item_id
        )  # NotFound / Conflict (closed, done)
    return None


def _document_submit(token: str | None, item_id: int, filename: str, key: str, data: bytes) -> JSONResponse:
    with session_scope() as session:
        actor = _documents_contact(
            session, token
        )  # re-resolved: access may have ended while the body arrived
        if actor is None:
            return _not_found()
        target = document_requests.portal_item_for_upload(session, actor, item_id)
        upload = intake.submit_document(
            session,
            actor,
            target.request_id,
            item_id=target.item_id,
            filename=filename,
            data=data,
            idempotency_key=key,
        )
    return answer(
        200,
        f"{upload.original_name} received for “{target.label}”. It is in review until the team accepts it.",
        ok=True,
        id=upload.id,
    )


def _document_field(message: str) -> str:
    return "" if "idempotency" in message.lower() else "file"


async def upload_document(request: Request) -> Response:
    """``POST /files/uploads/document/{item_id}``: one file for one item of a document request's checklist,
    from a contact with the documents permission whose account the request belongs to (404 otherwise, nothing
    read or stored); a closed request or an item already accepted is refused (409) before the body is read."""
    item_id = int(request.path_params["item_id"])

    def plan(request: Request) -> UploadPlan:
        filename = _file_name(request)
        key = request.headers.get("x-idempotency-key", "")
        return UploadPlan(
            precheck=lambda token: _document_precheck(token, item_id),
            submit=lambda token, data: _document_submit(token, item_id, filename, key, data),
            field_of=_document_field,
        )

    return await guarded_upload(request, what="document", plan=plan)


def upload_routes() -> list[Route]:
    return [
        Route(UPLOAD_PROOF_PATH, upload_payment_proof, methods=["POST"]),
        Route(UPLOAD_DOCUMENT_PATH, upload_document, methods=["POST"]),
    ]
