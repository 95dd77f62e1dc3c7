"""Alembic environment for the state database: runs on the engine handed over by sync.state.db."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from sync.state.models import Base

config = context.config
target_metadata = Base.metadata


def _migrate(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if (
        connection is not None
    ):  # handed over by sync.state.db.upgrade, inside its locked transaction
        _migrate(connection)
        return
    # the alembic command line, for developers writing a migration
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite:///dev.sqlite")
    with engine.begin() as conn:
        _migrate(conn)


run_migrations_online()
