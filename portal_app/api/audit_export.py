"""``GET /files/audit.csv``: the audit log's filtered entries as a CSV download (the page's "Download CSV").

The query takes the page's filters (``actor``, ``action``, ``record``, ``account``, ``since``, ``until``; see
``audit_log.parse_filters``). The actor is re-resolved from the session cookie like every download
(``api/downloads.py``): signed out, no ``audit:read`` and not staff all get the same 404; a finance reviewer gets
the payment entries only (the service scopes every batch). Rows stream in keyset batches, one short database
transaction each, up to ``audit_log.EXPORT_MAX`` rows (a last row says when it stopped there).
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Sequence

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from portal_app import routes
from portal_app.api.cookies import read_session_token
from portal_app.api.downloads import NO_STORE, disposition
from portal_app.db import session_scope
from portal_app.services import audit_log, sessions
from portal_app.services.access import StaffActor
from portal_app.services.audit_log import AuditFilters
from portal_app.services.errors import Forbidden, NotFound, Unavailable, ValidationFailed
from portal_app.services.exports import CSV_TYPE

FILENAME = "audit-log.csv"


def _plain(status: int, message: str) -> Response:
    return PlainTextResponse(
        message,
        status_code=status,
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )


def _encode(rows: Sequence[Sequence[str]], *, first: bool = False) -> bytes:
    buf = io.StringIO()
    if first:
        buf.write("\ufeff")  # a byte-order mark, as every export here (services/exports.py)
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode("utf-8")


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
    yield _encode([audit_log.CSV_HEADER], first=True)
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
        yield _encode(rows)
        written += len(rows)
        if cursor is None:
            return
        if written >= cap:
            yield _encode([audit_log.export_cap_note(cap)])
            return


async def audit_csv(request: Request) -> Response:
    try:
        filters = audit_log.parse_filters(dict(request.query_params), strict=True)
    except ValidationFailed as exc:
        return _plain(400, exc.message)
    try:
        token = read_session_token(request)
        staff = await run_in_threadpool(_reader, token)
    except Unavailable as exc:
        return _plain(503, exc.message)
    if staff is None:
        return _plain(404, "Not found.")
    return StreamingResponse(
        _body(token, filters, audit_log.EXPORT_MAX),
        media_type=CSV_TYPE,
        headers={
            "Content-Disposition": disposition("attachment", FILENAME),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": NO_STORE,
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


def audit_export_routes() -> list[Route]:
    return [Route(routes.FILES_AUDIT_CSV, audit_csv, methods=["GET"])]
