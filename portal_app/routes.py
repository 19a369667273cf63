"""Route constants and URL builders. Pages, links and redirects use only these."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from portal_app.settings import get_settings

HOME = "/"
STAFF = "/app"
PORTAL = "/portal"
OPERATOR = "/operator"
ONBOARDING = "/app/onboarding"
PORTAL_SIGN_IN = "/portal/sign-in"

# -- Record pages. Their URLs are part of the product: people bookmark and share them. A dynamic segment ``[id]`` is
# read by the page's state from the route and treated as untrusted (state/mixins.py DetailMixin).

STAFF_TASKS = "/app/tasks"
STAFF_ACCOUNTS = "/app/accounts"
STAFF_ESTIMATES = "/app/estimates"
STAFF_APPROVALS = "/app/approvals"
STAFF_SETTINGS = "/app/settings"
STAFF_INVOICES = "/app/invoices"
STAFF_REVIEW = "/app/review"
STAFF_STATEMENTS = "/app/statements"
STAFF_DOCUMENTS = "/app/documents"
STAFF_MESSAGES = "/app/messages"
STAFF_DELIVERIES = "/app/deliveries"
STAFF_AUDIT = "/app/audit"
PORTAL_ESTIMATES = "/portal/estimates"
PORTAL_APPROVALS = "/portal/approvals"
PORTAL_INVOICES = "/portal/invoices"
PORTAL_STATEMENTS = "/portal/statements"
PORTAL_DOCUMENTS = "/portal/documents"
PORTAL_MESSAGES = "/portal/messages"
PORTAL_DELIVERIES = "/portal/deliveries"

NEW = "new"
EDIT = "edit"
ID_SEGMENT = "[id]"


def record_pattern(base: str, *rest: str) -> str:
    """The route pattern of a record page under ``base``: ``/app/estimates/[id]`` (plus ``rest``)."""
    return "/".join((base, ID_SEGMENT, *rest))


def record_url(base: str, record_id: int, *rest: str) -> str:
    """A record page's URL: ``record_url(STAFF_ESTIMATES, 7)`` is ``/app/estimates/7``."""
    if isinstance(record_id, bool) or not isinstance(record_id, int) or record_id <= 0:
        raise ValueError(f"record ids are positive integers: {record_id!r}")
    return "/".join((base, str(record_id), *rest))


# Served by the backend (Starlette routes in portal_app/api/), not by the Reflex frontend: in dev they live on the
# backend's own port, so links to them are built with backend_url().
SIGN_IN = "/auth/sign-in"
SIGN_OUT = "/auth/sign-out"
AUTH_CALLBACK = "/auth/callback"
INVITE = "/invite"
DEV_IDP = "/dev-idp"
# The desktop app's sign-in (RFC 8252: the system browser signs in, a loopback redirect hands a one-time code back,
# the desktop window redeems it with its PKCE verifier) and its notification feed (JSON, the window's own session).
DESKTOP_SIGN_IN = "/auth/desktop"
DESKTOP_FINISH = "/auth/desktop/finish"
DESKTOP_REDEEM = "/auth/desktop/redeem"
DESKTOP_ACTIVITY = "/api/desktop/activity"
HEALTH = "/api/health"
BACKEND_PREFIXES = ("/auth/", INVITE, DEV_IDP, "/api/", "/dev/", "/files/")

# Who a sign-in is for (the ``as`` query parameter of SIGN_IN).
SIGN_IN_AS = ("staff", "contact", "operator")

# Reflex's public upload folder; build_api() answers 404 for anything under it.
REFLEX_UPLOAD_PREFIX = "/_upload"

# Contact sign-in links (GET shows a confirm page, POST consumes the token) and the dev-only local mailbox.
MAGIC_LINK = "/auth/magic"
MAGIC_LINK_REQUEST = "/auth/magic-link"
CONTACT_INVITE = "/auth/contact-invite"
DEV_MAILBOX = "/dev/mailbox"
# The signed link in every reminder mail (GET shows a confirm page, POST turns the contact's reminders off).
REMINDERS_UNSUBSCRIBE = "/auth/reminders/unsubscribe"


# Files: downloads (PDF, CSV, intake files) and uploads. Backend routes (portal_app/api/): every request re-resolves
# the actor from the session cookie and re-checks scope; downloads are attachments with ``nosniff``. Pages link to
# them through backend_url() (in dev the backend has its own port).
FILES_INTAKE = (
    "/files/intake"  # /files/intake/{id} (attachment), /files/intake/{id}/preview (images and PDFs)
)
FILES_INVOICES = "/files/invoices"  # /files/invoices/{id}.pdf, /files/invoices.csv?status=&account=
FILES_ESTIMATES = "/files/estimates"  # /files/estimates/{id}.pdf
FILES_STATEMENTS = "/files/statements"  # /files/statements/{account_id}.{pdf,csv}?start=&end=
FILES_SNAPSHOTS = "/files/statement-snapshots"  # /files/statement-snapshots/{id}.{pdf,csv}
FILES_UPLOAD_PROOF = "/files/uploads/payment-proof"  # POST /files/uploads/payment-proof/{invoice_id}
FILES_UPLOAD_DOCUMENT = "/files/uploads/document"  # POST /files/uploads/document/{item_id} (a request's item)
FILES_UPLOAD_ATTACHMENT = "/files/uploads/attachment"  # POST /files/uploads/attachment/{thread_id}
FILES_AUDIT_CSV = (
    "/files/audit.csv"  # the audit log's filtered entries: ?actor=&action=&account=&since=&until=
)
FILES_UPLOAD_LOGO = "/files/uploads/logo"  # POST: the workspace's logo (settings, branding)
# Public by design: /files/logo/{logo_key}.png, the key random and replaced on every upload (services/branding.py).
FILES_LOGO = "/files/logo"


def file_url(base: str, record_id: int, suffix: str = "", **query: str | int) -> str:
    """A backend file URL: ``file_url(FILES_INVOICES, 7, ".pdf")`` is ``<backend>/files/invoices/7.pdf``."""
    if isinstance(record_id, bool) or not isinstance(record_id, int) or record_id <= 0:
        raise ValueError(f"record ids are positive integers: {record_id!r}")
    return backend_url(f"{base}/{record_id}{suffix}", **query)


def logo_url(logo_key: str) -> str:
    """The public URL of a workspace's logo (``FILES_LOGO``, public by design: services/branding.py); "" without
    one. Absolute, on the backend's origin: the portal's pages and mail clients load it from there."""
    return backend_url(f"{FILES_LOGO}/{logo_key}.png") if logo_key else ""


def url_for(path: str, **query: str | int) -> str:
    """A site-relative URL for ``path`` with an optional, encoded query string."""
    if not path.startswith("/"):
        raise ValueError(f"route must start with '/': {path!r}")
    return f"{path}?{urlencode(query)}" if query else path


def absolute_url(path: str, **query: str | int) -> str:
    """An absolute URL on the public base URL (for e-mails and OAuth redirects)."""
    return get_settings().public_base_url.rstrip("/") + url_for(path, **query)


def is_backend_path(path: str) -> bool:
    return any(path == p.rstrip("/") or path.startswith(p.rstrip("/") + "/") for p in BACKEND_PREFIXES)


def backend_origin() -> str:
    """Where the backend's HTTP routes are reachable from the browser.

    ``reflex run --env prod`` (and any production deployment) serves frontend and backend on one origin, the public
    base URL. ``reflex run`` (dev) serves the backend on its own port: Reflex's ``api_url``. Cookies are per host,
    not per port, so a cookie set by the backend on localhost:8000 reaches the page on localhost:3000 too.
    """
    settings = get_settings()
    public = settings.public_base_url.rstrip("/")
    if not settings.is_dev_like:
        return public
    try:  # imported lazily: services and scripts use this module without Reflex being configured
        from reflex.config import get_config
        from reflex.utils.exec import is_prod_mode

        if is_prod_mode():
            return public
        return str(get_config().api_url).rstrip("/") or public
    except Exception:  # noqa: BLE001  no rxconfig.py in reach (a script run elsewhere): one origin
        return public


def backend_url(path: str, **query: str | int) -> str:
    """An absolute URL for a backend HTTP route (sign-in, callback, invitations, the development provider)."""
    return backend_origin() + url_for(path, **query)


def after_sign_in_url(path: str) -> str:
    """Absolute target for a redirect after sign-in: pages on the frontend, backend routes on the backend."""
    return backend_url(path) if is_backend_path(path.split("?", 1)[0]) else absolute_url(path)


def sign_in_url(as_: str = "staff", next_path: str | None = None) -> str:
    """Start a sign-in (``as_``: staff, contact or operator), remembering where to go afterwards.

    Only site-relative targets are kept; the server checks ``next`` again.
    """
    if as_ not in SIGN_IN_AS:
        raise ValueError(f"unknown sign-in kind: {as_!r}")
    if next_path and next_path.startswith("/") and not next_path.startswith("//"):
        return backend_url(SIGN_IN, **{"as": as_, "next": next_path})
    return backend_url(SIGN_IN, **{"as": as_})


def sign_out_url() -> str:
    """Target of the sign-out form (POST)."""
    return backend_url(SIGN_OUT)


def auth_callback_url() -> str:
    """The OIDC redirect_uri: always on the backend."""
    return backend_url(AUTH_CALLBACK)


_PORTAL_NEXT_RE = re.compile(r"^/portal(?:/[A-Za-z0-9_-]+)*$")


def portal_next(value: object) -> str:
    """``value`` when it is a portal page's path to come back to after a contact signs in, else "".

    Only plain site-relative paths under ``/portal`` (letters, digits, ``-``, ``_`` segments: no scheme, host,
    ``//``, backslash, dots, query or fragment), never the sign-in page itself, at most 300 characters."""
    if not isinstance(value, str) or len(value) > 300 or not _PORTAL_NEXT_RE.match(value):
        return ""
    return "" if value == PORTAL_SIGN_IN else value


def portal_sign_in_url(next_path: str | None = None) -> str:
    """The portal's sign-in page, coming back to ``next_path`` (a portal page) once the contact is signed in."""
    target = portal_next(next_path)
    return url_for(PORTAL_SIGN_IN, next=target) if target and target != PORTAL else PORTAL_SIGN_IN


def invite_url(token: str) -> str:
    """The link in a member invitation e-mail (the token is only ever in this link)."""
    return backend_url(f"{INVITE}/{token}")


# -- Public pages (no sign-in, no workspace data) -------------------------------------------------------------

MODULE = "/customer-portal"
PREVIEW = "/preview"
RECORDS = "/customer-portal/records"
# The connected records previewed publicly, in the order the module page lists them.
RECORD_KINDS = ("estimates", "invoices", "statements", "document-requests", "messages", "deliveries")
# Served by the backend (portal_app/api/public.py).
SITEMAP = "/sitemap.xml"
ROBOTS = "/robots.txt"


def record_route(kind: str) -> str:
    """The public preview page of one connected record kind."""
    if kind not in RECORD_KINDS:
        raise ValueError(f"unknown record kind: {kind!r}")
    return f"{RECORDS}/{kind}"


def preview_url(step: str | None = None) -> str:
    """The workflow preview, optionally opened at a step (by its key, e.g. ``review``)."""
    return url_for(PREVIEW, step=step) if step else PREVIEW


# Every public page, and only those: the sitemap lists exactly these.
PUBLIC_ROUTES: tuple[str, ...] = (HOME, MODULE, PREVIEW, *(record_route(kind) for kind in RECORD_KINDS))
# Never in the sitemap, disallowed in robots.txt.
PRIVATE_PREFIXES = (STAFF, PORTAL, OPERATOR, "/auth", INVITE, DEV_IDP, "/dev", "/files", "/api", "/_upload")
