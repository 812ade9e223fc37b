"""The first ledger: payouts, their split per treasury, clawbacks.

Revision ID: 0001
Revises:
Create Date: 2024-01-01
"""
from alembic import op
import sqlalchemy as sa

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "payouts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("policy_id", sa.String(32), nullable=False),
        sa.Column("credit_code", sa.String(18), nullable=False),
        sa.Column("company_name", sa.String(200), nullable=False),
        sa.Column("region", sa.String(20), nullable=False),
        sa.Column("local_retained_tax_fen", sa.BigInteger(), nullable=True),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("measure", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(500), nullable=False),
        sa.Column("subject_norm", sa.String(500), nullable=False),
        sa.Column("reward_year", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("approved_by", sa.String(100), nullable=False),
        sa.Column("claim_id", sa.String(100), nullable=False),
        sa.Column("input_sha256", sa.String(64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("policy_id", "credit_code", "category", "subject_norm", "reward_year",
                            name="uq_payout_key"),
    )
    op.create_index("ix_payouts_credit_code", "payouts", ["credit_code"])
    op.create_index("ix_payouts_reward_year", "payouts", ["reward_year"])
    op.create_table(
        "payout_shares",
        sa.Column("payout_id", sa.Integer(), sa.ForeignKey("payouts.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("treasury", sa.String(40), primary_key=True),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "clawbacks",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("payout_id", sa.Integer(), sa.ForeignKey("payouts.id", ondelete="CASCADE"), nullable=False,
                  unique=True),
        sa.Column("reason_code", sa.String(20), nullable=False),
        sa.Column("moved_out_on", sa.Date(), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("decided_by", sa.String(100), nullable=False),
        sa.Column("returned_on", sa.Date(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("clawbacks")
    op.drop_table("payout_shares")
    op.drop_index("ix_payouts_reward_year", "payouts")
    op.drop_index("ix_payouts_credit_code", "payouts")
    op.drop_table("payouts")
