"""The database being unreachable fails closed with a user-safe error."""

import pytest
from sqlmodel import select

from models import Workspace
from portal_app import db
from portal_app.services.errors import Unavailable


def test_unreachable_database_raises_unavailable(monkeypatch):
    dead = db.make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 2})
    monkeypatch.setattr(db, "get_engine", lambda: dead)
    with pytest.raises(Unavailable) as err, db.session_scope() as session:
        session.exec(select(Workspace)).first()
    assert "temporarily unavailable" in err.value.message
    assert "127.0.0.1" not in err.value.message


# -- pooled connections on PostgreSQL: tested only after a rest ----------------------------------------------------

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@pytest.fixture
def pg_admin():
    import sqlalchemy as sa

    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        admin.connect().close()
    except sa.exc.OperationalError:
        admin.dispose()
        pytest.skip("PostgreSQL is not running at 127.0.0.1:5432 (CI runs it there)")
    yield admin
    admin.dispose()


def _pid(conn) -> int:
    import sqlalchemy as sa

    return int(conn.execute(sa.text("select pg_backend_pid()")).scalar_one())


def _kill(admin, pid: int) -> None:
    import sqlalchemy as sa

    with admin.connect() as c:
        assert c.execute(sa.text("select pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()


def _counting_pings(engine, monkeypatch) -> list[int]:
    pings: list[int] = []
    real = engine.dialect.do_ping

    def counted(dbapi_conn):
        pings.append(1)
        return real(dbapi_conn)

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return pings


def test_a_warm_pooled_connection_is_reused_without_a_ping(pg_admin, monkeypatch):
    engine = db.make_engine(PG_URL, ping_after=3600)
    pings = _counting_pings(engine, monkeypatch)
    try:
        pids = []
        for _ in range(5):
            with engine.connect() as conn:
                pids.append(_pid(conn))
        assert len(set(pids)) == 1, "the pool hands back the same connection"
        assert pings == [], "no round trip spent on a connection used a moment ago"
    finally:
        engine.dispose()


def test_a_rested_connection_the_server_dropped_is_replaced_before_use(pg_admin, monkeypatch):
    engine = db.make_engine(PG_URL, ping_after=0)
    pings = _counting_pings(engine, monkeypatch)
    try:
        with engine.connect() as conn:
            first = _pid(conn)
        _kill(pg_admin, first)  # e.g. the server restarted, or an idle timeout closed it
        with engine.connect() as conn:
            second = _pid(conn)  # no error reaches the caller
        assert second != first
        assert len(pings) == 1
    finally:
        engine.dispose()


def test_a_busy_connection_dropped_fails_one_request_and_the_next_reconnects(pg_admin, monkeypatch):
    import sqlalchemy as sa

    engine = db.make_engine(PG_URL, ping_after=3600)
    monkeypatch.setattr(db, "get_engine", lambda: engine)
    try:
        with engine.connect() as conn:
            first = _pid(conn)
        _kill(pg_admin, first)
        with pytest.raises(Unavailable) as err, db.session_scope() as session:  # the one request in flight
            session.execute(sa.text("select 1"))
        assert err.value.__cause__.connection_invalidated, (
            "the driver saw the connection gone, not another error"
        )
        with engine.connect() as conn:  # the pool was invalidated: a fresh connection, no error
            assert _pid(conn) != first
            assert conn.execute(sa.text("select 1")).scalar_one() == 1
    finally:
        engine.dispose()
