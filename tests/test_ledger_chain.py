"""Issue 10 item 4 and 5: a ledger no one can quietly edit — append-only payouts (reversal entries, database
triggers), the SHA-256 chain checked by `ledger verify` and `audit --ledger`, the migration that chains an older
ledger, writers that never fork the chain — and read-only auditors on PostgreSQL."""
from __future__ import annotations

import datetime as dt
import hashlib
import os

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from subsidy import ledger as L
from subsidy.ledger import chain, db
from subsidy.ledger.migrations.versions import __name__ as _versions  # noqa: F401
from test_ledger import (A, B, C, PG_URL, TODAY, _race, keys, ln, make_ledger, rec, result, run, write)

ALL_KINDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _migration():
    import importlib

    return importlib.import_module("subsidy.ledger.migrations.versions.0003_append_only_chain")


def raw(url: str):
    """An engine with no help from subsidy: what a user with a database tool (or a superuser) has."""
    return create_engine(db.parse_url(url))


def three_payouts(url: str, tmp_path) -> None:
    rec(url, tmp_path, result(2023, ln("A-1", "tech_provincial", 200000), ln("B-1", "qual_grade1", 500000, credit_code=B),
                              ln("C-1", "luban", 500000, credit_code=C, subject="瓷都大厦", measure=6)))


def tamper(url: str, sql: str) -> None:
    """As a superuser would: drop the triggers, change the table, and put the triggers back."""
    m = _migration()
    eng = raw(url)
    with eng.begin() as conn:
        m.drop_triggers(conn)
        conn.execute(text(sql))
        m.create_triggers(conn)
    eng.dispose()


def ids(url: str) -> dict[str, int]:
    return {p.credit_code: p.id for p in L.payouts(url)}


# --------------------------------------------------------------------------- the chain


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_every_recorded_payout_is_chained_and_the_chain_verifies(kind, tmp_path, capsys):
    url = make_ledger(kind, tmp_path)
    three_payouts(url, tmp_path)
    report = L.verify(url)
    assert (report.entries, report.first_break, report.intact) == (3, None, True)
    code, out, _ = run("ledger", "verify", "--ledger", url, capsys=capsys)
    assert code == 0
    assert "哈希链完整：共 3 笔记录，逐笔核验一致。" in out
    assert f"链头哈希：{report.head}" in out


def test_an_auditor_recomputes_an_entry_hash_by_hand_from_the_documented_canonical_text(tmp_path):
    url = make_ledger("sqlite", tmp_path)
    rec(url, tmp_path, result(2023, ln("A-1", "tech_provincial", 200000)))
    eng = raw(url)
    with eng.connect() as conn:
        row = conn.execute(text("SELECT * FROM payouts")).mappings().one()
    eng.dispose()
    lines = ["subsidy.ledger.payout/1", "id=1", "kind=payout", "reverses_id=", "reason=", "revision=0",
             "policy_id=jdz-2023", f"credit_code={A}", "company_name=企业" + A[-4:], "region=珠山区",
             "local_retained_tax_fen=1000000000", "category=tech_provincial", "measure=24", "subject=",
             "subject_norm=", "reward_year=2023", "amount_fen=20000000", "shares=珠山区财政:20000000",
             "paid_on=2024-01-20", "approved_by=张三", "claim_id=A-1", f"input_sha256={'ab' * 32}",
             "source=result", "source_row=", "hq_recognised_on=", "hq_reward_index=", "hq_contribution_fen=",
             f"recorded_at={row['recorded_at'][:19].replace(' ', 'T')}", "prev_hash=" + "0" * 64]
    by_hand = hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()
    assert row["entry_hash"] == by_hand and row["prev_hash"] == "0" * 64


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_changing_one_amount_directly_in_the_payouts_table_is_caught_by_verify_and_audit_naming_the_row(
        kind, tmp_path, capsys):
    url = make_ledger(kind, tmp_path)
    three_payouts(url, tmp_path)
    row = ids(url)[B]
    tamper(url, f"UPDATE payouts SET amount_fen = 5000000 WHERE id = {row}")
    code, out, _ = run("ledger", "verify", "--ledger", url, capsys=capsys)
    assert code == 1
    assert (f"哈希链断开：第 {row} 笔（编号 {row}）的内容与记账时的哈希不符：记账后被改动过（金额、出资财政、日期、企业或其他"
            "记账内容）。") in out
    code, out, _ = run("audit", "--ledger", url, "-o", tmp_path / "audit.xlsx", capsys=capsys)
    assert code == 1
    assert f"哈希链断开：第 {row} 笔（编号 {row}）的内容与记账时的哈希不符" in out
    assert "哈希链断开（账本记录被改动）" in out
    from openpyxl import load_workbook

    wb = load_workbook(tmp_path / "audit.xlsx")
    flags = [r for r in wb["问题清单"].iter_rows(values_only=True) if r[0] == "哈希链断开（账本记录被改动）"]
    assert flags and flags[0][1] == B and f"编号 {row}" in flags[0][5]


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_changing_a_treasurys_share_is_caught_too(kind, tmp_path, capsys):
    url = make_ledger(kind, tmp_path)
    three_payouts(url, tmp_path)
    row = ids(url)[C]
    tamper(url, f"UPDATE payout_shares SET treasury = '市财政' WHERE payout_id = {row}")
    report = L.verify(url)
    assert (report.first_break.id, report.first_break.kind, report.entries) == (row, "CONTENT", row - 1)


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_deleting_a_row_in_the_middle_breaks_the_link_of_the_next(kind, tmp_path, capsys):
    url = make_ledger(kind, tmp_path)
    three_payouts(url, tmp_path)
    first, middle, last = sorted(ids(url).values())
    tamper(url, f"DELETE FROM payout_shares WHERE payout_id = {middle}")
    tamper(url, f"DELETE FROM payouts WHERE id = {middle}")
    code, out, _ = run("ledger", "verify", "--ledger", url, capsys=capsys)
    assert code == 1
    assert f"哈希链断开：第 2 笔（编号 {last}）记载的上一笔哈希" in out
    assert "它之前的记录被删除、插入或改动过" in out


def test_a_ledger_cut_short_after_the_noted_head_is_caught_with_head(tmp_path, capsys):
    url = make_ledger("sqlite", tmp_path)
    three_payouts(url, tmp_path)
    head = L.verify(url).head
    last = max(ids(url).values())
    tamper(url, f"DELETE FROM payout_shares WHERE payout_id = {last}")
    tamper(url, f"DELETE FROM payouts WHERE id = {last}")
    assert run("ledger", "verify", "--ledger", url, capsys=capsys)[0] == 0  # the chain alone cannot tell
    code, out, _ = run("ledger", "verify", "--ledger", url, "--head", head, capsys=capsys)
    assert code == 1
    assert f"哈希链断开：账本中没有上次记下的哈希 {head[:12]}…：该笔及其后的记录被删除或改动过" in out


def test_a_head_that_is_not_a_hash_is_refused(tmp_path, capsys):
    url = make_ledger("sqlite", tmp_path)
    code, _, err = run("ledger", "verify", "--ledger", url, "--head", "abc", capsys=capsys)
    assert (code, err.strip()) == (2, "错误：--head 的值“abc”不是 SHA-256 哈希（应为 64 位十六进制数字）")


# --------------------------------------------------------------------------- append-only


@pytest.mark.parametrize("kind", ALL_KINDS)
@pytest.mark.parametrize("sql", [
    "UPDATE payouts SET amount_fen = 1", "DELETE FROM payouts", "UPDATE payout_shares SET amount_fen = 1",
    "DELETE FROM payout_shares"], ids=["update payouts", "delete payouts", "update shares", "delete shares"])
def test_update_and_delete_on_payouts_and_shares_are_refused_by_the_database(kind, sql, tmp_path):
    url = make_ledger(kind, tmp_path)
    three_payouts(url, tmp_path)
    eng = raw(url)
    with pytest.raises(Exception, match="兑现账本只能追加：不允许修改或删除兑现记录（更正请用 subsidy ledger reverse 冲销）"):
        with eng.begin() as conn:
            conn.execute(text(sql))
    eng.dispose()
    assert len(keys(url)) == 3 and L.verify(url).intact


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_a_clawback_can_be_closed_once_but_never_deleted_or_rewritten(kind, tmp_path):
    from policies import get_pack
    from subsidy import params
    from test_ledger import _company

    url = make_ledger(kind, tmp_path)
    rec(url, tmp_path, result(2023, ln("A-1", "tech_provincial", 200000)))
    pack = get_pack()
    L.record_clawbacks(url, L.clawbacks_due(url, [_company(A, fraud=True)], pack=pack, params=params.defaults(pack)),
                       decided_by="李四")
    eng = raw(url)
    for sql in ("DELETE FROM clawbacks", "UPDATE clawbacks SET decided_by = '王五'"):
        with pytest.raises(Exception, match="兑现账本的追缴记录不能删除或改动，只能登记一次缴回日期"):
            with eng.begin() as conn:
                conn.execute(text(sql))
    eng.dispose()
    assert L.mark_returned(url, A, returned_on=dt.date(2025, 2, 1)) == 1
    eng = raw(url)
    with pytest.raises(Exception, match="只能登记一次缴回日期"):
        with eng.begin() as conn:
            conn.execute(text("UPDATE clawbacks SET returned_on = NULL"))
    eng.dispose()


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_a_reversal_is_an_appended_entry_naming_the_payout_and_why_and_the_corrected_payout_can_follow(
        kind, tmp_path, capsys):
    url = make_ledger(kind, tmp_path)
    rec(url, tmp_path, result(2023, ln("A-1", "tech_provincial", 200000), ln("B-1", "qual_grade1", 500000, credit_code=B)))
    wrong = ids(url)[A]
    code, out, _ = run("ledger", "reverse", wrong, "--reason", "金额记错，应为 100,000.00 元", "--approved-by", "李四",
                       "--ledger", url, capsys=capsys)
    assert code == 0
    assert f"已冲销编号 {wrong}：企业{A[-4:]}（{A}）2023年度 省级企业技术中心 2024-01-20 兑现 200,000.00 元（珠山区财政 200,000.00）。" in out
    assert "冲销记录编号 3，原因：金额记错，应为 100,000.00 元，审批人：李四。" in out
    assert keys(url) == [(B, "qual_grade1", "", 2023, "500000.00")]
    entries = L.entries(url)
    assert [(e.id, e.kind, e.reverses_id, str(e.amount), e.reason) for e in entries] == [
        (1, "payout", None, "200000.00", ""), (2, "payout", None, "500000.00", ""),
        (3, "reversal", 1, "-200000.00", "金额记错，应为 100,000.00 元")]
    # the corrected payout is recorded from the corrected result
    rec(url, tmp_path, result(2023, ln("A-1", "tech_provincial", 100000), sha="cd" * 32), name="fixed.json")
    assert (A, "tech_provincial", "", 2023, "100000.00") in keys(url)
    assert [e.revision for e in L.entries(url)][-1] == 1
    assert L.verify(url).intact and L.verify(url).entries == 4
    code, out, _ = run("ledger", "list", "--ledger", url, capsys=capsys)
    assert "已冲销的兑现（不计入上表和合计）" in out and "金额记错" in out and "共 2 笔，合计 600,000.00 元。" in out


@pytest.mark.parametrize("why,setup,message", [
    ("an unknown payout", lambda url: 99, "账本中没有编号为 99 的兑现记录（编号见 subsidy ledger list 的“编号”列）"),
    ("a payout reversed already", lambda url: (L.reverse(url, 1, reason="重复", approved_by="李四"), 1)[1],
     "编号 1 的兑现已于 {today} 由 李四 冲销（冲销编号 2，原因：重复），不能再冲销"),
    ("a reversal entry", lambda url: (L.reverse(url, 1, reason="重复", approved_by="李四"), 2)[1],
     "编号 2 是一笔冲销记录（冲销编号 1），不能再冲销"),
], ids=lambda x: x if isinstance(x, str) else "")
def test_a_reversal_that_cannot_be_is_refused_in_one_line(why, setup, message, tmp_path, capsys):
    url = make_ledger("sqlite", tmp_path)
    rec(url, tmp_path, result(2023, ln("A-1", "tech_provincial", 200000)))
    target = setup(url)
    code, _, err = run("ledger", "reverse", target, "--reason", "再冲销", "--approved-by", "王五", "--ledger", url,
                       capsys=capsys)
    assert (code, err.strip()) == (2, "错误：" + message.format(today=dt.date.today()))


def test_a_payout_under_clawback_cannot_be_reversed(tmp_path, capsys):
    from policies import get_pack
    from subsidy import params
    from test_ledger import _company

    url = make_ledger("sqlite", tmp_path)
    rec(url, tmp_path, result(2023, ln("A-1", "tech_provincial", 200000)))
    pack = get_pack()
    L.record_clawbacks(url, L.clawbacks_due(url, [_company(A, fraud=True)], pack=pack, params=params.defaults(pack)),
                       decided_by="李四", decided_on=dt.date(2025, 1, 2))
    code, _, err = run("ledger", "reverse", "1", "--reason", "误记", "--approved-by", "王五", "--ledger", url,
                       capsys=capsys)
    assert (code, err.strip()) == (2, "错误：编号 1 的兑现已于 2025-01-02 登记追缴（尚未缴回），不能冲销：已兑现并追缴的奖励不是记错的兑现")


# --------------------------------------------------------------------------- concurrency and migration


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_offices_recording_at_once_never_fork_the_chain(kind, tmp_path):
    url = make_ledger(kind, tmp_path)
    batches = [[ln(f"A-{i}", "method_national", 50000, subject=f"工法{i}", measure=24)] for i in range(6)]
    paths = [write(tmp_path, f"b{i}.json", result(2023, *b, sha=f"{i:02d}" * 32)) for i, b in enumerate(batches)]
    outcomes = _race(url, paths)
    assert all(o[0] == "ok" for o in outcomes), outcomes
    report = L.verify(url)
    assert (report.entries, report.intact) == (6, True)
    eng = raw(url)
    with eng.connect() as conn:
        prevs = [r[0] for r in conn.execute(text("SELECT prev_hash FROM payouts"))]
    eng.dispose()
    assert len(set(prevs)) == 6  # no two entries chained onto the same one


def _downgrade_to_0002_with_rows(url: str) -> None:
    from alembic import command

    eng = raw(url)
    with eng.begin() as conn:
        command.downgrade(db._alembic_config(conn), "0002")
        for i, (code_, cat, fen) in enumerate([(A, "tech_provincial", 20000000), (B, "qual_grade1", 50000000),
                                               (C, "hq_relocation", 80000000)], 1):
            conn.execute(text(
                "INSERT INTO payouts (id, policy_id, credit_code, company_name, region, category, measure, subject,"
                " subject_norm, reward_year, amount_fen, paid_on, approved_by, claim_id, input_sha256, recorded_at,"
                " source) VALUES"
                f" ({i}, 'jdz-2023', '{code_}', '企业{i}', '高新区', '{cat}', 2, '', '', 2024, {fen}, '2025-01-15',"
                f" '张三', 'X-{i}', '{'ab' * 32}', '2025-01-15 10:00:00', 'result')"))
            conn.execute(text(f"INSERT INTO payout_shares (payout_id, treasury, amount_fen) VALUES ({i}, '高新区财政', {fen})"))
    eng.dispose()


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_a_ledger_of_migration_0002_with_rows_gets_a_valid_chain_and_keeps_every_share(kind, tmp_path, capsys):
    url = make_ledger(kind, tmp_path)
    _downgrade_to_0002_with_rows(url)
    report = L.verify(url)  # opening upgrades
    assert (report.entries, report.intact) == (3, True)
    assert [(p.id, str(p.amount), p.payers) for p in L.payouts(url)] == [
        (i, f"{v}.00", {"高新区财政": __import__("decimal").Decimal(f"{v}.00")})
        for i, v in ((1, 200000), (2, 500000), (3, 800000))]
    rec(url, tmp_path, result(2024, ln("A-9", "method_national", 50000, subject="新工法")))  # the chain goes on
    assert L.verify(url).entries == 4 and L.verify(url).intact
    assert run("ledger", "verify", "--ledger", url, capsys=capsys)[0] == 0


# --------------------------------------------------------------------------- read-only auditors (PostgreSQL)

ROLE = "subsidy_ledger_reader"


@pytest.fixture
def reader(tmp_path):
    """A PostgreSQL role made a read-only auditor of a ledger with the example's payouts; dropped afterwards."""
    if not PG_URL:
        pytest.skip("SUBSIDY_TEST_PG_URL 未设置：跳过 PostgreSQL 测试")
    url = make_ledger("postgres", tmp_path)
    eng = raw(url)
    with eng.begin() as conn:
        conn.execute(text(f"DROP OWNED BY {ROLE}") if _role_exists(conn) else text("SELECT 1"))
        conn.execute(text(f"DROP ROLE IF EXISTS {ROLE}"))
        conn.execute(text(f"CREATE ROLE {ROLE} LOGIN"))
    eng.dispose()
    from pathlib import Path

    L.record(url, Path(__file__).resolve().parents[1] / "examples" / "奖励明细表-2024.json", approved_by="张三",
             paid_on=dt.date(2025, 1, 15), today=TODAY)
    yield url, make_url(db.parse_url(url).render_as_string(hide_password=False)).set(username=ROLE).render_as_string(
        hide_password=False)
    eng = raw(url)
    with eng.begin() as conn:
        conn.execute(text(f"DROP OWNED BY {ROLE}"))
        conn.execute(text(f"DROP ROLE IF EXISTS {ROLE}"))
    eng.dispose()


def _role_exists(conn) -> bool:
    return conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": ROLE}).first() is not None


@pytest.mark.postgres
def test_a_read_only_role_can_audit_list_export_verify_and_forecast_and_cannot_record(reader, tmp_path, capsys):
    owner, ro = reader
    code, out, _ = run("ledger", "grant-reader", ROLE, "--ledger", owner, capsys=capsys)
    assert code == 0 and f"已把数据库用户“{ROLE}”设为只读" in out
    assert run("audit", "--ledger", ro, "-o", tmp_path / "a.xlsx", capsys=capsys)[0] == 0
    code, out, _ = run("ledger", "list", "--ledger", ro, capsys=capsys)
    assert code == 0 and "共 18 笔，合计 7,370,000.00 元。" in out
    assert run("ledger", "export", "--ledger", ro, "-o", tmp_path / "e.xlsx", capsys=capsys)[0] == 0
    assert run("ledger", "verify", "--ledger", ro, capsys=capsys)[0] == 0
    code, out, _ = run("forecast", "--ledger", ro, "--from", "2025", "-o", tmp_path / "f.xlsx", capsys=capsys)
    assert code == 0 and "合计已承诺 4,325,000.00 元" in out
    r = write(tmp_path, "r.json", result(2024, ln("Z-1", "tech_provincial", 200000)))
    code, _, err = run("ledger", "record", r, "--approved-by", "赵六", "--paid-on", "2025-01-15", "--ledger", ro,
                       capsys=capsys)
    shown = db.shown(ro)
    assert (code, err.strip()) == (2, f"错误：用户“{ROLE}”对账本 {shown} 只有读取权限，不能写入：记账、导入、冲销和"
                                      "登记追缴须由有写入权限的用户进行（只读用户可以查询、导出、核验、审计和预测）")
    code, _, err = run("ledger", "reverse", "1", "--reason", "试", "--approved-by", "赵六", "--ledger", ro, capsys=capsys)
    assert code == 2 and "只有读取权限，不能写入" in err
    assert L.verify(owner).entries == 18


@pytest.mark.postgres
def test_a_read_only_role_on_an_out_of_date_ledger_is_told_to_ask_the_owner(reader, tmp_path, capsys):
    from alembic import command

    owner, ro = reader
    assert run("ledger", "grant-reader", ROLE, "--ledger", owner, capsys=capsys)[0] == 0
    eng = raw(owner)
    with eng.begin() as conn:
        command.downgrade(db._alembic_config(conn), "0002")
    eng.dispose()
    code, _, err = run("ledger", "list", "--ledger", ro, capsys=capsys)
    assert (code, err.strip()) == (2, f"错误：账本 {db.shown(ro)} 的数据结构（版本 0002）需要升级到本程序的版本 0003，但用户"
                                      f"“{ROLE}”没有升级的权限（只读用户）：请账本的所有者（建账的用户）先运行 subsidy ledger init"
                                      " 升级账本，再用只读用户查询和审计")
    assert run("ledger", "init", "--ledger", owner, capsys=capsys)[0] == 0
    assert run("ledger", "verify", "--ledger", ro, capsys=capsys)[0] == 0


def test_grant_reader_prints_the_sql_for_a_dba_and_refuses_sqlite_and_bad_names(tmp_path, capsys):
    code, out, _ = run("ledger", "grant-reader", "auditor", "--print-sql", "--ledger",
                       "postgresql+psycopg://owner@db.example/ledger", capsys=capsys)
    assert code == 0
    assert out.splitlines() == [
        'GRANT CONNECT ON DATABASE "ledger" TO "auditor";', 'GRANT USAGE ON SCHEMA public TO "auditor";',
        'REVOKE ALL ON public.alembic_version, public.payouts, public.payout_shares, public.clawbacks FROM "auditor";',
        'GRANT SELECT ON public.alembic_version, public.payouts, public.payout_shares, public.clawbacks TO "auditor";',
        'ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO "auditor";']
    code, _, err = run("ledger", "grant-reader", "auditor", "--ledger", f"sqlite:///{tmp_path / 'l.db'}", capsys=capsys)
    assert (code, err.strip()) == (2, "错误：只读用户只适用于 PostgreSQL 账本：SQLite 账本是一个文件，请把文件的副本（或只读权限）交给审计人员")
    code, _, err = run("ledger", "grant-reader", "a;drop", "--print-sql", "--ledger", "postgresql://o@h/l", capsys=capsys)
    assert (code, err.strip()) == (2, "错误：数据库用户名“a;drop”无效：只能由英文字母、数字和下划线组成，以字母或下划线开头，不超过63个字符")


@pytest.mark.postgres
def test_grant_reader_refuses_a_role_that_does_not_exist(tmp_path, capsys):
    url = make_ledger("postgres", tmp_path)
    code, _, err = run("ledger", "grant-reader", "subsidy_ledger_nobody", "--ledger", url, capsys=capsys)
    assert (code, err.strip()) == (2, "错误：数据库用户“subsidy_ledger_nobody”不存在：请数据库管理员先创建（CREATE ROLE "
                                      "subsidy_ledger_nobody LOGIN PASSWORD '…'），再运行本命令")
