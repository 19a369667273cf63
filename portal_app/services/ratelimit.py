"""Limits on redeeming links: per client in memory, per token in the token's own row.

Per client: sliding-window counters kept in memory, per process (each worker counts its own), bounded in size,
never holding a raw address. Limits that protect a mailbox or a workspace are counted in the database by the
services that own them; these slow down one client.

Per token: every refused redemption of a known token (used, revoked, expired, wrong email, portal closed) bumps
the row's ``refusals``. Only the first ``TOKEN_REFUSALS_AUDITED`` refusals write an audit event (which locks the
workspace); later ones are logged only, and once a dead token has used up that allowance a replay writes nothing
and locks nothing. A token still usable in itself is given up after ``TOKEN_REFUSALS_MAX`` refusals.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import deque
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models import ContactInvitation, MagicLink, MemberInvitation
from portal_app.services import audit
from portal_app.services.access import lock_workspace
from portal_app.services.errors import RateLimited

log = logging.getLogger("portal.security")

# Redeeming sign-in links and invitations (contact magic links, contact and member invitations), per client.
REDEEM_WINDOW = timedelta(minutes=10)
REDEEMS_PER_CLIENT = 30  # per REDEEM_WINDOW; a person needs a handful, a replaying script hits it at once
TOKEN_REFUSALS_AUDITED = 3  # audit events per token; later refusals are only logged
TOKEN_REFUSALS_MAX = 10  # refusals after which a still-valid token stops working (ask for a new link)
REDEEM_LIMITED = "Too many sign-in attempts came from your network. Please wait a few minutes and try again."

TokenRow = ContactInvitation | MagicLink | MemberInvitation


class ClientRateLimiter:
    """A sliding-window counter per hashed client address."""

    def __init__(
        self, limit: int, window_seconds: float, max_clients: int = 10_000, *, name: str = "magic-client"
    ) -> None:
        self.limit = limit
        self.window = window_seconds
        self.max_clients = max_clients
        self.name = name
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str) -> bool:
        key = hashlib.sha256(f"{self.name}:{client}".encode()).hexdigest()
        now = time.monotonic()
        with self._lock:
            hits = self._hits.get(key)
            if hits is None:
                if len(self._hits) >= self.max_clients:
                    self._evict(now)
                hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            return True

    def _evict(self, now: float) -> None:
        for key in [k for k, v in self._hits.items() if not v or v[-1] <= now - self.window]:
            del self._hits[key]
        if len(self._hits) >= self.max_clients:  # still full of live clients: forget the oldest half
            for key in list(self._hits)[: self.max_clients // 2]:
                del self._hits[key]

    def clear(self) -> None:
        with self._lock:
            self._hits.clear()


# One budget for every kind of link a client redeems, so switching kinds does not multiply it.
redemptions = ClientRateLimiter(REDEEMS_PER_CLIENT, REDEEM_WINDOW.total_seconds(), name="link-redeem")


def check_redemption(client: str | None) -> None:
    """Count one redemption attempt for ``client``; ``RateLimited`` past the budget. ``None``: not an HTTP caller."""
    if client is None:
        return
    if not redemptions.allow(client):
        log.warning("link redemption rate limited (client)")
        raise RateLimited(REDEEM_LIMITED)


def note_refusal(
    session: Session,
    row: TokenRow,
    *,
    dead: bool,
    action: str,
    target_type: str,
    actor_override: tuple[str, int | None],
    data: dict[str, Any],
) -> None:
    """Count a refused redemption of ``row`` and audit it while under the allowance; commits.

    The caller has rolled back whatever it tried. ``dead``: the token can never succeed again (used, revoked,
    expired), so it is counted only up to the audit allowance. Lock order is the workspace first, then the token
    row, as invitations and audit appends take them.
    """
    model = type(row)
    cap = TOKEN_REFUSALS_AUDITED if dead else TOKEN_REFUSALS_MAX
    if row.refusals >= cap:
        session.rollback()
        return
    if row.refusals < TOKEN_REFUSALS_AUDITED:
        lock_workspace(session, row.workspace_id)
    changed = session.execute(  # type: ignore[deprecated]
        sa.update(model)
        .where(col(model.id) == row.id, col(model.refusals) < cap)
        .values(refusals=col(model.refusals) + 1)
        .execution_options(synchronize_session=False)
    )
    session.expire(row, ["refusals"])
    if changed.rowcount == 1:  # type: ignore[attr-defined]
        count = session.scalar(select(model.refusals).where(col(model.id) == row.id))
        if count is not None and count <= TOKEN_REFUSALS_AUDITED:
            audit.append_event(
                session,
                workspace_id=row.workspace_id,
                actor=None,
                actor_override=actor_override,
                action=action,
                target_type=target_type,
                target_id=row.id,
                data=data,
            )
    session.commit()
