"""ledger invoice pdfs

Revision ID: 0006_invoice_pdfs
Revises: 0005
Create Date: 2026-11-22 03:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_invoice_pdfs"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ledger_invoice_pdfs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["ledger_invoices.id"],
            name=op.f("fk_ledger_invoice_pdfs_invoice_id_ledger_invoices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_ledger_invoice_pdfs_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_invoice_pdfs")),
        sa.UniqueConstraint("invoice_id", name=op.f("uq_ledger_invoice_pdfs_invoice_id")),
    )
    with op.batch_alter_table("ledger_invoice_pdfs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ledger_invoice_pdfs_tenant_id"), ["tenant_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("ledger_invoice_pdfs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_invoice_pdfs_tenant_id"))
    op.drop_table("ledger_invoice_pdfs")
