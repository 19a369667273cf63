"""The periodic jobs, run once per period across every worker (``leases.take_turn``), never once per worker.

Every worker's mail loop calls ``run_due`` each round (a few seconds apart). For each job whose period has come,
the first worker to ask takes the turn with one conditional UPDATE on the job's ``job_lease`` row and runs it; the
others see the turn taken and skip it. A run that fails gives its turn back, so the next round (on any worker)
retries; an error is logged by kind only and never stops the other jobs or the mail from going out.

Each job is also safe to run twice on its own (conditional updates, per-(member, day) and per-(contact, day)
markers): the lease is what keeps N workers from doing N times the work, not what keeps it correct.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlmodel import Session

from models import utcnow
from portal_app.services import leases

log = logging.getLogger("portal.jobs")

# The daily digest (notify.daily_digests) is queued from this hour (UTC) each day.
DIGEST_HOUR_UTC = 6


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[Session, datetime], int]
    next_due: Callable[[datetime], datetime]  # after a run at ``now``, when the job is next due
    ready: Callable[[datetime], bool] = lambda now: True  # not before (e.g. the digest's hour)


def every(period: timedelta) -> Callable[[datetime], datetime]:
    return lambda now: now + period


def _next_digest(now: datetime) -> datetime:
    """Tomorrow at ``DIGEST_HOUR_UTC``: one digest round per day."""
    return datetime.combine(now.date() + timedelta(days=1), time(DIGEST_HOUR_UTC), tzinfo=now.tzinfo)


def _expired_links(session: Session, now: datetime) -> int:
    from portal_app.services.mailer import sweep_expired_links

    return sweep_expired_links(session, now=now)


def _digest(session: Session, now: datetime) -> int:
    from portal_app.services import notify

    return notify.daily_digests(session, today=now.date())


def _reminders(session: Session, now: datetime) -> int:
    from portal_app.services import reminders

    return reminders.sweep(session, now=now)


def _estimate_expiry(session: Session, now: datetime) -> int:
    from portal_app.services import estimates

    return estimates.expire_estimates(session, on=now.date())


def _session_purge(session: Session, now: datetime) -> int:
    from portal_app.services import desktop_signin, sessions

    # Expired sessions, and desktop sign-ins that can no longer be finished nor redeemed.
    return sessions.purge_expired(session) + desktop_signin.purge_expired(session, now=now)


REMINDER_INTERVAL = timedelta(minutes=10)

JOBS: tuple[Job, ...] = (
    # Links in stored mails are blanked soon after they expire.
    Job("expired-links", _expired_links, every(timedelta(minutes=1))),
    Job("daily-digest", _digest, _next_digest, ready=lambda now: now.hour >= DIGEST_HOUR_UTC),
    # The sweep also takes its own running lease (reminders.LEASE_NAME) while it works through the workspaces.
    Job("reminders", _reminders, every(REMINDER_INTERVAL)),
    Job("estimate-expiry", _estimate_expiry, every(timedelta(minutes=15))),
    Job("session-purge", _session_purge, every(timedelta(hours=1))),
)


def lease_name(job: Job) -> str:
    return f"every:{job.name}"


def run_due(session: Session, *, now: datetime | None = None, jobs: tuple[Job, ...] = JOBS) -> dict[str, int]:
    """Run each job whose period has come and whose turn this worker won; returns {job name: its count}."""
    now = now or utcnow()
    done: dict[str, int] = {}
    for job in jobs:
        if not job.ready(now):
            continue
        try:
            turn = leases.take_turn(session, lease_name(job), until=job.next_due(now), now=now)
        except Exception as exc:  # noqa: BLE001  database trouble: every job waits for the next round
            session.rollback()
            log.error("periodic jobs: could not take a turn: %s", type(exc).__name__)
            return done
        if turn is None:
            continue
        try:
            done[job.name] = job.run(session, now)
        except Exception as exc:  # noqa: BLE001  one job's failure must not stop the others or the mail
            session.rollback()
            log.error("periodic job %s failed: %s", job.name, type(exc).__name__)
            try:
                leases.release(session, lease_name(job), turn, now=now)  # the next round retries
            except Exception:  # noqa: BLE001
                session.rollback()
    return done
