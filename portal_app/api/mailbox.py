"""The dev-only mailbox: the local outbox as a page, so a person trying ``make run`` can click a magic link.

Answers 404 outside dev and test. Every value is escaped; only http(s) URLs in a body become links.
"""

from __future__ import annotations

import re
from datetime import datetime
from html import escape

from sqlmodel import col, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from models import OutboxMail
from models.schemas import ReadModel
from portal_app import routes
from portal_app.api.link_html import html_page
from portal_app.db import session_scope
from portal_app.settings import get_settings

MAILBOX_SIZE = 50
_URL_RE = re.compile(r"https?://[^\s<>\"']+")


class MailboxEntry(ReadModel):
    to_email: str
    subject: str
    body_text: str
    status: str
    created_at: datetime


def linkify(text: str) -> str:
    """Escape ``text`` and turn each http(s) URL in it into a link (no other scheme can become one)."""
    out: list[str] = []
    last = 0
    for match in _URL_RE.finditer(text):
        out.append(escape(text[last : match.start()]))
        url = escape(match.group(0), quote=True)
        out.append(f'<a href="{url}" rel="noreferrer noopener">{url}</a>')
        last = match.end()
    out.append(escape(text[last:]))
    return "".join(out)


def _latest_mails() -> list[MailboxEntry]:
    with session_scope() as session:
        rows = session.exec(
            select(OutboxMail)
            .order_by(col(OutboxMail.created_at).desc(), col(OutboxMail.id).desc())
            .limit(MAILBOX_SIZE)
        ).all()
        return [
            MailboxEntry(
                to_email=r.to_email,
                subject=r.subject,
                body_text=r.body_text,
                status=r.status.value,
                created_at=r.created_at,
            )
            for r in rows
        ]


async def mailbox(request: Request) -> Response:
    if not get_settings().is_dev_like:
        return PlainTextResponse("Not Found", status_code=404)
    mails = await run_in_threadpool(_latest_mails)
    parts = [
        "<h1>Local mailbox</h1>",
        f'<p class="meta">Development only. The newest {MAILBOX_SIZE} mails of the local outbox; '
        "nothing here was sent to a real mail server unless SMTP is configured.</p>",
    ]
    if not mails:
        parts.append("<p>No mail yet. Ask for a sign-in link or invite someone, then reload this page.</p>")
    for mail in mails:
        when = mail.created_at.strftime("%Y-%m-%d %H:%M:%S UTC")
        parts.append(
            '<section class="mail">'
            f"<h2>{escape(mail.subject)}</h2>"
            f'<p class="meta">To {escape(mail.to_email)} · {escape(when)} · {escape(mail.status)}</p>'
            f"<pre>{linkify(mail.body_text)}</pre>"
            "</section>"
        )
    return html_page("Local mailbox", "".join(parts))


def mailbox_routes() -> list[Route]:
    return [Route(routes.DEV_MAILBOX, mailbox, methods=["GET"])]
