"""Periodic jobs run once per period across workers (a database lease per job), never once per worker.

Several "workers" are threads with connections of their own on a committed database (SQLite or, in CI, PostgreSQL),
all running the mail loop's ``periodic.run_due`` at the same moment: each job runs exactly once per period.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from models import AuthSession, JobLease, SessionKind, utcnow
from portal_app.services import periodic
from portal_app.services.periodic import Job, every
from tests.factories import make_tenant

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WORKERS = 8


def counting_jobs(ran: Counter[str], lock: threading.Lock, *, fail: str = "") -> tuple[Job, ...]:
    def job(name: str) -> Job:
        def run(session: Session, now: datetime) -> int:
            with lock:
                ran[name] += 1
            if name == fail:
                raise RuntimeError("the job's database went away")
            return 1

        return Job(name, run, every(timedelta(minutes=10)))

    return tuple(job(name) for name in ("mail-sweep", "digest", "reminders", "expiry", "purge"))


def run_workers(engine: sa.Engine, jobs: tuple[Job, ...], now: datetime) -> None:
    start = threading.Barrier(WORKERS)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with Session(engine) as session:
                start.wait()
                periodic.run_due(session, now=now, jobs=jobs)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors


def test_eight_workers_run_each_job_once_per_period(committed_engine: sa.Engine) -> None:
    ran: Counter[str] = Counter()
    jobs = counting_jobs(ran, threading.Lock())
    run_workers(committed_engine, jobs, NOW)
    assert ran == Counter({j.name: 1 for j in jobs})
    run_workers(committed_engine, jobs, NOW + timedelta(minutes=9))  # within the period: nobody runs them
    assert ran == Counter({j.name: 1 for j in jobs})
    run_workers(committed_engine, jobs, NOW + timedelta(minutes=10))  # the next period: once more each
    assert ran == Counter({j.name: 2 for j in jobs})
    with Session(committed_engine) as session:
        rows = session.exec(select(JobLease).where(JobLease.name.startswith("every:"))).all()  # type: ignore[attr-defined]
        assert {r.name for r in rows} == {f"every:{j.name}" for j in jobs}


def test_a_failed_run_gives_its_turn_back_and_the_next_round_retries(committed_engine: sa.Engine) -> None:
    ran: Counter[str] = Counter()
    jobs = counting_jobs(ran, threading.Lock(), fail="digest")
    run_workers(committed_engine, jobs, NOW)
    # The failing job was tried at least once (a worker that reaches it after a failure gives it back tries again);
    # the others ran once: the failure stopped nothing else.
    assert ran["digest"] >= 1 and all(ran[j.name] == 1 for j in jobs if j.name != "digest")
    with Session(committed_engine) as session:
        assert periodic.run_due(session, now=NOW + timedelta(seconds=5), jobs=jobs[2:]) == {}
        ran.clear()
        healed = counting_jobs(ran, threading.Lock())
        assert periodic.run_due(session, now=NOW + timedelta(seconds=5), jobs=healed) == {"digest": 1}


def test_the_real_jobs_run_once_and_do_their_work(committed_engine: sa.Engine) -> None:
    with Session(committed_engine, expire_on_commit=False) as session:
        t = make_tenant(session)
        stale = AuthSession(
            token_hash="x" * 64,
            kind=SessionKind.STAFF,
            user_id=t.owner.user_id,
            workspace_id=t.ws.id,
            created_at=utcnow() - timedelta(days=30),
            last_seen_at=utcnow() - timedelta(days=30),
            expires_at=utcnow() - timedelta(days=23),
        )
        session.add(stale)
        session.commit()
        now = utcnow().replace(hour=max(utcnow().hour, periodic.DIGEST_HOUR_UTC))
        first = periodic.run_due(session, now=now)
        assert set(first) == {job.name for job in periodic.JOBS}
        assert first["session-purge"] >= 1
        assert periodic.run_due(session, now=now + timedelta(seconds=5)) == {}  # another worker, same moment
        assert session.exec(select(AuthSession).where(AuthSession.token_hash == "x" * 64)).first() is None
