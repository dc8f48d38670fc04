"""monthly re-verification: a job may re-check an approved job

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("verification_jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reverifies", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            "fk_verification_jobs_reverifies", "verification_jobs", ["reverifies"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("verification_jobs", schema=None) as batch_op:
        batch_op.drop_constraint("fk_verification_jobs_reverifies", type_="foreignkey")
        batch_op.drop_column("reverifies")
