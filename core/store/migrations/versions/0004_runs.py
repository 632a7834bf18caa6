"""runs: cancel reason and the run a retry retries

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 03:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cancel_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("retry_of", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_runs_retry_of"), ["retry_of"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_runs_retry_of_runs"), "runs", ["retry_of"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_runs_retry_of_runs"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_runs_retry_of"))
        batch_op.drop_column("retry_of")
        batch_op.drop_column("cancel_reason")
