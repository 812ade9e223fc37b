"""The ledger's tables (SQLAlchemy 2). Money is integer fen: exact on SQLite and PostgreSQL alike.

The schema itself is created and upgraded only by the Alembic migrations in ``migrations/``; these classes
must match the latest migration (tests/test_ledger_db.py checks that they do).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


#: where a payout came from: a line of an assessment (`ledger record`), or a row of an 已兑现奖励 sheet of payouts
#: made before the ledger existed (`ledger import`)
SOURCE_RESULT = "result"
SOURCE_IMPORT = "import"

#: what an entry of the payouts table is: a payout, or the reversal of one (a correction: the ledger is
#: append-only, so a wrong payout is never changed or deleted but reversed by a later entry naming it)
KIND_PAYOUT = "payout"
KIND_REVERSAL = "reversal"


class PayoutRow(Base):
    """One entry of the append-only payout journal: a reward paid under a policy (a line of an assessment with
    payable > 0, or an imported earlier payout), or the reversal of one (``kind`` = reversal, ``reverses_id`` the
    payout it cancels, ``reason`` why; its amounts are the payout's, negated).

    Entries are never updated or deleted (database triggers refuse it, migration 0003); each carries
    ``entry_hash``, the SHA-256 of its canonical content and of the previous entry's hash (``prev_hash``), see
    ``chain.py``. ``revision`` counts the payouts of the same key before this one (0; after a reversal the
    corrected payout is 1, …), so the unique key still allows exactly one payout per reward and revision.

    ``input_sha256`` is the SHA-256 of the application workbook the assessment read (source ``result``) or of the
    imported workbook (source ``import``); ``claim_id`` is the 申报编号, or ``已兑现奖励:<row>`` for an import,
    whose Excel row is also ``source_row``. An imported payout has no shares: its treasuries were not recorded.
    """

    __tablename__ = "payouts"
    __table_args__ = (
        # SPEC 7: one payout per (policy, company, category, normalised subject, reward year) and revision
        UniqueConstraint("policy_id", "credit_code", "category", "subject_norm", "reward_year", "kind", "revision",
                         name="uq_payout_key"),
        UniqueConstraint("entry_hash", name="uq_payouts_entry_hash"),
        UniqueConstraint("reverses_id", name="uq_payouts_reverses_id"),  # a payout is reversed at most once
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    policy_id: Mapped[str] = mapped_column(String(32), nullable=False)
    credit_code: Mapped[str] = mapped_column(String(18), nullable=False, index=True)
    company_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    region: Mapped[str] = mapped_column(String(20), nullable=False, default="")  # 注册地
    local_retained_tax_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # 地方留成税收, the cap
    category: Mapped[str] = mapped_column(String(40), nullable=False)  # category code of the policy
    measure: Mapped[int | None] = mapped_column(Integer, nullable=True)
    subject: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    subject_norm: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    reward_year: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    paid_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    approved_by: Mapped[str] = mapped_column(String(100), nullable=False)
    claim_id: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    input_sha256: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    source: Mapped[str] = mapped_column(String(16), nullable=False, default=SOURCE_RESULT,
                                        server_default=text(f"'{SOURCE_RESULT}'"))
    source_row: Mapped[int | None] = mapped_column(Integer, nullable=True)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False, default=KIND_PAYOUT,
                                      server_default=text(f"'{KIND_PAYOUT}'"))
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("payouts.id", name="fk_payouts_reverses"),
                                                    nullable=True)
    reason: Mapped[str] = mapped_column(String(500), nullable=False, default="", server_default=text("''"))
    revision: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default=text("0"))
    # 第5条: what the reward was computed from (NULL for other categories, and for HQ payouts recorded before
    # migration 0003 or imported: `subsidy forecast` then takes them from --applications)
    hq_recognised_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)  # 落户认定日期
    hq_reward_index: Mapped[int | None] = mapped_column(Integer, nullable=True)  # k
    hq_contribution_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # 地方财政贡献
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    entry_hash: Mapped[str] = mapped_column(String(64), nullable=False)

    shares: Mapped[list["PayoutShare"]] = relationship(
        back_populates="payout", cascade="all, delete-orphan", order_by="PayoutShare.treasury", lazy="selectin")
    clawback: Mapped["ClawbackRow | None"] = relationship(back_populates="payout", lazy="selectin",
                                                          foreign_keys="ClawbackRow.payout_id")


class PayoutShare(Base):
    """The part of a payout one treasury pays (出资财政)."""

    __tablename__ = "payout_shares"

    payout_id: Mapped[int] = mapped_column(ForeignKey("payouts.id", ondelete="CASCADE"), primary_key=True)
    treasury: Mapped[str] = mapped_column(String(40), primary_key=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)

    payout: Mapped[PayoutRow] = relationship(back_populates="shares")


class ClawbackRow(Base):
    """A payout the company must return (SPEC 2.5); open until returned_on is set."""

    __tablename__ = "clawbacks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    payout_id: Mapped[int] = mapped_column(ForeignKey("payouts.id", ondelete="CASCADE"), nullable=False, unique=True)
    reason_code: Mapped[str] = mapped_column(String(20), nullable=False)  # MOVED_OUT or FRAUD
    moved_out_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    decided_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    decided_by: Mapped[str] = mapped_column(String(100), nullable=False)
    returned_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)

    payout: Mapped[PayoutRow] = relationship(back_populates="clawback", lazy="selectin")
