"""The signed link in every reminder mail that turns a contact's reminders off.

GET only shows a confirm page (mail scanners prefetch links, so a GET changes nothing); POST to the same URL turns
the reminders off. The link signs (contact, workspace) with the session secret and does not expire; a link that
does not verify gets a plain refusal. A cross-site POST is refused (fetch metadata / Origin / Referer), so another
site cannot unsubscribe someone by sending them a page. Pages carry ``Referrer-Policy: no-referrer``.
"""

from __future__ import annotations

import logging
import re
from html import escape

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from portal_app import routes
from portal_app.api.link_html import html_page
from portal_app.api.portal_links import same_origin_request
from portal_app.db import session_scope
from portal_app.services import reminders

log = logging.getLogger("portal.security")

_TOKEN_SHAPE = re.compile(r"^[0-9]{1,12}\.[0-9]{1,12}\.[A-Za-z0-9_-]{10,64}$")
REFUSED = "This link cannot be used. Open the newest reminder mail and use its link to stop reminders."


def _refusal(status_code: int = 400) -> Response:
    return html_page(
        "Link not valid",
        f"<h1>This link cannot be used</h1><p>{escape(REFUSED)}</p>",
        status_code=status_code,
    )


def _workspace_name(token: str) -> str | None:
    with session_scope() as session:
        return reminders.unsubscribe_workspace_name(session, token)


def _unsubscribe(token: str) -> bool:
    with session_scope() as session:
        return reminders.unsubscribe(session, token)


async def unsubscribe(request: Request) -> Response:
    token = request.path_params["token"]
    if not isinstance(token, str) or not _TOKEN_SHAPE.match(token):
        return _refusal()
    if request.method == "POST":
        if not same_origin_request(request):
            log.warning("reminder unsubscribe refused: cross-site POST or no origin")
            return html_page(
                "Request refused",
                "<h1>Request refused</h1><p>Open the link from your reminder mail again in your web browser and "
                "press the button on the page.</p>",
                status_code=403,
            )
        if not await run_in_threadpool(_unsubscribe, token):
            return _refusal()
        return html_page(
            "Reminders turned off",
            "<h1>Reminders turned off</h1><p>You will not receive reminder mails any more. Mails about new "
            "records and replies to your messages still arrive.</p>",
        )
    name = await run_in_threadpool(_workspace_name, token)
    if name is None:
        return _refusal()
    action = escape(request.url.path, quote=True)
    body = (
        f"<h1>Stop reminders from {escape(name)}?</h1>"
        "<p>Reminders tell you about documents, estimates and invoices that are due or overdue. Mails about new "
        "records and replies to your messages still arrive.</p>"
        f'<form method="post" action="{action}"><button type="submit">Stop reminders</button></form>'
    )
    return html_page("Stop reminders", body)


def reminder_routes() -> list[Route]:
    return [Route(routes.REMINDERS_UNSUBSCRIBE + "/{token}", unsubscribe, methods=["GET", "POST"])]


__all__ = ["reminder_routes"]
