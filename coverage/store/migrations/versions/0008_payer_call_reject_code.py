"""The payer's reject reason (X12 AAA03) on a payer call that ended in a payer error

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("eligibility_checks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reject_code", sa.String(length=3), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("eligibility_checks", schema=None) as batch_op:
        batch_op.drop_column("reject_code")
