"""The session cookie: HttpOnly, SameSite=Lax, Secure in prod. Its value is the only copy of the token."""

from __future__ import annotations

from http.cookies import SimpleCookie

from starlette.requests import Request
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
    return request.cookies.get(COOKIE_NAME)


def token_from_cookie_header(header: str | None) -> str | None:
    """The session token from a raw Cookie header (what Reflex captured at the websocket handshake)."""
    if not header:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except Exception:  # noqa: BLE001  a malformed header simply carries no session
        return None
    morsel = jar.get(COOKIE_NAME)
    return morsel.value if morsel else None
