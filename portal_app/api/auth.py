"""Sign-in (OIDC authorization code + PKCE), callback, sign-out and the member-invitation landing routes.

Thin: parse, call ``services.identity`` / ``sessions`` / ``members`` and ``api.oidc``, respond. Every sign-in failure
gets the same generic page (HTTP 400) and one ``portal.security`` log line with a reason and no secrets.

Browser binding: besides the server-side single-use state, ``/auth/sign-in`` sets a short-lived HttpOnly cookie
holding the state (path ``/auth/callback``); the callback requires it, so a callback URL produced in someone else's
browser cannot sign this browser in (login CSRF).

Invitations: ``GET /invite/{token}`` moves the token out of the URL into an HttpOnly cookie scoped to ``/invite`` and
redirects to ``/invite``, which asks a signed-in staff user to confirm (POST, SameSite=Lax session cookie, Origin
checked). The token therefore never lands in the database (not even in a pending login's ``next``), in logs or in a
Referer header.
"""

from __future__ import annotations

import hmac
import logging
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from models import Membership, SessionKind
from portal_app import routes
from portal_app.api import oidc
from portal_app.api.auth_pages import esc, html_page
from portal_app.api.client import client_address
from portal_app.api.cookies import clear_session_cookie, read_session_token, set_session_cookie
from portal_app.db import session_scope
from portal_app.services import identity, members, sessions
from portal_app.services.errors import Conflict, DomainError, NotFound, RateLimited
from portal_app.services.sessions import IssuedSession
from portal_app.settings import Environment, get_settings

log = logging.getLogger("portal.security")

LOGIN_COOKIE = "portal_login"
INVITE_COOKIE = "portal_invite"
LOGIN_COOKIE_MAX_AGE = int(identity.LOGIN_TTL.total_seconds())
INVITE_COOKIE_MAX_AGE = 3600
MAX_CODE_CHARS = 2048

PURPOSES = {kind.value: kind for kind in (SessionKind.STAFF, SessionKind.CONTACT, SessionKind.OPERATOR)}
HOME_FOR = {
    SessionKind.STAFF: routes.STAFF,
    SessionKind.CONTACT: routes.PORTAL,
    SessionKind.OPERATOR: routes.OPERATOR,
}
# Where a sign-in of each kind may continue to; anything else falls back to the kind's home.
NEXT_PREFIXES = {
    SessionKind.STAFF: (routes.STAFF, routes.INVITE),
    SessionKind.CONTACT: (routes.PORTAL,),
    SessionKind.OPERATOR: (routes.OPERATOR,),
}
# Backend routes a sign-in of each kind may continue to, as exactly this path (no query, nothing below it).
NEXT_EXACT = {SessionKind.STAFF: (routes.DESKTOP_FINISH,)}
_NEXT_RE = re.compile(r"^/[A-Za-z0-9/_\-.~%=&?]*$")
_INVITE_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,200}$")

SIGN_IN_FAILED_TITLE = "Sign-in did not complete"
NO_STORE = {"cache-control": "no-store", "referrer-policy": "no-referrer"}


def _secure() -> bool:
    return get_settings().env is Environment.PROD


def _client(request: Request) -> str:
    return client_address(request)


def _log_refusal(request: Request, what: str, reason: str) -> None:
    log.warning(
        "%s refused: %s",
        what,
        reason,
        extra={"client": identity.client_hash(_client(request))[:12], "reason": reason},
    )


def allowed_next(purpose: SessionKind, value: str | None) -> str:
    """``value`` when it is a plain site path inside the area of this kind of sign-in, else ""."""
    path = identity.safe_next(value, "")
    if not path or not _NEXT_RE.match(path):
        return ""
    if path in NEXT_EXACT.get(purpose, ()):
        return path
    base = path.split("?", 1)[0]
    if any(base == prefix or base.startswith(prefix + "/") for prefix in NEXT_PREFIXES[purpose]):
        return path
    return ""


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _same_origin_post(request: Request) -> bool:
    """Defence in depth next to SameSite=Lax: a POST that names a foreign origin is refused.

    So is one that names none: browsers send ``Origin`` on every POST, so a POST without it (and without the
    ``Sec-Fetch-Site`` fetch metadata vouching for it) did not come from one of our pages.
    """
    origin = request.headers.get("origin")
    if origin is None:
        return request.headers.get("sec-fetch-site") in ("same-origin", "none")
    allowed = {_origin(get_settings().public_base_url), _origin(routes.backend_origin())}
    return origin in allowed


ORIGIN_REFUSED = (
    "This request did not come from this site's own page, so nothing was done. Go back to the page, reload it "
    "and try again."
)


# --- pages -----------------------------------------------------------------------------------------------------


def sign_in_failed(
    request: Request,
    reason: str,
    *,
    as_: str = "staff",
    message: str = identity.SIGN_IN_REFUSED,
    status_code: int = 400,
) -> Response:
    _log_refusal(request, "sign-in", reason)
    body = (
        f"<h1>{esc(SIGN_IN_FAILED_TITLE)}</h1><p>{esc(message)}</p>"
        "<div class=actions>"
        f'<a class=button href="{esc(routes.sign_in_url(as_ if as_ in PURPOSES else "staff"))}">Try again</a>'
        f'<a class="button secondary" href="{esc(routes.absolute_url(routes.HOME))}">Home</a></div>'
    )
    response = html_page(SIGN_IN_FAILED_TITLE, body, status_code=status_code)
    response.delete_cookie(
        LOGIN_COOKIE, path=routes.AUTH_CALLBACK, httponly=True, samesite="lax", secure=_secure()
    )
    return response


def _invite_page(
    title: str,
    body: str,
    *,
    status_code: int = 200,
    clear: bool = False,
    referrer_policy: str = "no-referrer",
) -> Response:
    response = html_page(
        title, f"<h1>{esc(title)}</h1>{body}", status_code=status_code, referrer_policy=referrer_policy
    )
    if clear:
        response.delete_cookie(
            INVITE_COOKIE, path=routes.INVITE, httponly=True, samesite="lax", secure=_secure()
        )
    return response


def _invite_invalid(request: Request, reason: str) -> Response:
    _log_refusal(request, "invitation", reason)
    body = (
        f"<p>{esc(members.INVALID_INVITE)}</p><p class=muted>Invitations expire, work once and can be revoked.</p>"
        f'<div class=actions><a class="button secondary" href="{esc(routes.absolute_url(routes.HOME))}">'
        "Home</a></div>"
    )
    return _invite_page("Invitation", body, status_code=400, clear=True)


# --- sign-in ---------------------------------------------------------------------------------------------------


def _start(purpose: SessionKind, next_path: str, client: str) -> identity.PendingLogin:
    with session_scope() as db:
        return identity.start_login(db, purpose=purpose, next_path=next_path, client=client)


async def sign_in(request: Request) -> Response:
    as_ = request.query_params.get("as") or "staff"
    purpose = PURPOSES.get(as_)
    if purpose is None:
        return sign_in_failed(request, "unknown sign-in kind")
    next_path = allowed_next(purpose, request.query_params.get("next"))
    try:
        # Provider first: when it is unreachable nothing is written at all.
        await oidc.metadata(oidc.provider())
    except Exception as exc:  # noqa: BLE001  fails closed
        return sign_in_failed(request, f"provider unavailable ({type(exc).__name__})", as_=as_)
    try:
        pending = await run_in_threadpool(_start, purpose, next_path, _client(request))
    except RateLimited as exc:
        return sign_in_failed(request, "rate limited", as_=as_, message=exc.message, status_code=429)
    except Exception as exc:  # noqa: BLE001  database down: fail closed
        return sign_in_failed(request, f"could not start ({type(exc).__name__})", as_=as_)
    try:
        url = await oidc.authorization_url(
            state=pending.state,
            nonce=pending.nonce,
            code_verifier=pending.code_verifier,
            redirect_uri=routes.auth_callback_url(),
        )
    except Exception as exc:  # noqa: BLE001  provider unreachable or misconfigured: fail closed
        return sign_in_failed(request, f"provider unavailable ({type(exc).__name__})", as_=as_)
    response = RedirectResponse(url, status_code=302, headers=NO_STORE)
    response.set_cookie(
        LOGIN_COOKIE,
        pending.state,
        max_age=LOGIN_COOKIE_MAX_AGE,
        path=routes.AUTH_CALLBACK,
        httponly=True,
        samesite="lax",
        secure=_secure(),
    )
    return response


@dataclass(frozen=True)
class _Login:
    purpose: SessionKind
    nonce: str
    code_verifier: str
    next_path: str


def _consume(state: str | None) -> _Login:
    with session_scope() as db:
        row = identity.consume_login(db, state)
        assert state is not None  # consume_login refused anything else
        nonce, verifier = identity.login_secrets(state)
        return _Login(purpose=row.purpose, nonce=nonce, code_verifier=verifier, next_path=row.next_path)


def _complete(
    login: _Login, verified: identity.VerifiedIdentity, replace_token: str | None
) -> tuple[IssuedSession, str]:
    """Open the session for the purpose the sign-in was started with; returns it and the page to land on."""
    wanted = allowed_next(login.purpose, login.next_path)
    with session_scope() as db:
        if login.purpose is SessionKind.STAFF:
            issued, has_workspace = identity.sign_in_staff(db, verified, replace_token=replace_token)
            if wanted.startswith(routes.INVITE):
                return issued, wanted  # a new user following an invitation joins instead of onboarding
            if wanted == routes.DESKTOP_FINISH:
                return issued, wanted  # the desktop app's sign-in finishes first; its window shows onboarding
            if not has_workspace:
                return issued, routes.ONBOARDING
            return issued, wanted or routes.STAFF
        if login.purpose is SessionKind.CONTACT:
            issued = identity.sign_in_contact(db, verified, replace_token=replace_token)
        else:
            issued = identity.sign_in_operator(db, verified, replace_token=replace_token)
        return issued, wanted or HOME_FOR[login.purpose]


async def callback(request: Request) -> Response:
    query = request.query_params
    state = query.get("state")
    try:
        login = await run_in_threadpool(_consume, state)
    except NotFound:
        return sign_in_failed(request, "unknown, replayed or expired state")
    except Exception as exc:  # noqa: BLE001
        return sign_in_failed(request, f"state check failed ({type(exc).__name__})")
    as_ = login.purpose.value
    bound = request.cookies.get(LOGIN_COOKIE) or ""
    if not state or not hmac.compare_digest(bound.encode(), state.encode()):
        return sign_in_failed(request, "state not bound to this browser", as_=as_)
    if query.get("error"):
        return sign_in_failed(request, "provider returned an error", as_=as_)
    code = query.get("code") or ""
    if not code or len(code) > MAX_CODE_CHARS:
        return sign_in_failed(request, "no authorization code", as_=as_)
    try:
        verified = await oidc.exchange_code(
            code=code,
            code_verifier=login.code_verifier,
            redirect_uri=routes.auth_callback_url(),
            nonce=login.nonce,
        )
    except oidc.OidcError as exc:
        return sign_in_failed(request, str(exc), as_=as_)
    except Exception as exc:  # noqa: BLE001  provider down: fail closed, nothing written
        return sign_in_failed(request, f"provider unavailable ({type(exc).__name__})", as_=as_)
    try:
        issued, target = await run_in_threadpool(_complete, login, verified, read_session_token(request))
    except DomainError as exc:
        # identity's messages are user-safe; "no portal access" tells a verified person only about themselves.
        message = exc.message if exc.message == identity.NO_PORTAL_ACCESS else identity.SIGN_IN_REFUSED
        return sign_in_failed(request, f"{as_} sign-in refused by policy", as_=as_, message=message)
    except Exception as exc:  # noqa: BLE001
        return sign_in_failed(request, f"session could not be created ({type(exc).__name__})", as_=as_)
    log.info("sign-in completed", extra={"purpose": as_})
    response = RedirectResponse(routes.after_sign_in_url(target), status_code=303, headers=NO_STORE)
    set_session_cookie(response, issued)
    response.delete_cookie(
        LOGIN_COOKIE, path=routes.AUTH_CALLBACK, httponly=True, samesite="lax", secure=_secure()
    )
    return response


def _end(token: str | None) -> None:
    with session_scope() as db:
        sessions.end_session(db, token)


async def sign_out(request: Request) -> Response:
    if not _same_origin_post(request):
        _log_refusal(request, "sign-out", "foreign origin")
        return html_page(
            "Sign out", "<h1>Sign out</h1><p>Please sign out from the app itself.</p>", status_code=403
        )
    try:
        await run_in_threadpool(_end, read_session_token(request))
    except Exception as exc:  # noqa: BLE001  the cookie is cleared below whatever happened
        log.error("sign-out could not delete the session (%s)", type(exc).__name__)
    response = RedirectResponse(routes.absolute_url(routes.HOME), status_code=303, headers=NO_STORE)
    clear_session_cookie(response)
    return response


# --- member invitations ----------------------------------------------------------------------------------------


async def invite_link(request: Request) -> Response:
    token = str(request.path_params.get("token") or "")
    if not _INVITE_TOKEN_RE.match(token):
        return _invite_invalid(request, "malformed token")
    response = RedirectResponse(routes.INVITE, status_code=303, headers=NO_STORE)
    response.set_cookie(
        INVITE_COOKIE,
        token,
        max_age=INVITE_COOKIE_MAX_AGE,
        path=routes.INVITE,
        httponly=True,
        samesite="lax",
        secure=_secure(),
    )
    return response


def _staff_user(session_token: str | None) -> int | None:
    with session_scope() as db:
        principal = sessions.resolve(db, session_token)
    if principal is None or principal.kind is not SessionKind.STAFF:
        return None
    return principal.user_id


async def invite_landing(request: Request) -> Response:
    if not request.cookies.get(INVITE_COOKIE):
        return _invite_invalid(request, "no invitation token")
    user_id = await run_in_threadpool(_staff_user, read_session_token(request))
    if user_id is None:
        body = (
            "<p>You have been invited to join a workspace. Sign in with the account for the email address the "
            "invitation was sent to; you will come back here to accept it.</p>"
            f'<div class=actions><a class=button href="{esc(routes.sign_in_url("staff", routes.INVITE))}">'
            "Sign in to accept</a></div>"
        )
        return _invite_page("Invitation", body)
    body = (
        "<p>You have been invited to join a workspace. Accept to add it to your workspaces and switch to it.</p>"
        f'<form method=post action="{esc(routes.backend_url(routes.INVITE))}"><div class=actions>'
        "<button type=submit>Accept invitation</button>"
        f'<a class="button secondary" href="{esc(routes.absolute_url(routes.STAFF))}">Not now</a></div></form>'
    )
    # No token in this URL; "same-origin" lets the browser send the Origin header the POST is checked against.
    return _invite_page("Invitation", body, referrer_policy="same-origin")


def _accept(user_id: int, invite_token: str, session_token: str | None, client: str) -> None:
    with session_scope() as db:
        member = members.accept_invitation(db, user_id=user_id, token=invite_token, client=client)
        membership = db.get(Membership, member.id)
        if membership is None:  # pragma: no cover  just committed
            raise NotFound(members.INVALID_INVITE)
        sessions.switch_workspace(db, session_token, membership.workspace_id)


async def invite_accept(request: Request) -> Response:
    if not _same_origin_post(request):
        _log_refusal(request, "invitation", "foreign or missing origin")
        return _invite_page("Request refused", f"<p>{esc(ORIGIN_REFUSED)}</p>", status_code=403)
    invite_token = request.cookies.get(INVITE_COOKIE) or ""
    if not _INVITE_TOKEN_RE.match(invite_token):
        return _invite_invalid(request, "no invitation token")
    session_token = read_session_token(request)
    user_id = await run_in_threadpool(_staff_user, session_token)
    if user_id is None:
        return RedirectResponse(routes.INVITE, status_code=303, headers=NO_STORE)
    try:
        await run_in_threadpool(_accept, user_id, invite_token, session_token, _client(request))
    except RateLimited as exc:
        _log_refusal(request, "invitation", "rate limited")
        return _invite_page("Please wait a moment", f"<p>{esc(exc.message)}</p>", status_code=429)
    except Conflict as exc:
        _log_refusal(request, "invitation", "conflict")
        body = (
            f"<p>{esc(exc.message)}</p>"
            f'<div class=actions><a class=button href="{esc(routes.absolute_url(routes.STAFF))}">'
            "Go to your workspace</a></div>"
        )
        return _invite_page("Invitation", body, status_code=400, clear=True)
    except DomainError:
        return _invite_invalid(request, "refused by policy")
    except Exception as exc:  # noqa: BLE001
        return _invite_invalid(request, f"error ({type(exc).__name__})")
    log.info("invitation accepted", extra={"user_id": user_id})
    response = RedirectResponse(routes.absolute_url(routes.STAFF), status_code=303, headers=NO_STORE)
    response.delete_cookie(INVITE_COOKIE, path=routes.INVITE, httponly=True, samesite="lax", secure=_secure())
    return response


def auth_routes() -> list[Route]:
    return [
        Route(routes.SIGN_IN, sign_in, methods=["GET"]),
        Route(routes.AUTH_CALLBACK, callback, methods=["GET"]),
        Route(routes.SIGN_OUT, sign_out, methods=["POST"]),
        Route(routes.INVITE, invite_landing, methods=["GET"]),
        Route(routes.INVITE, invite_accept, methods=["POST"]),
        Route(routes.INVITE + "/{token}", invite_link, methods=["GET"]),
    ]
