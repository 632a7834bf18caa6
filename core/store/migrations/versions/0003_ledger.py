"""the embedded ledger: accounts, customers, items, tax rates, invoices, payments, sync states

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 10:00:00.000000
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
        "ledger_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("client_code", sa.String(length=32), nullable=False),
        sa.Column("next_invoice_number", sa.Integer(), nullable=False),
        sa.Column("clock", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_ledger_accounts_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_accounts")),
        sa.UniqueConstraint("client_code", name=op.f("uq_ledger_accounts_client_code")),
        sa.UniqueConstraint("tenant_id", name=op.f("uq_ledger_accounts_tenant_id")),
    )
    op.create_table(
        "ledger_api_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("login", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=300), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_ledger_api_users_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_api_users")),
        sa.UniqueConstraint("tenant_id", "login", name=op.f("uq_ledger_api_users_tenant_id")),
    )
    op.create_table(
        "ledger_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("price", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("taxable", sa.Boolean(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_ledger_items_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_items")),
    )
    with op.batch_alter_table("ledger_items", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ledger_items_tenant_updated", ["tenant_id", "updated_at"], unique=False
        )

    op.create_table(
        "ledger_subsidiaries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_ledger_subsidiaries_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_subsidiaries")),
    )
    with op.batch_alter_table("ledger_subsidiaries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ledger_subsidiaries_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "ledger_tax_rates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("rate", sa.Numeric(precision=7, scale=4), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_ledger_tax_rates_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_tax_rates")),
    )
    with op.batch_alter_table("ledger_tax_rates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ledger_tax_rates_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "ledger_customers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("given_name", sa.String(length=100), nullable=False),
        sa.Column("family_name", sa.String(length=100), nullable=False),
        sa.Column("company_name", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("subsidiary_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["subsidiary_id"],
            ["ledger_subsidiaries.id"],
            name=op.f("fk_ledger_customers_subsidiary_id_ledger_subsidiaries"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_ledger_customers_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_customers")),
    )
    with op.batch_alter_table("ledger_customers", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ledger_customers_tenant_email", ["tenant_id", "email"], unique=False
        )
        batch_op.create_index(
            "ix_ledger_customers_tenant_updated", ["tenant_id", "updated_at"], unique=False
        )

    op.create_table(
        "ledger_sync_states",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("installation_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("remote_id", sa.String(length=128), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["installation_id"],
            ["installations.id"],
            name=op.f("fk_ledger_sync_states_installation_id_installations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_ledger_sync_states_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_sync_states")),
        sa.UniqueConstraint(
            "installation_id",
            "kind",
            "record_id",
            name=op.f("uq_ledger_sync_states_installation_id"),
        ),
    )
    with op.batch_alter_table("ledger_sync_states", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ledger_sync_states_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "ledger_invoices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("subsidiary_id", sa.Integer(), nullable=True),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("po_number", sa.String(length=64), nullable=False),
        sa.Column("custom_field", sa.String(length=200), nullable=False),
        sa.Column("discount_percent", sa.Numeric(precision=7, scale=4), nullable=True),
        sa.Column("discount_amount", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("tax_rate_id", sa.Integer(), nullable=True),
        sa.Column("subtotal", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("discount_total", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("tax_total", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("total", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("balance", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["ledger_customers.id"],
            name=op.f("fk_ledger_invoices_customer_id_ledger_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["subsidiary_id"],
            ["ledger_subsidiaries.id"],
            name=op.f("fk_ledger_invoices_subsidiary_id_ledger_subsidiaries"),
        ),
        sa.ForeignKeyConstraint(
            ["tax_rate_id"],
            ["ledger_tax_rates.id"],
            name=op.f("fk_ledger_invoices_tax_rate_id_ledger_tax_rates"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_ledger_invoices_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_invoices")),
        sa.UniqueConstraint("tenant_id", "number", name=op.f("uq_ledger_invoices_tenant_id")),
    )
    with op.batch_alter_table("ledger_invoices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ledger_invoices_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            "ix_ledger_invoices_tenant_updated", ["tenant_id", "updated_at"], unique=False
        )

    op.create_table(
        "ledger_invoice_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("item_kind", sa.String(length=16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=12, scale=4), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("taxable", sa.Boolean(), nullable=False),
        sa.Column("tax_rate_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["ledger_invoices.id"],
            name=op.f("fk_ledger_invoice_lines_invoice_id_ledger_invoices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["ledger_items.id"],
            name=op.f("fk_ledger_invoice_lines_item_id_ledger_items"),
        ),
        sa.ForeignKeyConstraint(
            ["tax_rate_id"],
            ["ledger_tax_rates.id"],
            name=op.f("fk_ledger_invoice_lines_tax_rate_id_ledger_tax_rates"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_ledger_invoice_lines_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_invoice_lines")),
    )
    with op.batch_alter_table("ledger_invoice_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ledger_invoice_lines_invoice_id"), ["invoice_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ledger_invoice_lines_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "ledger_payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("subsidiary_id", sa.Integer(), nullable=True),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("tip", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("origin", sa.String(length=8), nullable=False),
        sa.Column("remote_ref", sa.String(length=128), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["ledger_customers.id"],
            name=op.f("fk_ledger_payments_customer_id_ledger_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["ledger_invoices.id"],
            name=op.f("fk_ledger_payments_invoice_id_ledger_invoices"),
        ),
        sa.ForeignKeyConstraint(
            ["subsidiary_id"],
            ["ledger_subsidiaries.id"],
            name=op.f("fk_ledger_payments_subsidiary_id_ledger_subsidiaries"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_ledger_payments_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_payments")),
    )
    with op.batch_alter_table("ledger_payments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ledger_payments_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ledger_payments_invoice_id"), ["invoice_id"], unique=False
        )
        batch_op.create_index(
            "ix_ledger_payments_tenant_remote_ref", ["tenant_id", "remote_ref"], unique=False
        )
        batch_op.create_index(
            "ix_ledger_payments_tenant_updated", ["tenant_id", "updated_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("ledger_payments", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_payments_tenant_updated")
        batch_op.drop_index("ix_ledger_payments_tenant_remote_ref")
        batch_op.drop_index(batch_op.f("ix_ledger_payments_invoice_id"))
        batch_op.drop_index(batch_op.f("ix_ledger_payments_customer_id"))

    op.drop_table("ledger_payments")
    with op.batch_alter_table("ledger_invoice_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_invoice_lines_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_ledger_invoice_lines_invoice_id"))

    op.drop_table("ledger_invoice_lines")
    with op.batch_alter_table("ledger_invoices", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_invoices_tenant_updated")
        batch_op.drop_index(batch_op.f("ix_ledger_invoices_customer_id"))

    op.drop_table("ledger_invoices")
    with op.batch_alter_table("ledger_sync_states", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_sync_states_tenant_id"))

    op.drop_table("ledger_sync_states")
    with op.batch_alter_table("ledger_customers", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_customers_tenant_updated")
        batch_op.drop_index("ix_ledger_customers_tenant_email")

    op.drop_table("ledger_customers")
    with op.batch_alter_table("ledger_tax_rates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_tax_rates_tenant_id"))

    op.drop_table("ledger_tax_rates")
    with op.batch_alter_table("ledger_subsidiaries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_subsidiaries_tenant_id"))

    op.drop_table("ledger_subsidiaries")
    with op.batch_alter_table("ledger_items", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_items_tenant_updated")

    op.drop_table("ledger_items")
    op.drop_table("ledger_api_users")
    op.drop_table("ledger_accounts")
