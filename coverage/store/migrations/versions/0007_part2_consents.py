"""42 CFR Part 2 consents, one row per consent on file for a job (encrypted)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "part2_consents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("consent", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["verification_jobs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("part2_consents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_part2_consents_job_id"), ["job_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("part2_consents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_part2_consents_job_id"))
    op.drop_table("part2_consents")
