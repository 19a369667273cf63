"""The session cookie: HttpOnly, SameSite=Lax, Secure in prod. Its value is the only copy of the token."""

from __future__ import annotations

from starlette.requests import Request, cookie_parser
from starlette.responses import Response

from portal_app.services.sessions import COOKIE_NAME, IssuedSession
from portal_app.settings import Environment, get_settings


def _secure() -> bool:
    return get_settings().env is Environment.PROD


# A new principal in a tab must not inherit the previous one's page state: Reflex keys its server-side state by
# a token kept in the tab's sessionStorage, so every session start and end clears the origin's storage.
CLEAR_STORAGE = '"storage"'


def set_session_cookie(response: Response, issued: IssuedSession) -> None:
    response.headers["Clear-Site-Data"] = CLEAR_STORAGE
    response.set_cookie(
        COOKIE_NAME,
        issued.token,
        max_age=issued.max_age_seconds,
        path="/",
        httponly=True,
        samesite="lax",
        secure=_secure(),
    )


def clear_session_cookie(response: Response) -> None:
    response.headers["Clear-Site-Data"] = CLEAR_STORAGE
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="lax", secure=_secure())


def read_session_token(request: Request) -> str | None:
    return token_from_cookie_header(request.headers.get("cookie"))


def token_from_cookie_header(header: str | None) -> str | None:
    """The session token from a raw Cookie header: an HTTP request's, or the one Reflex captured at the websocket
    handshake. Both paths use Starlette's lenient parser, which skips a cookie it cannot read instead of giving up
    on the whole header (``http.cookies.SimpleCookie`` drops everything after ``pref=a b`` or a JSON value, which
    consent banners and analytics on the same site routinely set)."""
    if not header:
        return None
    return cookie_parser(header).get(COOKIE_NAME) or None
