"""An append-only ledger with a hash chain; HQ payouts keep what a forecast needs.

* payouts: ``kind`` (payout | reversal), ``reverses_id``, ``reason``, ``revision`` (the unique key now includes
  kind and revision, so a reversed payout can be recorded again, corrected); ``hq_recognised_on``,
  ``hq_reward_index``, ``hq_contribution_fen`` (第5条: 落户认定日期, reward year k, 地方财政贡献); ``prev_hash`` and
  ``entry_hash`` (see subsidy/ledger/chain.py), computed here for the existing rows in id order.
* triggers (SQLite and PostgreSQL) refuse UPDATE and DELETE on payouts and payout_shares (and TRUNCATE on
  PostgreSQL); on clawbacks they refuse DELETE, and UPDATE other than recording the return (returned_on, once).

Revision ID: 0003
Revises: 0002
Create Date: 2025-06-01
"""
import datetime as dt

from alembic import op
import sqlalchemy as sa

from subsidy.ledger import chain

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

APPEND_ONLY = "兑现账本只能追加：不允许修改或删除兑现记录（更正请用 subsidy ledger reverse 冲销）"
CLAWBACK_ONLY = "兑现账本的追缴记录不能删除或改动，只能登记一次缴回日期"

SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER payouts_append_only_update BEFORE UPDATE ON payouts
        BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END""",
    f"""CREATE TRIGGER payouts_append_only_delete BEFORE DELETE ON payouts
        BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END""",
    f"""CREATE TRIGGER payout_shares_append_only_update BEFORE UPDATE ON payout_shares
        BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END""",
    f"""CREATE TRIGGER payout_shares_append_only_delete BEFORE DELETE ON payout_shares
        BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END""",
    f"""CREATE TRIGGER clawbacks_no_delete BEFORE DELETE ON clawbacks
        BEGIN SELECT RAISE(ABORT, '{CLAWBACK_ONLY}'); END""",
    f"""CREATE TRIGGER clawbacks_return_only BEFORE UPDATE ON clawbacks
        WHEN OLD.returned_on IS NOT NULL OR NEW.returned_on IS NULL
          OR NEW.id IS NOT OLD.id OR NEW.payout_id IS NOT OLD.payout_id
          OR NEW.reason_code IS NOT OLD.reason_code OR NEW.moved_out_on IS NOT OLD.moved_out_on
          OR NEW.decided_on IS NOT OLD.decided_on OR NEW.decided_by IS NOT OLD.decided_by
          OR NEW.recorded_at IS NOT OLD.recorded_at
        BEGIN SELECT RAISE(ABORT, '{CLAWBACK_ONLY}'); END""",
]
SQLITE_TRIGGER_NAMES = ["payouts_append_only_update", "payouts_append_only_delete",
                        "payout_shares_append_only_update", "payout_shares_append_only_delete",
                        "clawbacks_no_delete", "clawbacks_return_only"]

PG_FUNCTIONS = [
    f"""CREATE OR REPLACE FUNCTION subsidy_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION '{APPEND_ONLY}（%，表 %）', TG_OP, TG_TABLE_NAME
              USING ERRCODE = 'insufficient_privilege'; END $$""",
    f"""CREATE OR REPLACE FUNCTION subsidy_clawback_return_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'UPDATE' AND OLD.returned_on IS NULL AND NEW.returned_on IS NOT NULL
             AND NEW.id = OLD.id AND NEW.payout_id = OLD.payout_id AND NEW.reason_code = OLD.reason_code
             AND NEW.moved_out_on IS NOT DISTINCT FROM OLD.moved_out_on AND NEW.decided_on = OLD.decided_on
             AND NEW.decided_by = OLD.decided_by AND NEW.recorded_at = OLD.recorded_at THEN
            RETURN NEW;
          END IF;
          RAISE EXCEPTION '{CLAWBACK_ONLY}（%）', TG_OP USING ERRCODE = 'insufficient_privilege';
        END $$""",
]
PG_TRIGGERS = [
    "CREATE TRIGGER payouts_append_only BEFORE UPDATE OR DELETE ON payouts"
    " FOR EACH ROW EXECUTE FUNCTION subsidy_append_only()",
    "CREATE TRIGGER payouts_no_truncate BEFORE TRUNCATE ON payouts"
    " FOR EACH STATEMENT EXECUTE FUNCTION subsidy_append_only()",
    "CREATE TRIGGER payout_shares_append_only BEFORE UPDATE OR DELETE ON payout_shares"
    " FOR EACH ROW EXECUTE FUNCTION subsidy_append_only()",
    "CREATE TRIGGER payout_shares_no_truncate BEFORE TRUNCATE ON payout_shares"
    " FOR EACH STATEMENT EXECUTE FUNCTION subsidy_append_only()",
    "CREATE TRIGGER clawbacks_return_only BEFORE UPDATE OR DELETE ON clawbacks"
    " FOR EACH ROW EXECUTE FUNCTION subsidy_clawback_return_only()",
    "CREATE TRIGGER clawbacks_no_truncate BEFORE TRUNCATE ON clawbacks"
    " FOR EACH STATEMENT EXECUTE FUNCTION subsidy_append_only()",
]
PG_TRIGGER_TABLES = [("payouts_append_only", "payouts"), ("payouts_no_truncate", "payouts"),
                     ("payout_shares_append_only", "payout_shares"), ("payout_shares_no_truncate", "payout_shares"),
                     ("clawbacks_return_only", "clawbacks"), ("clawbacks_no_truncate", "clawbacks")]


def create_triggers(bind) -> None:
    """The append-only triggers (also used by tests that drop them as a superuser would, then put them back)."""
    if bind.dialect.name == "postgresql":
        for sql in PG_FUNCTIONS + PG_TRIGGERS:
            bind.execute(sa.text(sql))  # text(): the functions' % are escaped for psycopg
    else:
        for sql in SQLITE_TRIGGERS:
            bind.exec_driver_sql(sql)


def drop_triggers(bind) -> None:
    if bind.dialect.name == "postgresql":
        for name, table in PG_TRIGGER_TABLES:
            bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    else:
        for name in SQLITE_TRIGGER_NAMES:
            bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")


_COLUMNS = [c for c in chain.FIELDS if c != "shares"]


def _fill_hashes(bind) -> None:
    """entry_hash and prev_hash of every existing row, in id order (the rows are all payouts, revision 0)."""
    shares: dict[int, dict[str, int]] = {}
    for pid, treasury, fen in bind.execute(sa.text(
            "SELECT payout_id, treasury, amount_fen FROM payout_shares")):
        shares.setdefault(pid, {})[treasury] = int(fen)
    payouts = sa.table("payouts", *[sa.column(c) for c in _COLUMNS + ["prev_hash", "entry_hash"]])
    rows = bind.execute(sa.select(*[payouts.c[c] for c in _COLUMNS]).order_by(payouts.c.id)).mappings().all()
    prev = chain.GENESIS
    for row in rows:
        row = dict(row)
        for c in ("paid_on", "hq_recognised_on"):  # SQLite hands back text from a plain select
            if isinstance(row[c], str):
                row[c] = dt.date.fromisoformat(row[c])
        if isinstance(row["recorded_at"], str):
            row["recorded_at"] = dt.datetime.fromisoformat(row["recorded_at"])
        h = chain.entry_hash(row, shares.get(row["id"], {}), prev)
        bind.execute(payouts.update().where(payouts.c.id == row["id"]).values(prev_hash=prev, entry_hash=h))
        prev = h


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("payouts", recreate="never") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default=sa.text("'payout'")))
        batch.add_column(sa.Column("reason", sa.String(500), nullable=False, server_default=sa.text("''")))
        batch.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default=sa.text("0")))
        batch.add_column(sa.Column("reverses_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("hq_recognised_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("hq_reward_index", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("hq_contribution_fen", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("prev_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("entry_hash", sa.String(64), nullable=True))
    _fill_hashes(bind)
    # SQLite: the table is rebuilt (the migration runs with foreign keys off, see db.migrate, so the rebuild
    # cascades nothing); PostgreSQL: altered in place
    with op.batch_alter_table("payouts") as batch:
        batch.alter_column("prev_hash", existing_type=sa.String(64), nullable=False)
        batch.alter_column("entry_hash", existing_type=sa.String(64), nullable=False)
        batch.drop_constraint("uq_payout_key", type_="unique")
        batch.create_unique_constraint(
            "uq_payout_key", ["policy_id", "credit_code", "category", "subject_norm", "reward_year", "kind", "revision"])
        batch.create_unique_constraint("uq_payouts_entry_hash", ["entry_hash"])
        batch.create_unique_constraint("uq_payouts_reverses_id", ["reverses_id"])
        batch.create_foreign_key("fk_payouts_reverses", "payouts", ["reverses_id"], ["id"])
    create_triggers(bind)


def downgrade() -> None:
    bind = op.get_bind()
    drop_triggers(bind)
    if bind.dialect.name == "postgresql":
        bind.exec_driver_sql("DROP FUNCTION IF EXISTS subsidy_append_only()")
        bind.exec_driver_sql("DROP FUNCTION IF EXISTS subsidy_clawback_return_only()")
    with op.batch_alter_table("payouts") as batch:
        batch.drop_constraint("fk_payouts_reverses", type_="foreignkey")
        batch.drop_constraint("uq_payouts_reverses_id", type_="unique")
        batch.drop_constraint("uq_payouts_entry_hash", type_="unique")
        batch.drop_constraint("uq_payout_key", type_="unique")
        batch.create_unique_constraint(
            "uq_payout_key", ["policy_id", "credit_code", "category", "subject_norm", "reward_year"])
        for c in ("entry_hash", "prev_hash", "hq_contribution_fen", "hq_reward_index", "hq_recognised_on",
                  "reverses_id", "revision", "reason", "kind"):
            batch.drop_column(c)
