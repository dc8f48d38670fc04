"""Alembic environment: the URL comes from settings (or the caller), never from an ini file."""

from alembic import context
from sqlalchemy import pool
from sqlmodel import SQLModel, create_engine

import coverage.store.tables  # noqa: F401  (registers the tables on SQLModel.metadata)
from coverage.settings import get_settings

url = context.config.get_main_option("sqlalchemy.url") or get_settings().database_url


def run() -> None:
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=SQLModel.metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=SQLModel.metadata,
            compare_type=True,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()


run()
