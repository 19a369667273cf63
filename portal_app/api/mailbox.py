"""The dev-only mailbox: the local outbox as a page, so a person trying ``make run`` can click a magic link.

It holds live sign-in links for anyone, so it exists only where nobody else can reach it, and answers 404
otherwise. All of these must hold for every request:

* the built-in development identity provider is active (dev/test, no issuer configured): with a real provider
  there is a real mailbox and nothing to show here;
* the server listens on loopback: the ASGI scope's ``server`` address is a loopback address (Granian reports the
  address it is bound to, Uvicorn the local address of the connection; either way the request came in over the
  loopback interface, never over a network one);
* the peer of the socket is a loopback address (the raw peer, not ``X-Forwarded-For``);
* no proxy forwarded it (no ``Forwarded`` / ``X-Forwarded-*`` / ``X-Real-IP``): a reverse proxy on the same host
  would otherwise make a remote visitor look local;
* the ``Host`` header names loopback or this app's own configured host, so a page on another site that rebinds
  its DNS name to 127.0.0.1 cannot read the mailbox through the developer's browser.

Links are shown only until they expire (the mailer's sweep runs before every read, and anything past its expiry
is blanked on display too). Every value is escaped; only http(s) URLs in a body become links.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from datetime import datetime
from html import escape
from urllib.parse import urlsplit

from sqlmodel import col, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from models import OutboxMail, utcnow
from models.schemas import ReadModel
from portal_app import routes
from portal_app.api.link_html import html_page
from portal_app.db import session_scope
from portal_app.services import mailer
from portal_app.settings import get_settings

log = logging.getLogger("portal.security")

MAILBOX_SIZE = 50
_PROXY_HEADERS = ("forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-real-ip")
_URL_RE = re.compile(r"https?://[^\s<>\"']+")


class MailboxEntry(ReadModel):
    id: int
    has_html: bool  # the mail has an HTML part and no sign-in link in it: the mailbox can show it as sent
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


def is_loopback(host: str | None) -> bool:
    """True for a loopback IP address (IPv4, IPv6, IPv4-mapped) or the name ``localhost``."""
    if not host:
        return False
    host = host.strip().strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def _own_hosts() -> set[str]:
    names = {urlsplit(get_settings().public_base_url).hostname, urlsplit(routes.backend_origin()).hostname}
    return {name.lower() for name in names if name}


def mailbox_allowed(request: Request) -> bool:
    """Whether this request may see the local outbox (see the module docstring for each rule and why)."""
    if not get_settings().uses_builtin_identity_provider:
        return False
    server = request.scope.get("server")
    if not server or not is_loopback(str(server[0])):
        return False
    if request.client is None or not is_loopback(request.client.host):
        return False
    if any(name in request.headers for name in _PROXY_HEADERS):
        return False
    host = urlsplit("//" + request.headers.get("host", "")).hostname
    return is_loopback(host) or (host or "").lower() in _own_hosts()


def _latest_mails() -> list[MailboxEntry]:
    with session_scope() as session:
        mailer.sweep_expired_links(session)
        rows = session.exec(
            select(OutboxMail)
            .order_by(col(OutboxMail.created_at).desc(), col(OutboxMail.id).desc())
            .limit(MAILBOX_SIZE)
        ).all()
        now = utcnow()
        return [
            MailboxEntry(
                id=r.id or 0,
                has_html=bool(r.body_html) and r.links_expire_at is None,
                to_email=r.to_email,
                subject=r.subject,
                # A link that expired since the sweep is blanked here too: the page never shows a dead link.
                body_text=(
                    mailer.redact_links(r.body_text, mailer.EXPIRED)
                    if r.links_expire_at is not None and r.links_expire_at <= now
                    else r.body_text
                ),
                status=r.status.value,
                created_at=r.created_at,
            )
            for r in rows
        ]


async def mailbox(request: Request) -> Response:
    if not mailbox_allowed(request):
        log.warning("local mailbox refused: not a loopback request with the development provider")
        return PlainTextResponse("Not Found", status_code=404)
    mails = await run_in_threadpool(_latest_mails)
    parts = [
        "<h1>Local mailbox</h1>",
        f'<p class="meta">Development only. The newest {MAILBOX_SIZE} mails of the local outbox; '
        "nothing here was sent to a real mail server unless SMTP is configured. Links are shown until they "
        "expire.</p>",
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
            + (
                f'<p><a href="{escape(routes.DEV_MAILBOX)}/{mail.id}.html">The HTML version of this mail</a></p>'
                if mail.has_html
                else ""
            )
            + "</section>"
        )
    return html_page("Local mailbox", "".join(parts))


# The HTML part as a mail client would show it: scripts, forms and frames off; images from anywhere (the logo is
# on the public logo route) and inline styles, as mails use them.
_MAIL_HTML_CSP = (
    "default-src 'none'; img-src http: https: data:; style-src 'unsafe-inline'; sandbox; "
    "frame-ancestors 'none'"
)


def _mail_html(mail_id: int) -> str | None:
    with session_scope() as session:
        row = session.get(OutboxMail, mail_id)
        # Mails carrying sign-in links are shown only as text, where expired links are blanked.
        if row is None or not row.body_html or row.links_expire_at is not None:
            return None
        return row.body_html


async def mailbox_html(request: Request) -> Response:
    if not mailbox_allowed(request):
        return PlainTextResponse("Not Found", status_code=404)
    mail_id = request.path_params["mail_id"]
    body = await run_in_threadpool(_mail_html, mail_id) if 0 < mail_id < 2**63 else None
    if body is None:
        return PlainTextResponse("Not Found", status_code=404)
    return HTMLResponse(
        body,
        headers={
            "Content-Security-Policy": _MAIL_HTML_CSP,
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
        },
    )


def mailbox_routes() -> list[Route]:
    # Not even routed unless the development provider is active; each request is checked again as well.
    if not get_settings().uses_builtin_identity_provider:
        return []
    return [
        Route(routes.DEV_MAILBOX, mailbox, methods=["GET"]),
        Route(routes.DEV_MAILBOX + "/{mail_id:int}.html", mailbox_html, methods=["GET"]),
    ]
