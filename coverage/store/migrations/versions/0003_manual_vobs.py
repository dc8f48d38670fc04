"""phone verifications of benefits recorded by staff (manual adapter)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "manual_vobs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("policy_id", sa.Uuid(), nullable=False),
        sa.Column("job_ref", sa.String(length=20), nullable=False),
        sa.Column("payer_id", sa.String(length=64), nullable=False),
        sa.Column("member_id_hash", sa.String(length=64), nullable=False),
        sa.Column("entry", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["verification_jobs.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["policy_id"], ["policies.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("manual_vobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_manual_vobs_job_id"), ["job_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_manual_vobs_job_ref"), ["job_ref"], unique=False)


def downgrade() -> None:
    op.drop_table("manual_vobs")
