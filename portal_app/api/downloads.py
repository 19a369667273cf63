"""Authenticated downloads of documents (invoice, estimate and statement PDFs, CSV exports) and the inline preview
of intake images and PDFs for reviewers.

Every request re-resolves the actor from the session cookie and the services re-check scope. Missing, not yours,
not permitted and signed out all get the same 404 "Not found."; a malformed query gets a 400 with a plain
message. Documents are attachments with ``nosniff`` and ``Cache-Control: private, no-store``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from pathlib import Path

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from models import InvoiceStatus
from portal_app import routes
from portal_app.api.cookies import read_session_token
from portal_app.api.responses import NO_STORE, attachment_headers, disposition, not_found, plain
from portal_app.db import session_scope
from portal_app.services import documents, exports, invoices, sessions
from portal_app.services.access import Actor
from portal_app.services.documents import PDF_TYPE
from portal_app.services.errors import Forbidden, NotFound, Unavailable, ValidationFailed
from portal_app.services.exports import CSV_TYPE
from portal_app.settings import get_settings

log = logging.getLogger("portal.security")

PREVIEW_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
# Chromium blocks its PDF viewer inside a sandboxed document ("This page has been blocked"), so a PDF preview keeps
# everything else (nothing may load, nosniff, inline) and drops only the ``sandbox`` directive.
PREVIEW_CSP_PDF = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"


def _frame_ancestors() -> str:
    # The review page shows the preview in a frame: the app's own pages may embed it, nobody else. (In dev the
    # pages are on the frontend's port, the preview on the backend's: both origins are listed.)
    origins = {"'self'", routes.backend_origin(), get_settings().public_base_url.rstrip("/")}
    return "frame-ancestors " + " ".join(sorted(o for o in origins if o))


class BadRequest(Exception):
    """A query parameter that cannot be read; the message is shown as it is."""


def _strict_date(request: Request, name: str) -> date:
    raw = request.query_params.get(name, "")
    label = "start" if name == "start" else "end"
    if len(raw) != 10:
        raise BadRequest(f"The statement {label} date must be a date like 2027-03-31.")
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise BadRequest(f"The statement {label} date must be a date like 2027-03-31.") from exc


def _period(request: Request) -> tuple[date, date]:
    return _strict_date(request, "start"), _strict_date(request, "end")


Loader = Callable[[Session, Actor], tuple[str, bytes]]


def _load(request: Request, loader: Loader) -> tuple[str, bytes] | Response:
    """Resolve the actor and run ``loader`` in one database session (called in a worker thread)."""
    with session_scope() as session:
        principal = sessions.resolve(session, read_session_token(request))
        if principal is None or principal.actor is None:
            return not_found()
        try:
            return loader(session, principal.actor)
        except (NotFound, Forbidden):
            return not_found()
        except ValidationFailed as exc:
            return plain(400, exc.message)


async def _serve(request: Request, loader: Loader, media_type: str) -> Response:
    try:
        result = await run_in_threadpool(_load, request, loader)
    except Unavailable as exc:
        return plain(503, exc.message)
    if isinstance(result, Response):
        return result
    filename, content = result
    return Response(content, headers=attachment_headers(filename, media_type))


def _id(request: Request, name: str) -> int:
    return int(request.path_params[name])


# -- routes --------------------------------------------------------------------------------------------------


async def invoice_pdf(request: Request) -> Response:
    invoice_id = _id(request, "invoice_id")
    return await _serve(request, lambda s, actor: documents.invoice_document(s, actor, invoice_id), PDF_TYPE)


async def invoice_list_csv(request: Request) -> Response:
    """The list page's filters: ``status`` (an invoice status, or ``overdue`` / ``due_soon`` as the list reads
    them) and ``account``."""
    raw_status = request.query_params.get("status", "").strip()
    raw_account = request.query_params.get("account", "").strip()
    overdue_only, due_within_days = invoices.due_filter(raw_status)
    try:
        status = InvoiceStatus(raw_status) if raw_status and raw_status not in invoices.DUE_FILTERS else None
    except ValueError:
        return plain(400, "Unknown invoice status.")
    if raw_account and not (raw_account.isascii() and raw_account.isdigit() and len(raw_account) <= 12):
        return plain(400, "The account must be a number.")
    account_id = int(raw_account) if raw_account else None
    return await _serve(
        request,
        lambda s, actor: exports.invoice_list_export(
            s,
            actor,
            status=status,
            account_id=account_id,
            overdue_only=overdue_only,
            due_within_days=due_within_days,
        ),
        CSV_TYPE,
    )


async def estimate_pdf(request: Request) -> Response:
    estimate_id = _id(request, "estimate_id")
    return await _serve(
        request, lambda s, actor: documents.estimate_document(s, actor, estimate_id), PDF_TYPE
    )


def _statement(request: Request, *, csv: bool) -> Loader:
    account_id = _id(request, "account_id")
    start, end = _period(request)
    if csv:
        return lambda s, actor: exports.statement_export(
            s, actor, account_id, period_start=start, period_end=end
        )
    return lambda s, actor: documents.statement_document(
        s, actor, account_id, period_start=start, period_end=end
    )


async def statement_pdf(request: Request) -> Response:
    try:
        loader = _statement(request, csv=False)
    except BadRequest as exc:
        return plain(400, str(exc))
    return await _serve(request, loader, PDF_TYPE)


async def statement_csv(request: Request) -> Response:
    try:
        loader = _statement(request, csv=True)
    except BadRequest as exc:
        return plain(400, str(exc))
    return await _serve(request, loader, CSV_TYPE)


async def snapshot_pdf(request: Request) -> Response:
    snapshot_id = _id(request, "snapshot_id")
    return await _serve(
        request, lambda s, actor: documents.snapshot_document(s, actor, snapshot_id), PDF_TYPE
    )


async def snapshot_csv(request: Request) -> Response:
    snapshot_id = _id(request, "snapshot_id")
    return await _serve(request, lambda s, actor: exports.snapshot_export(s, actor, snapshot_id), CSV_TYPE)


def _open_preview(request: Request, intake_id: int) -> tuple[Path, str, str] | Response:
    with session_scope() as session:
        principal = sessions.resolve(session, read_session_token(request))
        if principal is None or principal.actor is None:
            return not_found()
        try:
            return documents.preview_intake_file(session, principal.actor, intake_id)
        except (NotFound, Forbidden):
            return not_found()


async def intake_preview(request: Request) -> Response:
    """A reviewer's inline view of an image or PDF: never HTML, never a type other than the sniffed one."""
    intake_id = _id(request, "intake_id")
    try:
        opened = await run_in_threadpool(_open_preview, request, intake_id)
    except Unavailable as exc:
        return plain(503, exc.message)
    if isinstance(opened, Response):
        return opened
    path, content_type, name = opened
    if not path.is_file():
        log.error("intake file missing from storage", extra={"intake_id": intake_id})
        return not_found()
    return FileResponse(
        path,
        media_type=content_type,
        headers={
            "Content-Disposition": disposition("inline", name),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": NO_STORE,
            "Content-Security-Policy": (PREVIEW_CSP_PDF if content_type == PDF_TYPE else PREVIEW_CSP)
            + "; "
            + _frame_ancestors(),
            # Set here so the app-wide DENY is not added; browsers follow CSP frame-ancestors when both are sent.
            "X-Frame-Options": "SAMEORIGIN",
        },
    )


def download_routes() -> list[Route]:
    """The document and preview routes; ``files.file_routes()`` mounts them with the intake download."""
    return [
        Route(f"{routes.FILES_INVOICES}.csv", invoice_list_csv, methods=["GET"]),
        Route(routes.FILES_INVOICES + "/{invoice_id:int}.pdf", invoice_pdf, methods=["GET"]),
        Route(routes.FILES_ESTIMATES + "/{estimate_id:int}.pdf", estimate_pdf, methods=["GET"]),
        Route(routes.FILES_STATEMENTS + "/{account_id:int}.pdf", statement_pdf, methods=["GET"]),
        Route(routes.FILES_STATEMENTS + "/{account_id:int}.csv", statement_csv, methods=["GET"]),
        Route(routes.FILES_SNAPSHOTS + "/{snapshot_id:int}.pdf", snapshot_pdf, methods=["GET"]),
        Route(routes.FILES_SNAPSHOTS + "/{snapshot_id:int}.csv", snapshot_csv, methods=["GET"]),
        Route(routes.FILES_INTAKE + "/{intake_id:int}/preview", intake_preview, methods=["GET"]),
    ]
