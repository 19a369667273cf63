"""Database leases: how work that every worker's loop offers to do runs once across workers.

Each lease is one ``job_lease`` row (name, holder, expires_at). ``acquire`` takes it with one conditional UPDATE
(free when expired, or already this holder's: a renewal), creating the row the first time; the database decides
who wins, so two workers, two hosts or two threads never both hold it. ``take_turn`` is the periodic form: the
winner holds the row until the job is next due and never releases it, so the job runs once per period whichever
worker asks first; a failed run gives its turn back (``release``) and the next round tries again.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from models import JobLease


def holder() -> str:
    """A name no other worker, thread or call shares (host, process, thread, random)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{threading.get_ident()}:{uuid.uuid4().hex[:12]}"


def acquire(session: Session, name: str, who: str, *, until: datetime, now: datetime) -> bool:
    """Take (or renew) lease ``name`` for ``who`` until ``until``; False while another holder's is live. Commits."""
    result = session.execute(  # type: ignore[deprecated]
        sa.update(JobLease)
        .where(
            col(JobLease.name) == name,
            sa.or_(col(JobLease.expires_at) <= now, col(JobLease.holder) == who),
        )
        .values(holder=who, expires_at=until)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:  # type: ignore[attr-defined]
        session.commit()
        return True
    if session.get(JobLease, name) is not None:
        session.commit()
        return False
    try:
        with session.begin_nested():
            session.add(JobLease(name=name, holder=who, expires_at=until))
            session.flush()
    except IntegrityError:  # another worker created it first
        session.commit()
        return False
    session.commit()
    return True


def release(session: Session, name: str, who: str, *, now: datetime) -> None:
    """Give lease ``name`` back (only ``who``'s own): it is free from ``now``. Commits."""
    session.execute(  # type: ignore[deprecated]
        sa.update(JobLease)
        .where(col(JobLease.name) == name, col(JobLease.holder) == who)
        .values(expires_at=now)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def take_turn(session: Session, name: str, *, until: datetime, now: datetime) -> str | None:
    """This round's turn at periodic job ``name``, held until ``until`` (when it is next due): the holder name to
    give it back with after a failed run, or None when another worker has taken this period's turn."""
    who = holder()
    return who if acquire(session, name, who, until=until, now=now) else None
