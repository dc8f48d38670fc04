"""rule book snapshots: the version in force, durable and shared by every process

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rule_book_versions",
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("root", sa.String(length=200), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("in_force_since", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("version"),
    )
    with op.batch_alter_table("rule_book_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rule_book_versions_in_force_since"), ["in_force_since"], unique=False
        )
    op.create_table(
        "rule_file_contents",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("sha256"),
    )
    for table in ("coverage_results", "superseded_results"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("rule_book_version", sa.String(length=64), nullable=True))


def downgrade() -> None:
    for table in ("coverage_results", "superseded_results"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("rule_book_version")
    op.drop_table("rule_file_contents")
    with op.batch_alter_table("rule_book_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rule_book_versions_in_force_since"))
    op.drop_table("rule_book_versions")
