"""The desktop app's HTTP routes: sign-in through the system browser (RFC 8252) and the window's notification feed.

``GET /auth/desktop?redirect_uri=&state=&code_challenge=&code_challenge_method=S256`` (system browser): checks the
loopback redirect URI, state and S256 challenge, stores the pending request, binds it to this browser with a
short-lived HttpOnly cookie (path ``/auth/desktop/finish``) and sends the browser through the normal staff sign-in,
which continues to ``/auth/desktop/finish``. Refused input gets the generic sign-in page and never a redirect to the
given URI.

``GET /auth/desktop/finish`` (system browser, signed in): asks the person to confirm (RFC 8252 8.6: a sign-in that a
page or program started with its own loopback port must not complete unattended in a browser that is already
signed in). Nothing is issued on a GET.

``POST /auth/desktop/finish`` (the confirmation page's form: same origin, this browser's request cookie, its staff
session and a form token bound to the request and to who is signed in): ``action=continue`` turns the pending
request into a one-time code, ``303`` to ``redirect_uri?code=…&state=…``; ``action=cancel`` ends it, ``303`` to
``redirect_uri?error=access_denied&state=…`` so the desktop app stops waiting. The browser's own session token goes
nowhere.

``GET /auth/desktop/redeem?code=&code_verifier=`` (desktop window): a new staff session for the window, set as the
usual session cookie; ``303`` to the staff home.

``GET /api/desktop/activity?after=<cursor>`` (desktop window, same-origin fetch with its session cookie): JSON
``{"cursor": "…", "items": [{"id", "kind", "title", "body", "url"}]}``; ``401`` without a staff session in a
workspace, ``400`` for a malformed cursor.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from models import SessionKind, User, Workspace
from portal_app import routes
from portal_app.api.auth import NO_STORE, SIGN_IN_FAILED_TITLE, _same_origin_post, sign_in_failed
from portal_app.api.auth_pages import esc, html_page
from portal_app.api.client import client_address
from portal_app.api.cookies import read_session_token, set_session_cookie
from portal_app.db import session_scope
from portal_app.services import access, desktop_signin, identity, sessions
from portal_app.services.access import StaffActor
from portal_app.services.desktop_signin import DesktopRefused
from portal_app.services.errors import RateLimited, Unavailable
from portal_app.services.sessions import IssuedSession
from portal_app.settings import Environment, get_settings

log = logging.getLogger("portal.security")

DESKTOP_COOKIE = "portal_desktop"
DESKTOP_COOKIE_MAX_AGE = int(desktop_signin.REQUEST_TTL.total_seconds())
START_PARAMS = ("redirect_uri", "state", "code_challenge", "code_challenge_method")
START_AGAIN = (
    "This sign-in for the desktop app could not be completed. Start the sign-in again from the desktop app."
)
NOT_SIGNED_IN = "Sign in to the desktop app to see notifications."
CONSENT_TITLE = "Sign in to the Customer Portal desktop app?"
CONSENT_TEXT = (
    "This opens your workspace in the desktop app on this computer. Continue only if you just started a sign-in "
    "from the desktop app."
)
CONSENT_REFUSED = (
    "This confirmation did not come from this site's own page, or it is out of date, so nothing was done. Go back "
    "to the page, reload it and try again."
)
CONSENT_FIELD = "consent"
ACTION_FIELD = "action"
CONTINUE, CANCEL = "continue", "cancel"
# The confirmation page's own policy, in place of the app-wide one: nothing may load or run, and it may not be
# framed. ``form-action`` is left out on purpose: browsers apply it to the redirect that answers the form too, and
# that redirect goes to the desktop app's loopback address, which a source list cannot name reliably (IPv6
# literals are not valid sources, and whether an IPv4 literal matches differs between CSP3 and browsers). The
# page's only forms are its own, and every value on it is escaped.
CONSENT_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'"
BAD_CURSOR = "The cursor is not one this feed returned."
_CURSOR_RE = re.compile(r"^(?:0|[1-9][0-9]{0,17})$")
JSON_HEADERS = {"cache-control": "no-store"}


def _secure() -> bool:
    return get_settings().env is Environment.PROD


def _one(request: Request, name: str) -> str:
    """A query parameter given exactly once; "" when missing or repeated (a repeated one is refused as missing)."""
    values = request.query_params.getlist(name)
    return values[0] if len(values) == 1 else ""


def _clear_desktop_cookie(response: Response) -> Response:
    response.delete_cookie(
        DESKTOP_COOKIE, path=routes.DESKTOP_FINISH, httponly=True, samesite="lax", secure=_secure()
    )
    return response


def _refused(
    request: Request, reason: str, *, status_code: int = 400, message: str = START_AGAIN
) -> Response:
    """The generic sign-in failure page (it logs the refusal) for the browser's steps."""
    response = sign_in_failed(request, f"desktop: {reason}", message=message, status_code=status_code)
    return _clear_desktop_cookie(response)


# --- in the system browser ---------------------------------------------------------------------------------------


def _start(params: dict[str, str], client: str) -> str:
    with session_scope() as db:
        return desktop_signin.start_request(
            db,
            redirect_uri=params["redirect_uri"],
            state=params["state"],
            code_challenge=params["code_challenge"],
            code_challenge_method=params["code_challenge_method"],
            client=client,
        )


async def desktop_start(request: Request) -> Response:
    params = {name: _one(request, name) for name in START_PARAMS}
    try:
        key = await run_in_threadpool(_start, params, client_address(request))
    except DesktopRefused as exc:
        return _refused(request, exc.reason)
    except RateLimited as exc:
        return _refused(request, "rate limited", status_code=429, message=exc.message)
    except Exception as exc:  # noqa: BLE001  database down: fail closed
        return _refused(request, f"could not start ({type(exc).__name__})")
    response = RedirectResponse(
        routes.sign_in_url("staff", routes.DESKTOP_FINISH), status_code=302, headers=NO_STORE
    )
    response.set_cookie(
        DESKTOP_COOKIE,
        key,
        max_age=DESKTOP_COOKIE_MAX_AGE,
        path=routes.DESKTOP_FINISH,
        httponly=True,
        samesite="lax",
        secure=_secure(),
    )
    return response


@dataclass(frozen=True)
class _BrowserStaff:
    """Who is signed in in the browser, as the confirmation page names them."""

    user_id: int
    workspace_id: int | None  # the workspace its session is in (None: a member without one yet)
    email: str
    name: str
    workspace_name: str


def _browser_staff(token: str | None) -> _BrowserStaff | None:
    with session_scope() as db:
        principal = sessions.resolve(db, token)
        if principal is None or principal.kind is not SessionKind.STAFF or principal.user_id is None:
            return None
        user = db.get(User, principal.user_id)
        if user is None:
            return None
        workspace_id = principal.actor.workspace_id if isinstance(principal.actor, StaffActor) else None
        workspace = db.get(Workspace, workspace_id) if workspace_id is not None else None
        return _BrowserStaff(
            user_id=principal.user_id,
            workspace_id=workspace_id,
            email=user.email,
            name=user.name,
            workspace_name=workspace.name if workspace is not None else "",
        )


def _pending(key: str) -> desktop_signin.DesktopPending:
    with session_scope() as db:
        return desktop_signin.pending(db, key)


def _finish(key: str, user_id: int, workspace_id: int | None) -> desktop_signin.DesktopGrant:
    with session_scope() as db:
        return desktop_signin.finish(db, key, user_id=user_id, workspace_id=workspace_id)


def _cancel(key: str) -> desktop_signin.DesktopPending:
    with session_scope() as db:
        return desktop_signin.cancel(db, key)


def _sign_in_first(status_code: int) -> Response:
    """Signed out meanwhile (or never signed in): sign in, then come back to the confirmation with the cookie."""
    return RedirectResponse(
        routes.sign_in_url("staff", routes.DESKTOP_FINISH), status_code=status_code, headers=NO_STORE
    )


async def _signed_in_staff(request: Request, redirect_status: int) -> _BrowserStaff | Response:
    """The member signed in in this browser, or the answer to give instead: the sign-in first (``redirect_status``)
    or a refusal when the session cannot be checked."""
    try:
        staff = await run_in_threadpool(_browser_staff, read_session_token(request))
    except Exception as exc:  # noqa: BLE001
        return _refused(request, f"session check failed ({type(exc).__name__})")
    return _sign_in_first(redirect_status) if staff is None else staff


def _consent_page(staff: _BrowserStaff, token: str) -> Response:
    action = esc(routes.backend_url(routes.DESKTOP_FINISH))
    hidden = f'<input type=hidden name={CONSENT_FIELD} value="{esc(token)}">'
    who = (
        f"<strong>{esc(staff.name)}</strong> ({esc(staff.email)})"
        if staff.name and staff.name != staff.email
        else f"<strong>{esc(staff.email)}</strong>"
    )
    workspace = (
        f"<p>Workspace: <strong>{esc(staff.workspace_name)}</strong></p>" if staff.workspace_name else ""
    )
    body = (
        f"<h1>{esc(CONSENT_TITLE)}</h1>"
        f"<p>You are signed in as {who}.</p>{workspace}"
        f"<p>{esc(CONSENT_TEXT)}</p>"
        "<div class=actions>"
        f'<form method=post action="{action}">{hidden}'
        f'<input type=hidden name={ACTION_FIELD} value="{CONTINUE}"><button type=submit>Continue</button></form>'
        f'<form method=post action="{action}">{hidden}'
        f'<input type=hidden name={ACTION_FIELD} value="{CANCEL}">'
        "<button type=submit class=secondary>Cancel</button></form>"
        "</div>"
        "<p class=muted>If you did not start a sign-in from the desktop app, choose Cancel. Either way, you can "
        "close this tab afterwards.</p>"
    )
    # "same-origin": the forms' POSTs carry the real Origin, which the POST route checks (never "null").
    response = html_page(CONSENT_TITLE, body, referrer_policy="same-origin")
    response.headers["content-security-policy"] = CONSENT_CSP
    return response


async def desktop_finish(request: Request) -> Response:
    """The confirmation page; it issues nothing (a GET may be a navigation someone else started)."""
    key = request.cookies.get(DESKTOP_COOKIE) or ""
    if not key:
        return _refused(request, "no desktop request in this browser")
    staff = await _signed_in_staff(request, 302)
    if isinstance(staff, Response):
        return staff
    try:
        await run_in_threadpool(_pending, key)
    except DesktopRefused as exc:
        return _refused(request, exc.reason)
    except Exception as exc:  # noqa: BLE001
        return _refused(request, f"could not finish ({type(exc).__name__})")
    token = desktop_signin.consent_token(key, user_id=staff.user_id, workspace_id=staff.workspace_id)
    return _consent_page(staff, token)


def _not_confirmed(request: Request, reason: str) -> Response:
    """A confirmation refused before anything changed: the request and its cookie stay, so the person can reload
    the page and confirm there."""
    return sign_in_failed(request, f"desktop: {reason}", message=CONSENT_REFUSED, status_code=403)


async def desktop_finish_confirm(request: Request) -> Response:
    """The confirmation page's answer: ``continue`` issues the code, ``cancel`` ends the request."""
    if not _same_origin_post(request):
        return _not_confirmed(request, "confirmation from a foreign or missing origin")
    key = request.cookies.get(DESKTOP_COOKIE) or ""
    if not key:
        return _refused(request, "no desktop request in this browser")
    try:
        form = await request.form(max_fields=10, max_files=0)
    except Exception:  # noqa: BLE001  an unreadable body: refused like a missing field
        return _not_confirmed(request, "unreadable confirmation")
    consents, actions = form.getlist(CONSENT_FIELD), form.getlist(ACTION_FIELD)
    action = actions[0] if len(actions) == 1 and isinstance(actions[0], str) else ""
    token = consents[0] if len(consents) == 1 and isinstance(consents[0], str) else ""
    if action not in (CONTINUE, CANCEL):
        return _not_confirmed(request, "confirmation without a known action")
    staff = await _signed_in_staff(request, 303)
    if isinstance(staff, Response):
        return staff
    if not desktop_signin.consent_matches(token, key, user_id=staff.user_id, workspace_id=staff.workspace_id):
        return _not_confirmed(request, "missing or wrong confirmation token")
    if action == CANCEL:
        try:
            ended = await run_in_threadpool(_cancel, key)
        except DesktopRefused as exc:
            return _refused(request, exc.reason)
        except Exception as exc:  # noqa: BLE001
            return _refused(request, f"could not cancel ({type(exc).__name__})")
        location = ended.redirect_uri + "?" + urlencode({"error": "access_denied", "state": ended.state})
        return _clear_desktop_cookie(RedirectResponse(location, status_code=303, headers=NO_STORE))
    try:
        grant = await run_in_threadpool(_finish, key, staff.user_id, staff.workspace_id)
    except DesktopRefused as exc:
        return _refused(request, exc.reason)
    except Exception as exc:  # noqa: BLE001
        return _refused(request, f"could not finish ({type(exc).__name__})")
    # The redirect URI was checked to be a loopback callback without a query when the request was stored.
    location = grant.redirect_uri + "?" + urlencode({"code": grant.code, "state": grant.state})
    return _clear_desktop_cookie(RedirectResponse(location, status_code=303, headers=NO_STORE))


# --- in the desktop window ---------------------------------------------------------------------------------------


def _redeem_failed(request: Request, reason: str, *, status_code: int = 400, message: str = "") -> Response:
    log.warning(
        "desktop sign-in refused: %s",
        reason,
        extra={"client": identity.client_hash(client_address(request))[:12], "reason": reason},
    )
    body = (
        f"<h1>{esc(SIGN_IN_FAILED_TITLE)}</h1><p>{esc(message or identity.SIGN_IN_REFUSED)}</p>"
        "<div class=actions>"
        f'<a class=button href="{esc(routes.sign_in_url("staff"))}">Sign in again</a></div>'
    )
    return html_page(SIGN_IN_FAILED_TITLE, body, status_code=status_code)


def _redeem(code: str, verifier: str, replace_token: str | None, client: str) -> IssuedSession:
    with session_scope() as db:
        return desktop_signin.redeem(db, code, verifier, replace_token=replace_token, client=client)


async def desktop_redeem(request: Request) -> Response:
    # The desktop app opens this URL in its own window (no initiator: "none"). A link on another site must not sign
    # a browser or window in as someone else (login CSRF), so a navigation that names another site is refused.
    if request.headers.get("sec-fetch-site") in ("cross-site", "same-site"):
        return _redeem_failed(request, "started from another site")
    try:
        issued = await run_in_threadpool(
            _redeem,
            _one(request, "code"),
            _one(request, "code_verifier"),
            read_session_token(request),
            client_address(request),
        )
    except RateLimited as exc:
        return _redeem_failed(request, "rate limited", status_code=429, message=exc.message)
    except DesktopRefused as exc:
        return _redeem_failed(request, exc.reason)
    except Exception as exc:  # noqa: BLE001  database down: fail closed, nothing written
        return _redeem_failed(request, f"session could not be created ({type(exc).__name__})")
    response = RedirectResponse(routes.after_sign_in_url(routes.STAFF), status_code=303, headers=NO_STORE)
    set_session_cookie(response, issued)
    return response


def _json(status: int, payload: dict[str, Any]) -> JSONResponse:
    return JSONResponse(payload, status_code=status, headers=JSON_HEADERS)


def _cursor(values: list[str]) -> int | None:
    """The ``after`` cursor, None when absent; ``ValueError`` when malformed (repeated, not a plain number)."""
    if not values:
        return None
    if len(values) != 1 or not _CURSOR_RE.fullmatch(values[0]):
        raise ValueError("malformed cursor")
    return int(values[0])


def _activity(token: str | None, cursor: list[str]) -> JSONResponse:
    with session_scope() as db:
        principal = sessions.resolve(db, token)
        actor = principal.actor if principal else None
        if not isinstance(actor, StaffActor):
            if principal is None:
                access.log_authorization_failure("anonymous", None, "desktop-activity", None)
            else:
                who = principal.user_id or principal.contact_id
                access.log_authorization_failure(principal.kind.value, who, "desktop-activity", None)
            return _json(401, {"error": NOT_SIGNED_IN})
        try:
            after = _cursor(cursor)
        except ValueError:
            return _json(400, {"error": BAD_CURSOR})
        feed = desktop_signin.activity(db, actor, after=after)
    return _json(
        200,
        {
            "cursor": str(feed.cursor),
            "items": [
                {
                    "id": item.task_id,
                    "kind": item.kind,
                    "title": item.title,
                    "body": item.body,
                    "url": routes.record_url(routes.STAFF_TASKS, item.task_id),
                }
                for item in feed.items
            ],
        },
    )


async def desktop_activity(request: Request) -> Response:
    try:
        return await run_in_threadpool(
            _activity, read_session_token(request), request.query_params.getlist("after")
        )
    except Unavailable as exc:
        return _json(503, {"error": exc.message})


def desktop_routes() -> list[Route]:
    return [
        Route(routes.DESKTOP_SIGN_IN, desktop_start, methods=["GET"]),
        Route(routes.DESKTOP_FINISH, desktop_finish, methods=["GET"]),
        Route(routes.DESKTOP_FINISH, desktop_finish_confirm, methods=["POST"]),
        Route(routes.DESKTOP_REDEEM, desktop_redeem, methods=["GET"]),
        Route(routes.DESKTOP_ACTIVITY, desktop_activity, methods=["GET"]),
    ]
