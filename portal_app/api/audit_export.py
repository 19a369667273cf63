"""``GET /files/audit.csv``: the audit log's filtered entries as a CSV download (the page's "Download CSV").

The query takes the page's filters (``actor``, ``action``, ``record``, ``account``, ``since``, ``until``; see
``audit_log.parse_filters``). The actor is re-resolved from the session cookie like every download
(``api/downloads.py``): signed out, no ``audit:read`` and not staff all get the same 404; a finance reviewer gets
the payment entries only (the service scopes every batch). Rows stream in keyset batches, one short database
transaction each, up to ``audit_log.EXPORT_MAX`` rows (a last row says when it stopped there).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from portal_app import routes
from portal_app.api.cookies import read_session_token
from portal_app.api.responses import attachment_headers, not_found, plain
from portal_app.db import session_scope
from portal_app.services import audit_log, sessions
from portal_app.services.access import StaffActor
from portal_app.services.audit_log import AuditFilters
from portal_app.services.errors import Forbidden, NotFound, Unavailable, ValidationFailed
from portal_app.services.exports import CSV_TYPE, csv_bytes

FILENAME = "audit-log.csv"


def _reader(token: str | None) -> StaffActor | None:
    """The staff member behind the cookie, if they may read the audit log (re-checked for every batch)."""
    with session_scope() as session:
        principal = sessions.resolve(session, token)
        if principal is None or principal.actor is None:
            return None
        try:
            return audit_log.export_reader(principal.actor)
        except (NotFound, Forbidden):
            return None


Batch = tuple[list[tuple[str, ...]], int | None]


def _batch(token: str | None, filters: AuditFilters, cursor: int | None, limit: int) -> Batch | None:
    """One batch in its own short transaction, for the actor as they are now (a member removed or demoted
    during a long download gets nothing more)."""
    with session_scope() as session:
        principal = sessions.resolve(session, token)
        if principal is None or principal.actor is None:
            return None
        try:
            return audit_log.export_batch(session, principal.actor, filters, before_seq=cursor, limit=limit)
        except (NotFound, Forbidden):
            return None


async def _body(token: str | None, filters: AuditFilters, cap: int) -> AsyncIterator[bytes]:
    yield csv_bytes([audit_log.CSV_HEADER])  # the byte-order mark, as every export
    cursor: int | None = None
    written = 0
    while True:
        try:
            batch = await run_in_threadpool(
                _batch, token, filters, cursor, min(audit_log.EXPORT_BATCH, cap - written)
            )
        except Unavailable:
            return  # the database went away mid-download: the file stops here rather than hang
        if batch is None:
            return  # access ended during the download: the file stops here
        rows, cursor = batch
        yield csv_bytes(rows, bom=False)
        written += len(rows)
        if cursor is None:
            return
        if written >= cap:
            yield csv_bytes([audit_log.export_cap_note(cap)], bom=False)
            return


async def audit_csv(request: Request) -> Response:
    try:
        filters = audit_log.parse_filters(dict(request.query_params), strict=True)
    except ValidationFailed as exc:
        return plain(400, exc.message)
    try:
        token = read_session_token(request)
        staff = await run_in_threadpool(_reader, token)
    except Unavailable as exc:
        return plain(503, exc.message)
    if staff is None:
        return not_found()
    return StreamingResponse(
        _body(token, filters, audit_log.EXPORT_MAX), headers=attachment_headers(FILENAME, CSV_TYPE)
    )


def audit_export_routes() -> list[Route]:
    return [Route(routes.FILES_AUDIT_CSV, audit_csv, methods=["GET"])]
