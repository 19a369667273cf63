"""Limits on redeeming links: per client (shared across workers through Redis when configured), per token in the
token's own row.

Per client: sliding-window counters keyed by a hash of the client address (never the raw address). With
``settings.redis_url`` (``PORTAL_REDIS_URL`` or Reflex's ``REFLEX_REDIS_URL``) every worker counts in one Redis
sorted set per client, updated by one atomic script on Redis's own clock, so N workers do not multiply a limit by
N. Without Redis (one worker) or while Redis does not answer, each process counts in its memory, bounded in size.
Limits that protect a mailbox or a workspace are counted in the database by the services that own them; these slow
down one client.

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
import uuid
from collections import deque
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models import ContactInvitation, MagicLink, MemberInvitation
from portal_app.services import audit
from portal_app.services.access import lock_workspace
from portal_app.services.errors import RateLimited
from portal_app.settings import get_settings

log = logging.getLogger("portal.security")

# Redeeming sign-in links and invitations (contact magic links, contact and member invitations), per client.
REDEEM_WINDOW = timedelta(minutes=10)
REDEEMS_PER_CLIENT = 30  # per REDEEM_WINDOW; a person needs a handful, a replaying script hits it at once
TOKEN_REFUSALS_AUDITED = 3  # audit events per token; later refusals are only logged
TOKEN_REFUSALS_MAX = 10  # refusals after which a still-valid token stops working (ask for a new link)
REDEEM_LIMITED = "Too many sign-in attempts came from your network. Please wait a few minutes and try again."

TokenRow = ContactInvitation | MagicLink | MemberInvitation


# Drop hits older than the window, refuse at the limit, else record this hit; on Redis's clock, atomically.
_SLIDING_WINDOW = """
local now = redis.call('TIME')
local t = tonumber(now[1]) * 1000000 + tonumber(now[2])
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', t - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], t, ARGV[3])
redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000))
return 1
"""
REDIS_PREFIX = "portal:rate:"


class _Redis:
    """One Redis connection pool per process and URL, with a short timeout; None after a failure, for a while."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: dict[str, Any] = {}
        self._down_until = 0.0

    def client(self, url: str) -> Any | None:
        if not url or time.monotonic() < self._down_until:
            return None
        with self._lock:
            if url not in self._clients:
                import redis

                self._clients[url] = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
            return self._clients[url]

    def failed(self, exc: Exception) -> None:
        if time.monotonic() >= self._down_until:
            log.error("rate limits fall back to this worker's memory: Redis failed (%s)", type(exc).__name__)
        self._down_until = time.monotonic() + 30.0


_redis = _Redis()


class ClientRateLimiter:
    """A sliding-window counter per hashed client address: in Redis when configured (shared by every worker),
    otherwise (or while Redis fails) in this process's memory."""

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
        shared = _redis.client(get_settings().redis_url)
        if shared is not None:
            try:
                return bool(
                    shared.eval(
                        _SLIDING_WINDOW,
                        1,
                        f"{REDIS_PREFIX}{self.name}:{key}",
                        int(self.window * 1_000_000),
                        self.limit,
                        uuid.uuid4().hex,
                    )
                )
            except Exception as exc:  # noqa: BLE001  Redis down or slow: this worker's own count still limits
                _redis.failed(exc)
        return self._allow_here(key)

    def _allow_here(self, key: str) -> bool:
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
        """Forget every count of this limiter (tests; an operator after an incident), here and in Redis."""
        with self._lock:
            self._hits.clear()
        shared = _redis.client(get_settings().redis_url)
        if shared is not None:
            try:
                keys = list(shared.scan_iter(match=f"{REDIS_PREFIX}{self.name}:*", count=500))
                if keys:
                    shared.delete(*keys)
            except Exception as exc:  # noqa: BLE001
                _redis.failed(exc)


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
