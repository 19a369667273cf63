"""Route constants and URL builders. Pages, links and redirects use only these."""

from __future__ import annotations

from urllib.parse import urlencode

from portal_app.settings import get_settings

HOME = "/"
STAFF = "/app"
PORTAL = "/portal"
OPERATOR = "/operator"
SIGN_IN = "/auth/sign-in"  # Placeholder: the sign-in flow lands later.
HEALTH = "/api/health"

# Reflex's public upload folder; build_api() answers 404 for anything under it.
REFLEX_UPLOAD_PREFIX = "/_upload"


def url_for(path: str, **query: str | int) -> str:
    """A site-relative URL for ``path`` with an optional, encoded query string."""
    if not path.startswith("/"):
        raise ValueError(f"route must start with '/': {path!r}")
    return f"{path}?{urlencode(query)}" if query else path


def absolute_url(path: str, **query: str | int) -> str:
    """An absolute URL on the public base URL (for e-mails and OAuth redirects)."""
    return get_settings().public_base_url.rstrip("/") + url_for(path, **query)


def sign_in_url(next_path: str | None = None) -> str:
    """The sign-in page, remembering where to go afterwards (only site-relative targets)."""
    if next_path and next_path.startswith("/") and not next_path.startswith("//"):
        return url_for(SIGN_IN, next=next_path)
    return SIGN_IN
