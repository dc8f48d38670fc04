"""Storage: SQLModel tables, engine factory, keyword-only data functions, Alembic migrations."""
