"""Engine and session factory, created lazily so importing the app never touches the database."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from functools import lru_cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from portal_app.services.errors import Unavailable
from portal_app.settings import get_settings


def _configure_sqlite(engine: Engine) -> None:
    """Make SQLite behave for concurrent writers.

    pysqlite's default deferred BEGIN lets two writers both read, then one fails to upgrade its lock. Taking the
    write lock at BEGIN (``BEGIN IMMEDIATE``) makes writers queue instead, which is what lets state machines and
    the seat limit stay correct under concurrency. Foreign keys are off in SQLite unless asked for.
    """

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        if engine.url.database not in (None, "", ":memory:"):
            cur.execute("PRAGMA journal_mode=WAL")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


PING_AFTER_IDLE = 10.0  # seconds a pooled connection may rest before it is tested on checkout


def make_engine(url: str, *, ping_after: float = PING_AFTER_IDLE, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        database = sa.engine.make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True, **kwargs
        )
        _configure_sqlite(engine)
        return engine
    # Bound parameters carry queued mails' sign-in links and the pending logins' nonces: never in logs or errors.
    engine = sa.create_engine(url, hide_parameters=True, **kwargs)
    _ping_when_idle(engine, ping_after)
    return engine


def _ping_when_idle(engine: Engine, ping_after: float) -> None:
    """Test a pooled connection on checkout only when it has rested ``ping_after`` seconds or more.

    ``pool_pre_ping`` pings on every checkout: one more round trip per page load and per event (0.2-0.3 ms on
    loopback, a tenth of a portal page). A connection that was in use a moment ago is alive unless the server went
    away in that moment; then its statement fails with a disconnect, SQLAlchemy invalidates the whole pool, and the
    next checkout connects afresh, so one request sees ``Unavailable`` and none after it. A rested connection (the
    server may have restarted or dropped it meanwhile) is pinged first and, if dead, replaced before use.
    """

    @sa.event.listens_for(engine, "checkin")
    def _rested_from(_dbapi_conn: Any, record: Any) -> None:
        record.info["checked_in"] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def _ping(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("checked_in")
        if since is None or time.monotonic() - since < ping_after:
            return  # new (just connected) or rested too briefly to have been dropped unnoticed
        try:
            alive = engine.dialect.do_ping(dbapi_conn)
        except Exception as err:  # any failure: this connection is not to be used
            raise sa.exc.DisconnectionError("pooled connection failed its ping") from err
        if not alive:
            raise sa.exc.DisconnectionError("pooled connection failed its ping")


@lru_cache(maxsize=1)
def get_engine() -> Engine:
    return make_engine(get_settings().database_url)


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session for one unit of work; services commit, this rolls back whatever was left open.

    A database that cannot be reached fails closed as ``Unavailable`` (a user-safe domain error), so callers
    refuse access with a generic message instead of crashing.
    """
    with Session(get_engine(), expire_on_commit=False) as session:
        try:
            yield session
        except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
            with suppress(Exception):
                session.rollback()
            raise Unavailable() from exc
        except Exception:
            session.rollback()
            raise
