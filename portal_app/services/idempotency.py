"""Customer actions as one transaction each, retried safely with an idempotency key.

``run_customer_action`` performs the work (record + follow-up task + audit event, added to the session by the
caller's ``perform``), stores the key with the result id and commits once. A retry with the same key, or a
concurrent duplicate that lost the race, gets the first result and creates nothing.

A key belongs to one action on one record: the record the action is taken on (``target``, e.g. the estimate
being approved or the document request being answered) is stored with the key. The same key sent again for
another record, or for another action, is refused with ``Conflict`` instead of replaying the first result and
silently leaving the second record untouched.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import IdempotencyKey, utcnow
from portal_app.services.access import ContactActor, StaffActor
from portal_app.services.errors import Conflict, DomainError, RateLimited, ValidationFailed

R = TypeVar("R")

# Every customer action (message, approval, upload) passes here, so this is where they are rate-limited:
# per actor and per workspace, over a sliding window, counted from the actions' own idempotency rows.
RATE_WINDOW = timedelta(minutes=10)
ACTOR_LIMIT = 60
WORKSPACE_LIMIT = 600
_KEY_RE = re.compile(r"^[A-Za-z0-9_.:-]{8,100}$")
OTHER_RECORD = (
    "This request was already used for another record, so nothing was done here. Please reload the page and "
    "try again."
)


def _scope(actor: ContactActor | StaffActor) -> str:
    if isinstance(actor, ContactActor):
        return f"contact:{actor.contact_id}:{actor.account_id}"
    return f"staff:{actor.user_id}:{actor.workspace_id}"


def _find(session: Session, scope: str, key: str) -> IdempotencyKey | None:
    return session.exec(
        select(IdempotencyKey).where(IdempotencyKey.scope == scope, IdempotencyKey.key == key)
    ).first()


def run_customer_action(
    session: Session,
    actor: ContactActor | StaffActor,
    *,
    idempotency_key: str,
    action: str,
    target: tuple[str, int] | None = None,
    perform: Callable[[], tuple[str, int]],
    present: Callable[[int], R],
) -> R:
    """Run ``perform`` once per (actor, key); return ``present(result_id)`` for the first and every retry.

    ``target`` is the record acted on, as (kind, id); a key already stored for another target or action raises
    ``Conflict`` (nothing is performed). Actions whose ``action`` string already names the record may omit it.
    """
    if not _KEY_RE.match(idempotency_key or ""):
        raise ValidationFailed("The request is missing a valid idempotency key. Please reload and try again.")
    scope = _scope(actor)
    fingerprint = f"{target[0]}:{int(target[1])}"[:60] if target is not None else ""

    def replay(existing: IdempotencyKey) -> R:
        if existing.action != action or existing.result_id is None:
            raise Conflict("This request was already used for a different action.")
        if existing.target != fingerprint:
            logging.getLogger("portal.security").warning(
                "idempotency key reused on another record", extra={"scope": scope, "action": action}
            )
            raise Conflict(OTHER_RECORD)
        return present(existing.result_id)

    existing = _find(session, scope, idempotency_key)
    if existing is not None:
        return replay(existing)
    _check_rate(session, scope, actor.workspace_id)
    try:
        result_type, result_id = perform()
        session.add(
            IdempotencyKey(
                workspace_id=actor.workspace_id,
                scope=scope,
                key=idempotency_key,
                action=action,
                target=fingerprint,
                result_type=result_type,
                result_id=result_id,
            )
        )
        session.commit()
    except (DomainError, IntegrityError) as exc:
        session.rollback()
        # A concurrent request with the same key may have won: answer with its result.
        existing = _find(session, scope, idempotency_key)
        if existing is not None:
            return replay(existing)
        if isinstance(exc, IntegrityError):
            raise Conflict("That action was just taken by someone else. Please reload.") from exc
        raise
    except BaseException:
        session.rollback()
        raise
    return present(result_id)


def _check_rate(session: Session, scope: str, workspace_id: int) -> None:
    since = utcnow() - RATE_WINDOW
    mine = session.scalar(
        select(sa.func.count()).where(IdempotencyKey.scope == scope, col(IdempotencyKey.created_at) > since)
    )
    if (mine or 0) >= ACTOR_LIMIT:
        logging.getLogger("portal.security").warning("customer actions rate limited", extra={"scope": scope})
        raise RateLimited()
    everyone = session.scalar(
        select(sa.func.count()).where(
            IdempotencyKey.workspace_id == workspace_id, col(IdempotencyKey.created_at) > since
        )
    )
    if (everyone or 0) >= WORKSPACE_LIMIT:
        logging.getLogger("portal.security").warning(
            "workspace customer actions rate limited", extra={"workspace_id": workspace_id}
        )
        raise RateLimited()
