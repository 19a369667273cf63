"""Contact sign-in links: magic links and invitations, plus a plain-HTML form to ask for a magic link.

GET only shows a confirm page (mail scanners prefetch links, so a GET must never use the token up); POST to the
same URL consumes the token, sets the session cookie and redirects to the portal. A forged cross-site POST could
only sign the victim into the forger's own portal; it is refused by the fetch-metadata / Origin / Referer check
(a POST with neither ``Sec-Fetch-Site`` nor ``Origin`` is refused too) and by a confirm value that must match a
SameSite=Lax cookie set by the GET. Redemptions are rate-limited per client address.
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
from collections.abc import Callable
from html import escape
from urllib.parse import parse_qsl, urlsplit

from sqlmodel import Session
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from portal_app import routes
from portal_app.api.client import client_address
from portal_app.api.cookies import read_session_token, set_session_cookie
from portal_app.api.link_html import html_page
from portal_app.db import session_scope
from portal_app.services import portal_access
from portal_app.services.errors import NotFound, RateLimited
from portal_app.services.sessions import IssuedSession
from portal_app.settings import Environment, get_settings

log = logging.getLogger("portal.security")

CONFIRM_COOKIE = "portal_link_confirm"
CONFIRM_FIELD = "confirm"
CONFIRM_MAX_AGE = 60 * 60
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{1,200}$")
_CONFIRM_SHAPE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
LINK_SENT = "If that address has portal access, a link is on its way. It works once, within 15 minutes."

Redeem = Callable[..., IssuedSession]


def _allowed_origins(request: Request) -> set[str]:
    public = urlsplit(get_settings().public_base_url)
    return {f"{public.scheme}://{public.netloc}", f"{request.url.scheme}://{request.url.netloc}"}


def same_origin_request(request: Request) -> bool:
    """False when the browser says the request came from another site, or does not say where it came from.

    Fetch metadata first (sent whatever the referrer policy), then ``Origin`` (``null`` under our no-referrer pages,
    so it proves nothing either way: then ``Referer``, and with neither the confirm cookie still has to match).
    A POST carrying neither ``Sec-Fetch-Site`` nor ``Origin`` was not sent by a browser's form (browsers send
    ``Origin`` on every POST), so it is refused rather than taken as same-origin.
    """
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None:
        return False
    allowed = _allowed_origins(request)
    if origin != "null":
        return origin.rstrip("/") in allowed
    referer = request.headers.get("referer")
    if referer:
        parts = urlsplit(referer)
        return f"{parts.scheme}://{parts.netloc}" in allowed
    return True


ORIGIN_REFUSED = (
    "This request did not come from this site's own page, so nothing was done. Open the link from your email "
    "again in your web browser and press the button on the page."
)


def _origin_refused() -> Response:
    body = (
        f"<h1>Request refused</h1><p>{escape(ORIGIN_REFUSED)}</p>"
        f'<p><a href="{escape(routes.MAGIC_LINK_REQUEST)}">Get a new sign-in link</a></p>'
    )
    return html_page("Request refused", body, status_code=403)


def _rate_limited(message: str) -> Response:
    body = f"<h1>Please wait a moment</h1><p>{escape(message)}</p>"
    return html_page("Too many attempts", body, status_code=429)


def _failure(status_code: int = 400) -> Response:
    body = (
        "<h1>This link cannot be used</h1>"
        f"<p>{escape(portal_access.INVALID_LINK)}</p>"
        f'<p><a href="{escape(routes.MAGIC_LINK_REQUEST)}">Get a new sign-in link</a></p>'
    )
    return html_page("Sign-in link not valid", body, status_code=status_code)


def _confirm_page(request: Request, heading: str, text: str) -> Response:
    token = request.path_params["token"]
    if not _TOKEN_SHAPE.match(token):
        return _failure()
    existing = request.cookies.get(CONFIRM_COOKIE, "")
    confirm = existing if _CONFIRM_SHAPE.match(existing) else secrets.token_urlsafe(24)
    target = routes.portal_next(request.query_params.get("next"))
    action = routes.url_for(request.url.path, next=target) if target else request.url.path
    body = (
        f"<h1>{escape(heading)}</h1><p>{escape(text)}</p>"
        f'<form method="post" action="{escape(action, quote=True)}">'
        f'<input type="hidden" name="{CONFIRM_FIELD}" value="{escape(confirm, quote=True)}">'
        '<button type="submit">Continue to the portal</button></form>'
    )
    response = html_page("Continue to the portal", body)
    response.set_cookie(
        CONFIRM_COOKIE,
        confirm,
        max_age=CONFIRM_MAX_AGE,
        path="/auth",
        httponly=True,
        samesite="lax",
        secure=get_settings().env is Environment.PROD,
    )
    return response


def _redeem_in_thread(redeem: Redeem, token: str, current: str | None, client: str) -> IssuedSession:
    with session_scope() as session:
        return redeem(session, token, replace_token=current, client=client)


async def _consume(request: Request, redeem: Redeem) -> Response:
    token = request.path_params["token"]
    if not same_origin_request(request):
        log.warning("sign-in link refused: cross-site POST or no origin")
        return _origin_refused()
    form = await _small_form(request)
    confirm = form.get(CONFIRM_FIELD)
    cookie = request.cookies.get(CONFIRM_COOKIE, "")
    if not isinstance(confirm, str) or not cookie or not hmac.compare_digest(confirm, cookie):
        log.warning("sign-in link refused: confirm value missing or mismatched")
        return _failure(403)
    if not _TOKEN_SHAPE.match(token):
        return _failure()
    try:
        issued = await run_in_threadpool(
            _redeem_in_thread, redeem, token, read_session_token(request), client_address(request)
        )
    except NotFound:
        return _failure()
    except RateLimited as exc:
        return _rate_limited(exc.message)
    # Back to the page the contact came from (a mail's link, through the page's gate), when it is a portal page.
    target = routes.portal_next(request.query_params.get("next")) or routes.PORTAL
    response = RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})
    set_session_cookie(response, issued)
    response.delete_cookie(CONFIRM_COOKIE, path="/auth")
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


async def magic_link(request: Request) -> Response:
    if request.method == "POST":
        return await _consume(request, portal_access.redeem_magic_link)
    return _confirm_page(request, "Sign in to the customer portal", "Continue to open your portal.")


async def contact_invite(request: Request) -> Response:
    if request.method == "POST":
        return await _consume(request, portal_access.redeem_contact_invitation)
    return _confirm_page(
        request, "Your customer portal invitation", "Continue to accept the invitation and open your portal."
    )


def _request_form_page() -> Response:
    body = (
        "<h1>Get a sign-in link</h1>"
        "<p>Enter the email address your contact at the company has on file for you.</p>"
        f'<form method="post" action="{escape(routes.MAGIC_LINK_REQUEST, quote=True)}">'
        '<label for="email">Email</label>'
        '<input id="email" type="email" name="email" required maxlength="320" autocomplete="email">'
        '<button type="submit">Send me a link</button></form>'
    )
    return html_page("Get a sign-in link", body)


def _send_link(email: str, client: str) -> None:
    try:
        with session_scope() as session:
            portal_access.request_magic_link(session, email, client=client)
    except Exception as exc:  # noqa: BLE001  the answer is already sent; the error's text may hold a link
        log.error("magic link request failed: %s", type(exc).__name__)


async def request_link(request: Request) -> Response:
    """The same answer for every address; the work happens after the response, so timing tells nothing either."""
    if request.method != "POST":
        return _request_form_page()
    if not same_origin_request(request):
        log.warning("magic link request refused: cross-site POST")
        return html_page(
            "Request refused", "<h1>Request refused</h1><p>Please use the sign-in page.</p>", status_code=403
        )
    form = await _small_form(request)
    email = form.get("email")
    email = email[:400] if isinstance(email, str) else ""
    client = client_address(request)
    response = html_page(
        "Check your email",
        f"<h1>Check your email</h1><p>{escape(LINK_SENT)}</p>",
    )
    response.background = BackgroundTask(_send_link, email, client)
    return response


def portal_link_routes() -> list[Route]:
    return [
        Route(routes.MAGIC_LINK + "/{token}", magic_link, methods=["GET", "POST"]),
        Route(routes.CONTACT_INVITE + "/{token}", contact_invite, methods=["GET", "POST"]),
        Route(routes.MAGIC_LINK_REQUEST, request_link, methods=["GET", "POST"]),
    ]


__all__ = ["portal_link_routes", "same_origin_request", "Session"]


MAX_FORM_BYTES = 4096


async def _small_form(request: Request) -> FormData:
    """These forms carry a few short fields: refuse files and anything large before parsing a byte of it."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_FORM_BYTES):
        return FormData()
    if request.headers.get("content-type", "").startswith("multipart/"):
        return FormData()
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return FormData()
    fields: list[tuple[str, str | UploadFile]] = list(
        parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    )
    return FormData(fields)
