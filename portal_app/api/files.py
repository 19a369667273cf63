"""Authenticated download of intake files: scope re-checked on every request, always as an attachment."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from portal_app.api.cookies import read_session_token
from portal_app.api.downloads import download_routes
from portal_app.api.responses import attachment_headers, not_found
from portal_app.api.uploads import upload_routes
from portal_app.db import session_scope
from portal_app.services import intake, sessions
from portal_app.services.errors import NotFound

log = logging.getLogger("portal.security")

DOWNLOAD_PATH = "/files/intake/{intake_id:int}"


async def download_intake(request: Request) -> Response:
    intake_id = int(request.path_params["intake_id"])
    with session_scope() as session:
        principal = sessions.resolve(session, read_session_token(request))
        if principal is None or principal.actor is None:
            return not_found()
        try:
            path, content_type, name = intake.open_intake_file(session, principal.actor, intake_id)
        except NotFound:
            return not_found()
    if not path.is_file():
        log.error("intake file missing from storage", extra={"intake_id": intake_id})
        return not_found()
    return FileResponse(path, headers=attachment_headers(name, content_type))


def file_routes() -> list[Route]:
    from portal_app.api.attachment_uploads import attachment_routes  # a message's attachment (issue 10)

    return [
        Route(DOWNLOAD_PATH, download_intake, methods=["GET"]),
        *upload_routes(),
        *attachment_routes(),
        *download_routes(),
    ]
