"""The Alembic migrations create exactly the tables the models describe, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import coverage.store.tables  # noqa: F401
from coverage.store.db import get_engine, upgrade


def test_the_migrated_schema_matches_the_models(database: str) -> None:
    with get_engine().connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        assert compare_metadata(context, SQLModel.metadata) == []


def test_upgrading_again_is_a_no_op(database: str) -> None:
    upgrade(database)
    with get_engine().connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == "0008"
