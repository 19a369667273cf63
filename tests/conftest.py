"""Test database and settings.

SQLite by default; PostgreSQL when ``PORTAL_TEST_DATABASE_URL`` is set. The schema is built by the real alembic
migrations once per run. Each test runs in a transaction rolled back at the end (services' commits become
savepoints), except tests that ask for ``committed_engine``, which commit for real and are cleaned afterwards.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

_TMP = Path(tempfile.mkdtemp(prefix="portal-tests-"))
TEST_DATABASE_URL = os.environ.get("PORTAL_TEST_DATABASE_URL") or f"sqlite:///{_TMP / 'test.db'}"
os.environ["PORTAL_ENV"] = "test"
os.environ["PORTAL_DATABASE_URL"] = TEST_DATABASE_URL
os.environ["PORTAL_STORAGE_DIR"] = str(_TMP / "private")
os.environ.setdefault("REFLEX_TELEMETRY_ENABLED", "false")
os.environ.setdefault("REFLEX_CHECK_LATEST_VERSION", "0")

import sqlalchemy as sa  # noqa: E402
from sqlmodel import Session, SQLModel  # noqa: E402

import models  # noqa: E402,F401
from portal_app.db import make_engine  # noqa: E402
from portal_app.settings import get_settings  # noqa: E402

get_settings.cache_clear()


def _reset_schema(engine: sa.Engine) -> None:
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")


def _migrate(engine: sa.Engine) -> None:
    from alembic.config import Config

    from alembic import command

    cfg = Config(str(Path(__file__).resolve().parent.parent / "alembic.ini"))
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        conn.commit()


@pytest.fixture(scope="session")
def engine() -> Iterator[sa.Engine]:
    eng = make_engine(TEST_DATABASE_URL)
    _reset_schema(eng)
    _migrate(eng)
    yield eng
    eng.dispose()


@pytest.fixture()
def session(engine: sa.Engine) -> Iterator[Session]:
    conn = engine.connect()
    outer = conn.begin()
    db = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield db
    finally:
        db.close()
        outer.rollback()
        conn.close()


def _wipe(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        for table in reversed(SQLModel.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture()
def committed_engine(engine: sa.Engine) -> Iterator[sa.Engine]:
    """For tests that need several real connections (concurrency): data is committed, then wiped."""
    _wipe(engine)
    yield engine
    _wipe(engine)


@pytest.fixture()
def storage_dir() -> Path:
    path = get_settings().storage_dir
    path.mkdir(parents=True, exist_ok=True)
    return path
