"""Alembic environment of the ledger.

subsidy.ledger.db runs the upgrade itself and hands over its open connection (inside the transaction that
holds the migration lock) as ``config.attributes["connection"]``. A developer running alembic by hand passes
``-x url=…`` instead.
"""
from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from subsidy.ledger.schema import Base

config = context.config
target_metadata = Base.metadata


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:  # pragma: no cover - developer use only
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    engine = create_engine(url)
    with engine.begin() as conn:
        _run(conn)
