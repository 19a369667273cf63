"""The desktop app: its sign-in hand-off (RFC 8252) and the notification feed of its window.

Sign-in. The desktop window cannot sign in with Google inside its embedded web view, so the desktop app opens the
system browser with a loopback redirect URI (``http://127.0.0.1:<port>/callback`` or ``http://[::1]:<port>/callback``),
its ``state`` and a PKCE S256 challenge; the app keeps no secret of its own.

1. ``start_request``: the browser's pending request, keyed by a random request key that only the browser holds (an
   HttpOnly cookie); the browser then signs in as staff the usual way.
2. ``finish``: back in the same browser, signed in, and once the person confirmed (RFC 8252 8.6: a request
   someone else started never completes unattended; ``consent_token`` binds the confirmation form to the request
   and to who is signed in), the request becomes a one-time code (60 seconds, bound to the user, the workspace,
   the challenge and the redirect URI) sent to the loopback listener with the ``state``. ``cancel`` ends it
   instead; the listener then hears ``error=access_denied``.
3. ``redeem``: the desktop window trades the code and the PKCE verifier for a new staff session of its own (never
   the browser's). One conditional UPDATE spends the code, so of two concurrent redemptions one wins.

Only hashes of the request key and the code are stored; the verifier is never stored nor logged. Every refusal is
``DesktopRefused``: the user sees ``identity.SIGN_IN_REFUSED``, the reason (fixed text, no input) goes to the log.

Feed. ``activity`` lists the open follow-up tasks of the member's workspace that are new since a cursor and wait
for this member: assigned to them, or to their role's pool while nobody holds them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models import CustomerAccount, DesktopSignIn, FollowUpTask, SessionKind, User, utcnow
from portal_app.services import access, audit, identity, ratelimit, sessions, tokens
from portal_app.services.access import Actor, StaffActor, require_staff, scoped_select
from portal_app.services.claims import claim
from portal_app.services.errors import NotFound
from portal_app.services.permissions import Permission
from portal_app.services.sessions import IssuedSession
from portal_app.services.tasks import OPEN_STATUSES
from portal_app.settings import get_settings

log = logging.getLogger("portal.security")

REQUEST_TTL = timedelta(minutes=10)  # the browser's sign-in, from start to finish
CODE_TTL = timedelta(seconds=60)  # the one-time code, from finish to redemption
# Starts per client address, on the same budget as the browser's own sign-in starts.
START_RATE_WINDOW = identity.LOGIN_RATE_WINDOW
START_RATE_LIMIT = identity.LOGIN_RATE_LIMIT

# RFC 8252 7.3 and 8.3: a loopback IP literal (never "localhost"), any port above the privileged ones, one fixed
# path; no userinfo, query or fragment. Ports are written without leading zeros. Matched with ``fullmatch``: ``$``
# would let a trailing newline through.
_LOOPBACK_RE = re.compile(r"^http://(?:127\.0\.0\.1|\[::1\]):([1-9][0-9]{3,4})/callback$")
_STATE_RE = re.compile(r"^[A-Za-z0-9_-]{16,200}$")
_CHALLENGE_RE = re.compile(r"^[A-Za-z0-9_-]{43,128}$")  # base64url, no padding
_VERIFIER_RE = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")  # RFC 7636 4.1
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # tokens.new_token(): 32 random bytes, base64url
MIN_PORT, MAX_PORT = 1024, 65535


class DesktopRefused(NotFound):
    """A desktop sign-in step refused. ``reason`` is fixed text for the security log, never input or secrets."""

    def __init__(self, reason: str) -> None:
        super().__init__(identity.SIGN_IN_REFUSED)
        self.reason = reason


@dataclass(frozen=True)
class DesktopGrant:
    """Where the browser hands the code over: ``redirect_uri?code=…&state=…``."""

    redirect_uri: str
    state: str
    code: str  # the only copy; the table holds its hash


@dataclass(frozen=True)
class DesktopPending:
    """A pending request's way back to the desktop app: ``redirect_uri?…&state=…``."""

    redirect_uri: str
    state: str


s256 = tokens.pkce_challenge


def is_loopback_redirect(uri: str) -> bool:
    match = _LOOPBACK_RE.fullmatch(uri or "")
    return match is not None and MIN_PORT <= int(match.group(1)) <= MAX_PORT


def start_refusal(redirect_uri: str, state: str, code_challenge: str, code_challenge_method: str) -> str:
    """Why a start request is refused ("" when it is acceptable); fixed text, safe to log."""
    if not is_loopback_redirect(redirect_uri):
        return "redirect_uri is not a loopback callback"
    if not _STATE_RE.fullmatch(state or ""):
        return "missing or malformed state"
    if code_challenge_method != "S256":
        return "code_challenge_method is not S256"
    if not _CHALLENGE_RE.fullmatch(code_challenge or ""):
        return "missing or malformed code_challenge"
    return ""


def start_request(
    session: Session,
    *,
    redirect_uri: str,
    state: str,
    code_challenge: str,
    code_challenge_method: str,
    client: str = "",
) -> str:
    """Store a pending desktop sign-in; returns its request key (for the browser's cookie only).

    Raises ``DesktopRefused`` for anything but a loopback redirect URI, a well-formed state and an S256 challenge,
    and ``RateLimited`` after too many starts from one client address. Expired requests are dropped as we go.
    """
    reason = start_refusal(redirect_uri, state, code_challenge, code_challenge_method)
    if reason:
        raise DesktopRefused(reason)
    now = utcnow()
    ch = identity.client_hash(client)
    identity.limit_starts(
        session,
        DesktopSignIn,
        ch,
        since=now - START_RATE_WINDOW,
        limit=START_RATE_LIMIT,
        what="desktop sign-in",
    )
    key = tokens.new_token()
    session.add(
        DesktopSignIn(
            request_key_hash=tokens.hash_token(key),
            code_challenge=code_challenge,
            redirect_uri=redirect_uri,
            state=state,
            client_hash=ch,
            created_at=now,
            expires_at=now + REQUEST_TTL,
        )
    )
    _delete_expired(session, now)
    session.commit()
    return key


def _end_request(session: Session, request_key: str | None, now: datetime, **values: Any) -> DesktopSignIn:
    """Use up the browser's pending request exactly once (setting ``values`` too), committed; its row. Raises
    ``DesktopRefused`` for a missing, malformed, unknown, used or expired request."""
    if not request_key or not _SECRET_RE.fullmatch(request_key):
        raise DesktopRefused("no desktop request in this browser")
    row = _claim_one(
        session,
        col(DesktopSignIn.request_key_hash) == tokens.hash_token(request_key),
        col(DesktopSignIn.finished_at).is_(None),
        col(DesktopSignIn.expires_at) > now,
        finished_at=now,
        **values,
    )
    if row is None:
        raise DesktopRefused("unknown, used or expired desktop request")
    session.commit()
    return row


def _claim_one(session: Session, match: Any, *still_open: Any, **values: Any) -> DesktopSignIn | None:
    """Set ``values`` on the row that ``match`` names while ``still_open`` holds, exactly once across concurrent
    callers (``claims.claim``); the row as it is now, or None when it was not there to take."""
    if not claim(session, DesktopSignIn, match, *still_open, **values):
        return None
    return session.exec(select(DesktopSignIn).where(match)).one()


def finish(
    session: Session, request_key: str | None, *, user_id: int, workspace_id: int | None
) -> DesktopGrant:
    """Turn the browser's pending request into a one-time code for ``user_id`` (and the workspace the desktop
    session opens in; None: onboarding). The request is used up; the code lives ``CODE_TTL``.

    ``user_id`` and ``workspace_id`` come from the browser's resolved staff session, never from input. Raises
    ``DesktopRefused`` for an unknown, used or expired request.
    """
    now = utcnow()
    code = tokens.new_token()
    row = _end_request(
        session,
        request_key,
        now,
        user_id=user_id,
        workspace_id=workspace_id,
        code_hash=tokens.hash_token(code),
        code_expires_at=now + CODE_TTL,
    )
    log.info("desktop sign-in code issued", extra={"user_id": user_id})
    return DesktopGrant(redirect_uri=row.redirect_uri, state=row.state, code=code)


def pending(session: Session, request_key: str | None) -> DesktopPending:
    """The browser's request while it can still be finished (or cancelled); nothing changes.

    Raises ``DesktopRefused`` for an unknown, used or expired request.
    """
    if not request_key or not _SECRET_RE.fullmatch(request_key):
        raise DesktopRefused("no desktop request in this browser")
    row = session.exec(
        select(DesktopSignIn).where(
            DesktopSignIn.request_key_hash == tokens.hash_token(request_key),
            col(DesktopSignIn.finished_at).is_(None),
            col(DesktopSignIn.expires_at) > utcnow(),
        )
    ).first()
    if row is None:
        raise DesktopRefused("unknown, used or expired desktop request")
    return DesktopPending(redirect_uri=row.redirect_uri, state=row.state)


def cancel(session: Session, request_key: str | None) -> DesktopPending:
    """The person said no in the browser: the request is used up without a code. Returns where to tell the
    desktop app (``error=access_denied``). Raises ``DesktopRefused`` for an unknown, used or expired request."""
    row = _end_request(session, request_key, utcnow())
    log.info("desktop sign-in cancelled in the browser")
    return DesktopPending(redirect_uri=row.redirect_uri, state=row.state)


def consent_token(request_key: str, *, user_id: int, workspace_id: int | None) -> str:
    """The confirmation form's token: HMAC-SHA256 under the session secret of the request key (which only this
    browser's HttpOnly cookie holds) and of who is signed in. Nothing is stored; a form shown for one person, or
    for one request, does not confirm another. (A form shown while the secret is rotated fails once.)"""
    key = get_settings().session_secret.get_secret_value().encode()
    message = f"desktop-consent\0{request_key}\0{user_id}\0{workspace_id or ''}".encode()
    return base64.urlsafe_b64encode(hmac.new(key, message, hashlib.sha256).digest()).rstrip(b"=").decode()


def consent_matches(token: str | None, request_key: str, *, user_id: int, workspace_id: int | None) -> bool:
    """Whether ``token`` is this request's and this person's confirmation token (compared in constant time)."""
    if not token or not _SECRET_RE.fullmatch(token):
        return False
    expected = consent_token(request_key, user_id=user_id, workspace_id=workspace_id)
    return hmac.compare_digest(token.encode("ascii"), expected.encode("ascii"))


def redeem(
    session: Session,
    code: str | None,
    code_verifier: str | None,
    *,
    replace_token: str | None = None,
    client: str | None = None,
) -> IssuedSession:
    """Trade a one-time code and its PKCE verifier for a new staff session (the caller sets the cookie).

    The code works once, within ``CODE_TTL``, and only with the verifier whose S256 is the stored challenge; a
    wrong verifier spends the code too (it was intercepted, or the app is confused: either way start again). The
    session is a fresh one for the code's user, in its workspace while they are still a member there (else none:
    onboarding); any session behind ``replace_token`` (the window's previous cookie) ends. Raises
    ``DesktopRefused``, or ``RateLimited`` past the per-client redemption budget shared with sign-in links.
    """
    ratelimit.check_redemption(client)
    if not code or not _SECRET_RE.fullmatch(code):
        raise DesktopRefused("malformed code")
    if not code_verifier or not _VERIFIER_RE.fullmatch(code_verifier):
        raise DesktopRefused("malformed code_verifier")
    now = utcnow()
    row = _claim_one(
        session,
        col(DesktopSignIn.code_hash) == tokens.hash_token(code),
        col(DesktopSignIn.redeemed_at).is_(None),
        col(DesktopSignIn.code_expires_at) > now,
        redeemed_at=now,
    )
    if row is None:
        raise DesktopRefused("unknown, replayed or expired code")
    if not hmac.compare_digest(s256(code_verifier).encode("ascii"), row.code_challenge.encode("ascii")):
        session.commit()  # the code stays spent
        raise DesktopRefused("code_verifier does not match the challenge")
    user_id = row.user_id
    if user_id is None or session.get(User, user_id) is None:
        session.commit()
        raise DesktopRefused("code without a user")
    workspace_id = row.workspace_id
    if workspace_id is not None:
        try:
            access.resolve_staff(session, user_id=user_id, workspace_id=workspace_id)
        except NotFound:
            workspace_id = None  # removed or suspended since: signed in, nothing to act on yet
    issued = sessions.create_session(
        session,
        kind=SessionKind.STAFF,
        user_id=user_id,
        workspace_id=workspace_id,
        replace_token=replace_token,
    )
    if workspace_id is not None:
        audit.append_event(
            session,
            workspace_id=workspace_id,
            actor=None,
            actor_override=("staff", user_id),
            action="auth.signed_in",
            target_type="user",
            target_id=user_id,
            data={"via": "desktop"},
        )
    session.commit()
    log.info("desktop sign-in completed", extra={"user_id": user_id})
    return issued


def _delete_expired(session: Session, now: datetime) -> int:
    """Rows whose request and code have both expired (the caller commits)."""
    result = session.execute(  # type: ignore[deprecated]
        sa.delete(DesktopSignIn).where(
            col(DesktopSignIn.expires_at) <= now,
            sa.or_(col(DesktopSignIn.code_expires_at).is_(None), col(DesktopSignIn.code_expires_at) <= now),
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def purge_expired(session: Session, *, now: datetime | None = None) -> int:
    """Delete desktop sign-ins that can no longer be finished nor redeemed; returns how many."""
    count = _delete_expired(session, now or utcnow())
    session.commit()
    return count


# --- the desktop window's notification feed ----------------------------------------------------------------------

ACTIVITY_LIMIT = 20
CUSTOMER_ACTION = "customer_action"
TASK_ASSIGNED = "task_assigned"
_BODY_MAX = 300


@dataclass(frozen=True)
class ActivityItem:
    task_id: int
    kind: str  # CUSTOMER_ACTION (a contact's action opened it) or TASK_ASSIGNED
    title: str  # plain text: shown in an OS notification
    body: str


@dataclass(frozen=True)
class ActivityFeed:
    cursor: int  # the last task id seen; the next call asks for what came after it
    items: list[ActivityItem]


def _plain(text: str) -> str:
    """One line of plain text (no control characters): it ends up in an OS notification."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def _waiting_for(staff: StaffActor) -> sa.ColumnElement[bool]:
    """Tasks waiting for this member: assigned to them, or in their role's pool while nobody holds them."""
    return sa.or_(
        col(FollowUpTask.assignee_user_id) == staff.user_id,
        sa.and_(col(FollowUpTask.assignee_user_id).is_(None), col(FollowUpTask.assignee_role) == staff.role),
    )


def activity(session: Session, actor: Actor, *, after: int | None) -> ActivityFeed:
    """What is new for the member since ``after`` (a cursor this function returned), oldest first, at most
    ``ACTIVITY_LIMIT``: open follow-up tasks of their workspace created after it, waiting for them.

    Without ``after`` only the cursor comes back (the newest task of the workspace), so opening the window does not
    replay history. Scoped to the staff member's workspace (``tasks:read``); contacts and operators get
    ``NotFound``. Tasks are taken in id order: each poll sees each task at most once.
    """
    staff = require_staff(actor, Permission.TASKS_READ)
    tasks = scoped_select(staff, FollowUpTask)
    newest = int(session.scalar(tasks.with_only_columns(sa.func.max(FollowUpTask.id))) or 0)
    if after is None:
        return ActivityFeed(cursor=newest, items=[])
    # Bounded above by ``newest`` as read first: a task added meanwhile is left for the next poll, never skipped.
    rows = session.exec(
        tasks.where(
            col(FollowUpTask.id) > after,
            col(FollowUpTask.id) <= newest,
            col(FollowUpTask.status).in_(OPEN_STATUSES),
            _waiting_for(staff),
        )
        .order_by(col(FollowUpTask.id))
        .limit(ACTIVITY_LIMIT)
    ).all()
    account_ids = {t.account_id for t in rows if t.account_id}
    accounts = (
        {
            a.id: a.name
            for a in session.exec(
                scoped_select(staff, CustomerAccount).where(col(CustomerAccount.id).in_(account_ids))
            )
        }
        if account_ids
        else {}
    )
    items = []
    for task in rows:
        assert task.id is not None
        if task.created_by_contact_id is not None:
            kind, title = CUSTOMER_ACTION, "New follow-up task"
        elif task.assignee_user_id == staff.user_id:
            kind, title = TASK_ASSIGNED, "Task assigned to you"
        else:
            kind, title = TASK_ASSIGNED, "New task for your team"
        parts = [_plain(task.title), _plain(accounts.get(task.account_id, "") if task.account_id else "")]
        items.append(
            ActivityItem(
                task_id=task.id, kind=kind, title=title, body=" · ".join(p for p in parts if p)[:_BODY_MAX]
            )
        )
    cursor = items[-1].task_id if len(items) == ACTIVITY_LIMIT else newest
    return ActivityFeed(cursor=cursor, items=items)
