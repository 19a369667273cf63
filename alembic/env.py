"""Alembic environment: migrates the database named by the settings (or by the connection handed in)."""

from alembic import context
from sqlmodel import SQLModel

import models  # noqa: F401  registers every table
from models.base import UTCDateTime
from portal_app.db import make_engine
from portal_app.settings import get_settings

target_metadata = SQLModel.metadata


def _render_item(type_, obj, autogen_context):  # type: ignore[no-untyped-def]
    # Migrations stay independent of application code: UTCDateTime is a plain DATETIME column in the schema.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


def run_migrations_offline() -> None:
    context.configure(
        url=get_settings().database_url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(get_settings().database_url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _sqlite_foreign_keys(connection, on: bool) -> None:  # type: ignore[no-untyped-def]
    """SQLite rebuilds a table to add a foreign key (batch mode: copy, drop, rename); with foreign keys enforced,
    dropping a table that others reference fails. The pragma only works outside a transaction, so it is set on the
    driver's connection (the app's engine runs it in autocommit mode and issues BEGIN itself)."""
    if connection.dialect.name != "sqlite" or connection.in_transaction():
        return
    raw = connection.connection.driver_connection
    raw.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    if on:
        broken = raw.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"the migration left rows pointing at missing rows: {broken[:5]}")


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
    )
    _sqlite_foreign_keys(connection, on=False)
    try:
        with context.begin_transaction():
            context.run_migrations()
    finally:
        _sqlite_foreign_keys(connection, on=True)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
