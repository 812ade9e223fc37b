"""Payouts remember where they came from: an assessment (`ledger record`) or an imported 已兑现奖励 sheet.

Revision ID: 0002
Revises: 0001
Create Date: 2025-03-01
"""
from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # every payout recorded before this revision came from an assessment
    with op.batch_alter_table("payouts") as batch:
        batch.add_column(sa.Column("source", sa.String(16), nullable=False, server_default=sa.text("'result'")))
        batch.add_column(sa.Column("source_row", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("payouts") as batch:
        batch.drop_column("source_row")
        batch.drop_column("source")
