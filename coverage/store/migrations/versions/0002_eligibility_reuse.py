"""eligibility answers reused within a payer's TTL; fresh checks; results a re-run replaced

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

Checks stored before this revision have no reuse key, so they are never reused.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "superseded_results",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("rule_files", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["verification_jobs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("superseded_results", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_superseded_results_job_id"), ["job_id"], unique=False)
    with op.batch_alter_table("verification_jobs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("fresh_check", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("eligibility_checks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payer_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("subject_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("service_start", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("service_end", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("reused_from", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            "fk_eligibility_checks_reused_from", "eligibility_checks", ["reused_from"], ["id"]
        )
        batch_op.create_index(
            "ix_eligibility_checks_reuse",
            ["payer_id", "subject_hash", "service_start", "service_end", "created_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("eligibility_checks", schema=None) as batch_op:
        batch_op.drop_index("ix_eligibility_checks_reuse")
        batch_op.drop_constraint("fk_eligibility_checks_reused_from", type_="foreignkey")
        for column in ("reused_from", "service_end", "service_start", "subject_hash", "payer_id"):
            batch_op.drop_column(column)
    with op.batch_alter_table("verification_jobs", schema=None) as batch_op:
        batch_op.drop_column("fresh_check")
    op.drop_table("superseded_results")
