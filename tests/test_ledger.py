"""The payout ledger (SPEC 7, issues 3 and 8): record, refuse conflicts whole, history, clawback, opening a ledger
and the driver's errors — on SQLite and, when SUBSIDY_TEST_PG_URL is set, on PostgreSQL too."""
from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from factory import code
from pgfake import FakePostgres
from subsidy import ledger as L
from subsidy.cli import main
from subsidy.ledger import db
from subsidy.models import Company
from workbooks import workbook_bytes

PG_URL = os.environ.get("SUBSIDY_TEST_PG_URL")
A, B, C = code(101), code(102), code(103)
TODAY = dt.date(2025, 3, 1)


# --------------------------------------------------------------------------- helpers (also used by test_audit*)


def wipe_pg(url: str) -> None:
    eng = create_engine(db.parse_url(url))
    with eng.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS clawbacks, payout_shares, payouts, alembic_version CASCADE"))
        conn.execute(text("DROP FUNCTION IF EXISTS subsidy_append_only(), subsidy_clawback_return_only()"))
    eng.dispose()


def make_ledger(kind: str, tmp_path: Path) -> str:
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'ledger.db'}"
    else:
        if not PG_URL:
            pytest.skip("SUBSIDY_TEST_PG_URL 未设置：跳过 PostgreSQL 测试")
        url = PG_URL
        wipe_pg(url)
    L.init(url)
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ledger_url(request, tmp_path) -> str:
    return make_ledger(request.param, tmp_path)


def ln(claim_id: str, category: str, payable, *, credit_code: str = A, subject: str = "", measure: int = 24,
       payers: dict | None = None, name: str | None = None) -> dict:
    amount = f"{Decimal(str(payable)):.2f}"
    return {"claim_id": claim_id, "credit_code": credit_code, "company_name": name or f"企业{credit_code[-4:]}",
            "category_code": category, "measure": measure, "subject": subject, "status": "awarded",
            "standard_amount": amount, "payable": amount,
            "payers": payers if payers is not None else ({"珠山区财政": amount} if Decimal(amount) else {}),
            "reasons": []}


def result(year: int, *lines: dict, sha: str = "ab" * 32, tax: dict | None = None, region: str = "珠山区") -> dict:
    codes = sorted({x["credit_code"] for x in lines})
    tax = tax or {}
    return {
        "schema": "subsidy.assessment/1", "policy": {"id": "jdz-2023"}, "year": year, "input": {"sha256": sha},
        "parameters": {}, "lines": list(lines),
        "companies": [{"credit_code": c, "company_name": f"企业{c[-4:]}", "region": region,
                       "local_retained_tax": tax.get(c, "10000000.00"), "requested": "0.00", "payable": "0.00",
                       "capped": False} for c in codes],
        "deposits": [], "clawbacks": [], "totals": {}, "issues": [],
    }


def write(tmp_path: Path, name: str, data: dict) -> Path:
    p = tmp_path / name
    p.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return p


def rec(url: str, tmp_path: Path, data: dict, *, name: str = "r.json", paid_on: str = "2024-01-20"):
    return L.record(url, write(tmp_path, name, data), approved_by="张三", paid_on=dt.date.fromisoformat(paid_on),
                    today=TODAY)


def run(*argv, capsys) -> tuple[int, str, str]:
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def name(credit_code: str) -> str:
    """The company name ln() and result() give."""
    return f"企业{credit_code[-4:]}"


def keys(url: str) -> list[tuple]:
    return sorted((p.credit_code, p.category, p.subject_norm, p.reward_year, str(p.amount)) for p in L.payouts(url))


# --------------------------------------------------------------------------- record

RECORD_CASES = [
    ("a new result records every line with payable above zero, and no other",
     [result(2023, ln("A-1", "tech_provincial", 200000), ln("A-2", "method_national", 0, subject="工法甲"))],
     [(A, "tech_provincial", "", 2023, "200000.00")]),
    ("a rejected row with no category and nothing payable does not stop the record",
     [result(2023, ln("A-1", "tech_provincial", 200000),
             {**ln("X-9", "", 0, credit_code=""), "category_code": "", "measure": None})],
     [(A, "tech_provincial", "", 2023, "200000.00")]),
    ("the same result recorded twice is recorded once",
     [result(2023, ln("A-1", "tech_provincial", 200000))] * 2,
     [(A, "tech_provincial", "", 2023, "200000.00")]),
    ("the same result recorded again from another file name is recorded once",
     [result(2023, ln("A-1", "luban", 500000, subject="瓷都 大厦Ａ", measure=6))] * 2,
     [(A, "luban", "瓷都大厦A", 2023, "500000.00")]),
    ("an upgrade in the same family the next year is a new payout",
     [result(2023, ln("A-1", "tech_provincial", 200000)), result(2024, ln("A-2", "tech_national", 300000))],
     [(A, "tech_national", "", 2024, "300000.00"), (A, "tech_provincial", "", 2023, "200000.00")]),
    ("HQ relocation is paid once per reward year, so the next year's is a new payout",
     [result(2023, ln("H-1", "hq_relocation", 800000, measure=5)),
      result(2024, ln("H-2", "hq_relocation", 900000, measure=5))],
     [(A, "hq_relocation", "", 2023, "800000.00"), (A, "hq_relocation", "", 2024, "900000.00")]),
    ("overlapping results record the union, each payout once",
     [result(2023, ln("A-1", "tech_provincial", 200000), ln("B-1", "qual_grade1", 500000, credit_code=B)),
      result(2023, ln("B-1", "qual_grade1", 500000, credit_code=B), ln("C-1", "qual_design", 500000, credit_code=C))],
     [(A, "tech_provincial", "", 2023, "200000.00"), (B, "qual_grade1", "", 2023, "500000.00"),
      (C, "qual_design", "", 2023, "500000.00")]),
]


@pytest.mark.parametrize("name,results,expected", RECORD_CASES, ids=[c[0] for c in RECORD_CASES])
def test_record(ledger_url, tmp_path, name, results, expected):
    for i, r in enumerate(results):
        rec(ledger_url, tmp_path, r, name=f"r{i}.json")
    assert keys(ledger_url) == expected


def test_recording_again_reports_nothing_new(ledger_url, tmp_path):
    r = result(2023, ln("A-1", "tech_provincial", 200000), ln("B-1", "qual_grade1", 500000, credit_code=B))
    first = rec(ledger_url, tmp_path, r)
    again = rec(ledger_url, tmp_path, r)
    assert (len(first.new), first.unchanged, first.new_amount) == (2, 0, Decimal("700000.00"))
    assert (len(again.new), again.unchanged) == (0, 2)


def test_a_payout_keeps_every_field_the_issue_names(ledger_url, tmp_path):
    r = result(2024, ln("H-1", "hq_relocation", "800000.01", measure=5, credit_code=B,
                        payers={"市财政": "400000.01", "高新区财政": "400000.00"}),
               sha="cd" * 32, tax={B: "3000000.50"}, region="高新区")
    rec(ledger_url, tmp_path, r, paid_on="2025-02-03")
    [p] = L.payouts(ledger_url)
    assert (p.policy_id, p.credit_code, p.category, p.reward_year, p.amount, p.paid_on, p.approved_by, p.claim_id,
            p.input_sha256, p.region, p.local_retained_tax, p.measure) == (
        "jdz-2023", B, "hq_relocation", 2024, Decimal("800000.01"), dt.date(2025, 2, 3), "张三", "H-1", "cd" * 32,
        "高新区", Decimal("3000000.50"), 5)
    assert p.payers == {"市财政": Decimal("400000.01"), "高新区财政": Decimal("400000.00")}
    assert all(isinstance(v, Decimal) for v in (p.amount, *p.payers.values()))


SHA1, SHA2 = "ab" * 32, "cd" * 32
EARLIER_A1 = f"2023年度 2024-01-20 兑现 200,000.00 元（申报编号 A-1，申报汇总表 SHA-256 abababababab…，审批人 张三）"

CONFLICT_CASES = [
    ("a second result authorising a recorded payout (another 申报编号, another input file, same amount) is refused",
     result(2023, ln("A-1", "tech_provincial", 200000), sha=SHA1),
     result(2023, ln("N-7", "tech_provincial", 200000), ln("B-1", "qual_grade1", 500000, credit_code=B), sha=SHA2),
     f"{name(A)}（{A}）2023年度 省级企业技术中心 200,000.00 元（申报编号 N-7）：同一奖励已由另一份核定结果记账，"
     f"不得再次兑现；账本中已有：{EARLIER_A1}"),
    ("the same 申报编号 from another input file is another authorisation",
     result(2023, ln("A-1", "tech_provincial", 200000), sha=SHA1),
     result(2023, ln("A-1", "tech_provincial", 200000), ln("B-1", "qual_grade1", 500000, credit_code=B), sha=SHA2),
     f"{name(A)}（{A}）2023年度 省级企业技术中心 200,000.00 元（申报编号 A-1）：同一奖励已由另一份核定结果记账，"
     f"不得再次兑现；账本中已有：{EARLIER_A1}"),
    ("another 申报编号 of the same input file is another authorisation",
     result(2023, ln("A-1", "tech_provincial", 200000), sha=SHA1),
     result(2023, ln("A-2", "tech_provincial", 200000), ln("B-1", "qual_grade1", 500000, credit_code=B), sha=SHA1),
     f"{name(A)}（{A}）2023年度 省级企业技术中心 200,000.00 元（申报编号 A-2）：同一奖励已由另一份核定结果记账，"
     f"不得再次兑现；账本中已有：{EARLIER_A1}"),
    ("a different amount for a recorded line of the same result",
     result(2023, ln("A-1", "tech_provincial", 200000)),
     result(2023, ln("A-1", "tech_provincial", 150000), ln("B-1", "qual_grade1", 500000, credit_code=B)),
     f"{name(A)}（{A}）2023年度 省级企业技术中心 150,000.00 元（申报编号 A-1）：同一申报已按不同的金额记账；"
     f"账本中已有：{EARLIER_A1}"),
    ("a different split between treasuries for a recorded line of the same result",
     result(2023, ln("A-1", "prefab_provincial", 500000, measure=7,
                     payers={"市财政": "250000.00", "珠山区财政": "250000.00"})),
     result(2023, ln("A-1", "prefab_provincial", 500000, measure=7, payers={"珠山区财政": "500000.00"}),
            ln("B-1", "qual_grade1", 500000, credit_code=B)),
     f"{name(A)}（{A}）2023年度 省级装配式建筑产业基地 500,000.00 元（申报编号 A-1）：同一申报已按不同的出资财政记账"
     "（账本中为 市财政 250,000.00 元、珠山区财政 250,000.00 元，本次为 珠山区财政 500,000.00 元）；账本中已有：2023年度 "
     "2024-01-20 兑现 500,000.00 元（申报编号 A-1，申报汇总表 SHA-256 abababababab…，审批人 张三）"),
    ("a subject differing only in white space and full-width letters is the same payout",
     result(2023, ln("A-1", "luban", 500000, subject="瓷都 大厦Ａ", measure=6)),
     result(2023, ln("A-9", "luban", 500000, subject=" 瓷都大厦A ", measure=6),
            ln("B-1", "qual_grade1", 500000, credit_code=B), sha=SHA2),
     f"{name(A)}（{A}）2023年度 鲁班奖「瓷都大厦A」 500,000.00 元（申报编号 A-9）：同一奖励已由另一份核定结果记账，"
     "不得再次兑现；账本中已有：2023年度 2024-01-20 兑现 500,000.00 元（申报编号 A-1，申报汇总表 SHA-256 "
     "abababababab…，审批人 张三）"),
    ("a one-time qualification under another certificate number in the same year is the same payout",
     result(2023, ln("A-1", "qual_grade1", 500000, subject="证书甲", measure=2)),
     result(2023, ln("A-5", "qual_grade1", 500000, subject="证书乙", measure=2),
            ln("B-1", "qual_grade1", 500000, credit_code=B), sha=SHA2),
     f"{name(A)}（{A}）2023年度 施工总承包一级资质「证书乙」 500,000.00 元（申报编号 A-5）：同一奖励已由另一份核定结果记账，"
     "不得再次兑现；账本中已有：2023年度「证书甲」 2024-01-20 兑现 500,000.00 元（申报编号 A-1，申报汇总表 SHA-256 "
     "abababababab…，审批人 张三）"),
    ("a one-time reward already paid in an earlier year",
     result(2023, ln("A-1", "qual_grade1", 500000, measure=2)),
     result(2024, ln("A-7", "qual_grade1", 500000, measure=2), ln("B-1", "qual_grade1", 500000, credit_code=B)),
     f"{name(A)}（{A}）2024年度 施工总承包一级资质 500,000.00 元（申报编号 A-7）：一次性奖励已在 2023 年度兑现，"
     "不得重复兑现；账本中已有：2023年度 2024-01-20 兑现 500,000.00 元（申报编号 A-1，申报汇总表 SHA-256 "
     "abababababab…，审批人 张三）"),
    ("the same project's honour already paid in an earlier year",
     result(2023, ln("A-1", "luban", 500000, subject="瓷都大厦", measure=6)),
     result(2024, ln("A-7", "luban", 500000, subject="瓷都 大厦", measure=6),
            ln("B-1", "qual_grade1", 500000, credit_code=B)),
     f"{name(A)}（{A}）2024年度 鲁班奖「瓷都 大厦」 500,000.00 元（申报编号 A-7）：一次性奖励已在 2023 年度兑现，"
     "不得重复兑现；账本中已有：2023年度 2024-01-20 兑现 500,000.00 元（申报编号 A-1，申报汇总表 SHA-256 "
     "abababababab…，审批人 张三）"),
]


@pytest.mark.parametrize("name_,first,second,conflict", CONFLICT_CASES, ids=[c[0] for c in CONFLICT_CASES])
def test_a_conflict_refuses_the_whole_record_and_names_the_earlier_payout(ledger_url, tmp_path, name_, first, second,
                                                                          conflict):
    rec(ledger_url, tmp_path, first, name="first.json")
    before = keys(ledger_url)
    with pytest.raises(L.LedgerConflict) as e:
        rec(ledger_url, tmp_path, second, name="second.json")
    assert keys(ledger_url) == before  # B-1, which conflicts with nothing, was not written either
    assert e.value.exit_code == 1 and e.value.conflicts == [conflict]


def test_a_second_schedule_for_a_recorded_payout_is_refused_on_the_command_line_with_every_conflict_listed(
        ledger_url, tmp_path, capsys):
    first = write(tmp_path, "a.json", result(2023, ln("A-1", "tech_provincial", 200000),
                                             ln("B-1", "qual_grade1", 500000, credit_code=B), sha=SHA1))
    second = write(tmp_path, "b.json", result(2023, ln("N-1", "tech_provincial", 200000),
                                              ln("N-2", "qual_grade1", 500000, credit_code=B),
                                              ln("N-3", "qual_design", 500000, credit_code=C, measure=2), sha=SHA2))
    args = ("--ledger", ledger_url, "--approved-by", "张三", "--paid-on", "2024-01-20")
    assert run("ledger", "record", first, *args, capsys=capsys)[0] == 0
    rc, out, err = run("ledger", "record", second, *args, capsys=capsys)
    assert (rc, out) == (1, "")
    assert err == (
        "错误：与账本中已有的兑现记录冲突 2 处，本次未写入任何记录：\n"
        f"  1. {name(A)}（{A}）2023年度 省级企业技术中心 200,000.00 元（申报编号 N-1）：同一奖励已由另一份核定结果记账，"
        f"不得再次兑现；账本中已有：{EARLIER_A1}\n"
        f"  2. {name(B)}（{B}）2023年度 施工总承包一级资质 500,000.00 元（申报编号 N-2）：同一奖励已由另一份核定结果记账，"
        "不得再次兑现；账本中已有：2023年度 2024-01-20 兑现 500,000.00 元（申报编号 B-1，申报汇总表 SHA-256 "
        "abababababab…，审批人 张三）\n")
    assert len(L.payouts(ledger_url)) == 2  # C's payout, which conflicts with nothing, was not written either


def test_recording_the_same_result_again_prints_that_nothing_was_recorded_twice(ledger_url, tmp_path, capsys):
    r = write(tmp_path, "a.json", result(2023, ln("A-1", "tech_provincial", 200000)))
    args = ("ledger", "record", r, "--ledger", ledger_url, "--approved-by", "张三")
    rc, out, err = run(*args, "--paid-on", "2024-01-20", capsys=capsys)
    assert (rc, err) == (0, "") and "新记录 1 笔，合计 200,000.00 元；已在账本中（未重复记录）0 笔。" in out
    rc, out, err = run(*args, "--paid-on", "2024-01-20", capsys=capsys)
    assert (rc, err) == (0, "") and "新记录 0 笔，合计 0.00 元；已在账本中（未重复记录）1 笔。" in out
    assert "注意" not in out


def test_recording_the_same_result_again_with_another_payment_date_says_the_ledger_keeps_its_date(
        ledger_url, tmp_path, capsys):
    r = write(tmp_path, "a.json", result(2023, ln("A-1", "tech_provincial", 200000)))
    args = ("ledger", "record", r, "--ledger", ledger_url, "--approved-by", "张三")
    run(*args, "--paid-on", "2024-01-20", capsys=capsys)
    rc, out, err = run(*args, "--paid-on", "2024-02-01", capsys=capsys)
    assert (rc, err) == (0, "")
    assert ("注意：已在账本中的 1 笔兑现日期为 2024-01-20，与本次 --paid-on 2024-02-01 不同，账本中的日期未改变。"
            in out.replace("\n", ""))
    assert [p.paid_on for p in L.payouts(ledger_url)] == [dt.date(2024, 1, 20)]


def test_the_same_reward_twice_in_one_result_is_refused(tmp_path):
    url = make_ledger("sqlite", tmp_path)
    r = result(2023, ln("A-1", "luban", 500000, subject="瓷都大厦", measure=6),
               ln("A-2", "luban", 500000, subject="瓷都 大厦", measure=6),
               ln("A-3", "qual_grade1", 500000, subject="证书甲", measure=2),
               ln("A-4", "qual_grade1", 500000, subject="证书乙", measure=2))
    with pytest.raises(L.BadResultFile) as e:
        rec(url, tmp_path, r)
    assert str(e.value) == (
        f"核定结果中同一奖励出现两次，不能记账：申报编号 A-1 与 A-2 是同一奖励（{name(A)}（{A}）2023年度 鲁班奖「瓷都 大厦」）；"
        f"申报编号 A-3 与 A-4 是同一奖励（{name(A)}（{A}）2023年度 施工总承包一级资质「证书乙」）")
    assert e.value.exit_code == 2 and L.payouts(url) == []


BAD_RESULTS = [
    ("a file of another schema", {"schema": "something/1"}, "schema"),
    ("a line without its category", {**result(2023), "lines": [{"claim_id": "x", "credit_code": A, "payable": "1.00"}]},
     "category_code"),
    ("an amount with three decimals", result(2023, {**ln("A-1", "tech_provincial", 1), "payable": "1.005"}), "payable"),
    ("a float amount", result(2023, {**ln("A-1", "tech_provincial", 1), "payable": 1.5}), "payable"),
    ("treasuries that do not add up to the payable",
     result(2023, ln("A-1", "tech_provincial", 100, payers={"珠山区财政": "99.00"})), "出资财政合计"),
    ("a category the policy does not have", result(2023, ln("A-1", "no_such", 100)), "不属于政策"),
    ("the same claim twice", result(2023, ln("A-1", "tech_provincial", 100), ln("A-2", "tech_provincial", 100)),
     "同一奖励出现两次"),
]


@pytest.mark.parametrize("name,data,word", BAD_RESULTS, ids=[c[0] for c in BAD_RESULTS])
def test_an_unreadable_result_is_refused(tmp_path, name, data, word):
    url = make_ledger("sqlite", tmp_path)
    with pytest.raises(L.BadResultFile) as e:
        rec(url, tmp_path, data)
    assert word in str(e.value) and e.value.exit_code == 2
    assert L.payouts(url) == []


PAYMENT_DATES = [
    ("a payment date in the future is refused", 2023, "2025-03-02",
     "兑现日期 2025-03-02 晚于今天 2025-03-01：只能记录已经兑现的奖励"),
    ("a payment date before the reward year is refused", 2023, "2022-12-31",
     "兑现日期 2022-12-31 早于本政策施行日 2023-01-13：不是按本政策（景府办字〔2023〕2号）兑现的奖励，不能记入本政策的账本"),
    ("a payment date before the policy took effect is refused", 2023, "2023-01-12",
     "兑现日期 2023-01-12 早于本政策施行日 2023-01-13：不是按本政策（景府办字〔2023〕2号）兑现的奖励，不能记入本政策的账本"),
    ("a payment date before the reward year, within the policy, is refused", 2024, "2023-12-31",
     "兑现日期 2023-12-31 早于奖励年度 2024 年：奖励不能在取得之前兑现"),
    ("a reward year before the policy took effect is refused", 2022, "2023-03-01",
     "奖励年度 2022 早于本政策施行年度 2023：不是按本政策（景府办字〔2023〕2号）兑现的奖励，不能记入本政策的账本"),
]


@pytest.mark.parametrize("name_,year,paid_on,message", PAYMENT_DATES, ids=[c[0] for c in PAYMENT_DATES])
def test_impossible_payment_dates(tmp_path, name_, year, paid_on, message):
    url = make_ledger("sqlite", tmp_path)
    with pytest.raises(L.BadResultFile) as e:
        rec(url, tmp_path, result(year, ln("A-1", "tech_provincial", 1)), paid_on=paid_on)
    assert str(e.value) == message and L.payouts(url) == []


def test_the_payment_date_and_the_ones_on_the_first_and_last_possible_day_are_kept(tmp_path):
    url = make_ledger("sqlite", tmp_path)
    rec(url, tmp_path, result(2023, ln("A-1", "tech_provincial", 1)), paid_on="2023-01-13", name="a.json")
    rec(url, tmp_path, result(2024, ln("A-2", "qual_design", 1, measure=2)), paid_on=str(TODAY), name="b.json")
    assert [str(p.paid_on) for p in L.payouts(url)] == ["2023-01-13", str(TODAY)]


def test_record_on_the_command_line_requires_the_payment_date(tmp_path, capsys):
    url = make_ledger("sqlite", tmp_path)
    r = write(tmp_path, "a.json", result(2023, ln("A-1", "tech_provincial", 200000)))
    rc, out, err = run("ledger", "record", r, "--ledger", url, "--approved-by", "张三", capsys=capsys)
    assert (rc, out, err) == (2, "", "错误：缺少参数 --paid-on（用 subsidy ledger record --help 查看用法）\n")
    assert L.payouts(url) == []


def test_a_payment_date_in_the_future_is_refused_on_the_command_line(tmp_path, capsys):
    url = make_ledger("sqlite", tmp_path)
    r = write(tmp_path, "a.json", result(2023, ln("A-1", "tech_provincial", 200000)))
    rc, out, err = run("ledger", "record", r, "--ledger", url, "--approved-by", "张三", "--paid-on", "2099-01-01",
                       capsys=capsys)
    assert (rc, out) == (2, "")
    assert err == f"错误：兑现日期 2099-01-01 晚于今天 {dt.date.today()}：只能记录已经兑现的奖励\n"


# --------------------------------------------------------------------------- URLs and connections

URL_CASES = [
    ("a bare file name is not a URL", "ledger.db", L.BadLedgerUrl,
     "账本地址“ledger.db”无效：应为 sqlite:///文件路径 或 postgresql+psycopg://用户@主机:端口/数据库"),
    ("MySQL is not supported", "mysql://u@h/db", L.BadLedgerUrl,
     "不支持的账本数据库“mysql”：只支持 sqlite:///文件路径 和 postgresql+psycopg://…"),
    ("an in-memory SQLite database cannot be a ledger", "sqlite://", L.BadLedgerUrl,
     "账本地址缺少 SQLite 文件路径：应为 sqlite:///文件路径（内存数据库不能作账本）"),
    ("a PostgreSQL URL without a database", "postgresql+psycopg://u@127.0.0.1:5432", L.BadLedgerUrl,
     "账本地址“postgresql+psycopg://u@127.0.0.1:5432”缺少数据库名：应为 postgresql+psycopg://用户@主机:端口/数据库"),
    ("a SQLite file that does not exist is not created by reading", "sqlite:///{tmp}/nope.db", L.LedgerMissing,
     "账本文件不存在：{tmp}/nope.db（新账本请先用 subsidy ledger init --ledger sqlite:///{tmp}/nope.db 创建）"),
    ("a host name that does not resolve", "postgresql+psycopg://clerk:secret@no-such-host.invalid/ledger",
     L.LedgerUnavailable, "无法连接账本数据库 postgresql+psycopg://clerk:***@no-such-host.invalid/ledger："
     "找不到主机“no-such-host.invalid”（主机名写错了，或网络不通）"),
]


@pytest.mark.parametrize("name_,url,error,message", URL_CASES, ids=[c[0] for c in URL_CASES])
def test_bad_urls_and_unreachable_databases(tmp_path, name_, url, error, message):
    with pytest.raises(error) as e:
        L.payouts(url.format(tmp=tmp_path))
    assert str(e.value) == message.format(tmp=tmp_path) and e.value.exit_code == 2


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_server_that_refuses_the_connection_is_one_chinese_line(tmp_path, capsys):
    port = _closed_port()
    url = f"postgresql+psycopg://clerk:secret@127.0.0.1:{port}/ledger"
    rc, out, err = run("ledger", "list", "--ledger", url, capsys=capsys)
    assert (rc, out) == (2, "")
    assert err == (f"错误：无法连接账本数据库 postgresql+psycopg://clerk:***@127.0.0.1:{port}/ledger："
                   f"127.0.0.1:{port} 上没有数据库服务（服务未启动，或主机、端口不对）\n")


def test_a_server_that_rejects_the_password_is_one_chinese_line(capsys):
    """The shared test server trusts every local connection, so a fake server on loopback rejects the password
    as PostgreSQL does (SQLSTATE 28P01); the driver (libpq) is the real one."""
    with FakePostgres("password") as pg:
        url = f"postgresql+psycopg://clerk:wrong@127.0.0.1:{pg.port}/ledger"
        rc, out, err = run("ledger", "list", "--ledger", url, capsys=capsys)
    assert pg.passwords == [b"wrong"]  # the driver did send the password, and the server refused it
    assert (rc, out) == (2, "")
    assert err == (f"错误：无法连接账本数据库 postgresql+psycopg://clerk:***@127.0.0.1:{pg.port}/ledger："
                   "用户“clerk”身份验证失败（用户名或密码错误）\n")


def test_a_server_that_wants_a_password_the_url_lacks_is_one_chinese_line(capsys):
    with FakePostgres("password") as pg:
        url = f"postgresql+psycopg://clerk@127.0.0.1:{pg.port}/ledger"
        rc, out, err = run("ledger", "list", "--ledger", url, capsys=capsys)
    assert (rc, out) == (2, "")
    assert err == (f"错误：无法连接账本数据库 postgresql+psycopg://clerk@127.0.0.1:{pg.port}/ledger："
                   "服务器要求用户“clerk”的密码，但账本地址中没有密码\n")


def test_a_server_that_never_answers_times_out_in_one_chinese_line(capsys, monkeypatch):
    monkeypatch.setattr(db, "CONNECT_TIMEOUT", 2)
    with FakePostgres("silent") as pg:
        url = f"postgresql+psycopg://clerk@127.0.0.1:{pg.port}/ledger"
        rc, out, err = run("ledger", "list", "--ledger", url, capsys=capsys)
    assert (rc, out) == (2, "")
    assert err == (f"错误：无法连接账本数据库 postgresql+psycopg://clerk@127.0.0.1:{pg.port}/ledger："
                   f"127.0.0.1:{pg.port} 在 2 秒内没有应答（主机、端口不对，或网络不通）\n")


def _pg_url_with(**parts) -> str:
    return db.parse_url(PG_URL).set(**parts).render_as_string(hide_password=False)


@pytest.mark.postgres
def test_a_database_that_does_not_exist_is_one_chinese_line(capsys):
    if not PG_URL:
        pytest.skip("SUBSIDY_TEST_PG_URL 未设置：跳过 PostgreSQL 测试")
    url = _pg_url_with(database="subsidy_no_such_database")
    rc, out, err = run("ledger", "init", "--ledger", url, capsys=capsys)
    assert (rc, out) == (2, "")
    assert err == (f"错误：无法连接账本数据库 {db.shown(url)}：数据库“subsidy_no_such_database”不存在"
                   "（数据库名写错了，或尚未由数据库管理员创建）\n")


@pytest.mark.postgres
def test_a_database_user_that_does_not_exist_is_one_chinese_line(capsys):
    if not PG_URL:
        pytest.skip("SUBSIDY_TEST_PG_URL 未设置：跳过 PostgreSQL 测试")
    url = _pg_url_with(username="subsidy_no_such_clerk")
    rc, out, err = run("ledger", "list", "--ledger", url, capsys=capsys)
    assert (rc, out) == (2, "")
    assert err == f"错误：无法连接账本数据库 {db.shown(url)}：数据库用户“subsidy_no_such_clerk”不存在\n"


@pytest.mark.postgres
def test_a_database_user_without_the_right_to_create_tables_is_one_chinese_line(capsys):
    if not PG_URL:
        pytest.skip("SUBSIDY_TEST_PG_URL 未设置：跳过 PostgreSQL 测试")
    wipe_pg(PG_URL)
    role = f"{db.parse_url(PG_URL).database}_typist"  # a role of this test's own, dropped at the end
    eng = create_engine(db.parse_url(PG_URL))
    with eng.begin() as conn:
        conn.execute(text(f"DROP ROLE IF EXISTS {role}"))
        conn.execute(text(f"CREATE ROLE {role} LOGIN"))
        conn.execute(text(f"REVOKE CREATE ON SCHEMA public FROM PUBLIC, {role}"))
    try:
        url = _pg_url_with(username=role)
        rc, out, err = run("ledger", "init", "--ledger", url, capsys=capsys)
    finally:
        with eng.begin() as conn:
            conn.execute(text(f"DROP ROLE {role}"))
        eng.dispose()
    assert (rc, out) == (2, "")
    assert err == (f"错误：账本数据库 {db.shown(url)} 拒绝了用户“{role}”的操作：没有所需的权限"
                   "（建立账本须有该数据库的建表权限，记账须有账本各表的写入权限）\n")


@pytest.mark.postgres
def test_a_real_server_that_rejects_the_password_is_one_chinese_line(capsys):
    """Only where a password-checking server is at hand: SUBSIDY_TEST_PG_BAD_PASSWORD_URL names a ledger URL
    with a wrong password (the shared test server trusts every local connection)."""
    url = os.environ.get("SUBSIDY_TEST_PG_BAD_PASSWORD_URL")
    if not url:
        pytest.skip("SUBSIDY_TEST_PG_BAD_PASSWORD_URL 未设置：没有检查密码的 PostgreSQL")
    rc, out, err = run("ledger", "list", "--ledger", url, capsys=capsys)
    u = db.parse_url(url)
    assert (rc, out) == (2, "")
    assert err == f"错误：无法连接账本数据库 {db.shown(u)}：用户“{u.username}”身份验证失败（用户名或密码错误）\n"


@pytest.mark.postgres
def test_a_postgresql_database_without_the_ledger_tables_is_refused_by_every_command_but_init(tmp_path, capsys):
    if not PG_URL:
        pytest.skip("SUBSIDY_TEST_PG_URL 未设置：跳过 PostgreSQL 测试")
    wipe_pg(PG_URL)
    r = write(tmp_path, "a.json", result(2023, ln("A-1", "tech_provincial", 200000)))
    app = tmp_path / "app.xlsx"
    app.write_bytes(workbook_bytes({"企业": [["统一社会信用代码", "企业名称", "注册地", "信用评价分", "列入黑名单",
                                             "拖欠农民工工资", "质量安全事故等级", "弄虚作假", "地方留成税收(元)",
                                             "迁出日期"]],
                                   "已兑现奖励": [["统一社会信用代码", "奖励类别", "项目或证书名称", "奖励年度", "兑现日期",
                                              "兑现金额(元)"]]}))
    message = (f"错误：数据库 {db.shown(PG_URL)} 中没有兑现账本的数据表：如果这就是要用的账本，请先用同一地址运行 "
               "subsidy ledger init\n")
    for argv in (["ledger", "record", r, "--approved-by", "张三", "--paid-on", "2024-01-20"], ["ledger", "list"],
                 ["ledger", "export", "-o", tmp_path / "x.xlsx"], ["ledger", "clawback", "--applications", app],
                 ["ledger", "returned", A, "--returned-on", "2025-01-01"], ["ledger", "import", app, "--approved-by", "张三"],
                 ["audit", "--ledger", PG_URL], ["assess", app, "--year", "2024", "--ledger", PG_URL]):
        if "--ledger" not in argv:
            argv = [*argv, "--ledger", PG_URL]
        rc, out, err = run(*argv, capsys=capsys)
        assert (rc, err) == (2, message), argv
    eng = create_engine(db.parse_url(PG_URL))
    with eng.connect() as conn:
        assert inspect(conn).get_table_names() == []  # nothing was created on the way
    eng.dispose()
    rc, out, err = run("ledger", "init", "--ledger", PG_URL, capsys=capsys)
    assert (rc, err) == (0, "") and f"账本已就绪：{db.shown(PG_URL)}" in out
    assert run("ledger", "record", r, "--approved-by", "张三", "--paid-on", "2024-01-20", "--ledger", PG_URL,
               capsys=capsys)[0] == 0


def test_a_sqlite_file_without_the_ledger_tables_is_refused_until_init(tmp_path, capsys):
    f = tmp_path / "empty.db"
    f.write_bytes(b"")  # an empty file is an empty SQLite database
    url = f"sqlite:///{f}"
    rc, out, err = run("ledger", "list", "--ledger", url, capsys=capsys)
    assert (rc, out) == (2, "")
    assert err == (f"错误：文件 {f} 中没有兑现账本的数据表：如果这就是要用的账本，请先运行 subsidy ledger init "
                   f"--ledger {url}\n")
    assert f.read_bytes() == b""
    assert run("ledger", "init", "--ledger", url, capsys=capsys)[0] == 0
    assert run("ledger", "list", "--ledger", url, capsys=capsys)[0] == 0


def test_a_database_of_another_program_is_not_taken_for_a_ledger(tmp_path, capsys):
    f = tmp_path / "other.db"
    eng = create_engine(f"sqlite:///{f}")
    with eng.begin() as conn:
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)"))
        conn.execute(text("INSERT INTO alembic_version VALUES ('3f2a9c')"))
    eng.dispose()
    rc, out, err = run("ledger", "init", "--ledger", f"sqlite:///{f}", capsys=capsys)
    assert (rc, out) == (2, "")
    assert err == f"错误：sqlite:///{f} 不是兑现账本：其中的 alembic_version 表（版本 3f2a9c）属于别的程序\n"


def test_the_url_comes_from_the_option_then_the_environment_then_the_default(monkeypatch):
    monkeypatch.delenv("SUBSIDY_LEDGER", raising=False)
    assert L.resolve_url(None) == "sqlite:///ledger.db"
    monkeypatch.setenv("SUBSIDY_LEDGER", "sqlite:///env.db")
    assert (L.resolve_url(None), L.resolve_url("sqlite:///opt.db")) == ("sqlite:///env.db", "sqlite:///opt.db")
    assert L.parse_url("postgres://u@h/db").drivername == "postgresql+psycopg"


def test_the_schema_is_the_latest_migration_and_matches_the_models(ledger_url):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from subsidy.ledger.schema import Base

    eng = db.open_engine(ledger_url)
    with eng.connect() as conn:
        ctx = MigrationContext.configure(conn)
        assert ctx.get_current_revision() == db._head()
        diff = [d for d in compare_metadata(ctx, Base.metadata) if d[0] not in ("remove_index", "add_index")]
    eng.dispose()
    assert diff == []


def test_a_ledger_from_a_newer_program_is_refused(tmp_path):
    url = make_ledger("sqlite", tmp_path)
    eng = create_engine(url)
    with eng.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    eng.dispose()
    with pytest.raises(L.LedgerSchemaError, match="比本程序新"):
        L.payouts(url)


# --------------------------------------------------------------------------- concurrency


def _record_in_process(url: str, path: str, barrier, queue) -> None:
    barrier.wait()
    try:
        out = L.record(url, path, approved_by="并发", paid_on=dt.date(2024, 1, 20), today=TODAY)
        queue.put(("ok", len(out.new), out.unchanged))
    except L.LedgerConflict as e:
        queue.put(("conflict", len(e.conflicts), 0))
    except Exception as e:  # noqa: BLE001 - reported to the parent as a failure
        queue.put(("error", repr(e), 0))


def _race(url: str, paths: list[Path], *, target=_record_in_process) -> list[tuple]:
    ctx = multiprocessing.get_context("spawn")
    barrier, queue = ctx.Barrier(len(paths)), ctx.Queue()
    procs = [ctx.Process(target=target, args=(url, str(p), barrier, queue)) for p in paths]
    for p in procs:
        p.start()
    outcomes = [queue.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    return outcomes


def test_processes_recording_overlapping_batches_at_once_leave_one_payout_per_key(ledger_url, tmp_path):
    lines = [ln("A-1", "tech_provincial", 200000), ln("B-1", "qual_grade1", 500000, credit_code=B),
             ln("C-1", "qual_design", 500000, credit_code=C), ln("A-2", "luban", 500000, subject="瓷都大厦", measure=6)]
    batches = [lines[0:2], lines[1:3], lines[2:4], lines, [lines[3], lines[0]], lines[::-1]]
    paths = [write(tmp_path, f"b{i}.json", result(2023, *b)) for i, b in enumerate(batches)]
    outcomes = _race(ledger_url, paths)
    assert all(o[0] == "ok" for o in outcomes), outcomes
    assert sum(o[1] for o in outcomes) == 4  # each payout recorded by exactly one process
    assert len(keys(ledger_url)) == 4


def test_processes_recording_conflicting_amounts_at_once_leave_exactly_one(ledger_url, tmp_path):
    paths = [write(tmp_path, f"c{i}.json", result(2023, ln("A-1", "tech_provincial", 200000 - i))) for i in range(4)]
    outcomes = _race(ledger_url, paths)
    assert sorted(o[0] for o in outcomes) == ["conflict", "conflict", "conflict", "ok"], outcomes
    assert len(keys(ledger_url)) == 1


def _init_in_process(url: str, _path: str, barrier, queue) -> None:
    barrier.wait()
    try:
        L.init(url)
        queue.put(("ok", 0, 0))
    except Exception as e:  # noqa: BLE001 - reported to the parent as a failure
        queue.put(("error", repr(e), 0))


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_offices_initialising_a_new_ledger_at_once_create_it_once(tmp_path, kind):
    url = make_ledger(kind, tmp_path)
    if kind == "sqlite":  # the race is on the tables of one file
        eng = create_engine(url)
        with eng.begin() as conn:
            for t in ("clawbacks", "payout_shares", "payouts", "alembic_version"):
                conn.execute(text(f"DROP TABLE {t}"))
        eng.dispose()
    else:
        wipe_pg(url)
    outcomes = _race(url, [tmp_path] * 4, target=_init_in_process)
    assert sorted(o[0] for o in outcomes) == ["ok"] * 4, outcomes
    rec(url, tmp_path, result(2023, ln("A-1", "tech_provincial", 200000)))
    assert len(keys(url)) == 1


def test_an_older_ledger_is_upgraded_when_opened_and_its_payouts_came_from_results(tmp_path):
    from alembic import command

    url = make_ledger("sqlite", tmp_path)
    eng = create_engine(url)
    with eng.begin() as conn:
        command.downgrade(db._alembic_config(conn), "0001")
        conn.execute(text(
            "INSERT INTO payouts (policy_id, credit_code, company_name, region, category, subject, subject_norm,"
            " reward_year, amount_fen, paid_on, approved_by, claim_id, input_sha256, recorded_at) VALUES"
            f" ('jdz-2023', '{A}', '甲', '珠山区', 'tech_provincial', '', '', 2023, 20000000, '2024-01-20', '张三',"
            f" 'A-1', '{SHA1}', '2024-01-20 10:00:00')"))
    eng.dispose()
    [p] = L.payouts(url)
    assert (p.source, p.imported, p.amount) == ("result", False, Decimal("200000.00"))


# --------------------------------------------------------------------------- history and clawback


def test_history_gives_the_engine_payouts_from_the_ledger(ledger_url, tmp_path):
    rec(ledger_url, tmp_path, result(2023, ln("A-1", "luban", 500000, subject="瓷都 大厦", measure=6),
                                     ln("B-1", "qual_grade1", 500000, credit_code=B)))
    hist = L.history(ledger_url, credit_codes=[A], policy_id="jdz-2023")
    assert [(p.credit_code, p.category, p.subject, p.reward_year, p.amount, p.source) for p in hist] == [
        (A, "luban", "瓷都 大厦", 2023, Decimal("500000.00"), "账本")]
    assert L.history(ledger_url, policy_id="other-policy") == []


def _company(credit_code: str, **kw) -> Company:
    return Company(credit_code=credit_code, name="企业", region="珠山区", **kw)


CLAWBACK_CASES = [
    # name, company facts, payouts (paid on), expected (paid on, reason)
    ("a company that moved out returns what it was paid in the five years up to the move",
     dict(moved_out_on=dt.date(2028, 6, 30)), ["2023-06-30", "2023-07-01", "2028-06-30"],
     [("2023-07-01", "MOVED_OUT"), ("2028-06-30", "MOVED_OUT")]),
    ("a payout after the move is not within the five years before it",
     dict(moved_out_on=dt.date(2024, 1, 1)), ["2024-01-02"], []),
    ("a company found to cheat returns everything under the policy",
     dict(fraud=True), ["2023-06-30", "2024-01-02"], [("2023-06-30", "FRAUD"), ("2024-01-02", "FRAUD")]),
    ("a company that cheated and moved out returns each payout once, for fraud",
     dict(fraud=True, moved_out_on=dt.date(2024, 1, 1)), ["2023-06-30"], [("2023-06-30", "FRAUD")]),
    ("a company in good standing returns nothing", {}, ["2023-06-30"], []),
]


@pytest.mark.parametrize("name,facts,paid,expected", CLAWBACK_CASES, ids=[c[0] for c in CLAWBACK_CASES])
def test_clawbacks_due(tmp_path, name, facts, paid, expected):
    from policies import get_pack
    from subsidy import params

    url = make_ledger("sqlite", tmp_path)
    cats = ["tech_provincial", "qual_grade1", "qual_design"]
    for i, on in enumerate(paid):
        L.record(url, write(tmp_path, f"p{i}.json", result(2023, ln(f"A-{i}", cats[i], 1000 + i))),
                 approved_by="张三", paid_on=dt.date.fromisoformat(on), today=dt.date(2030, 1, 1))
    pack = get_pack()
    dues = L.clawbacks_due(url, [_company(A, **facts), _company(B)], pack=pack, params=params.defaults(pack))
    assert [(str(d.payout.paid_on), d.reason_code) for d in dues] == expected


def test_recorded_clawbacks_stay_open_until_returned(ledger_url, tmp_path):
    from policies import get_pack
    from subsidy import params

    rec(ledger_url, tmp_path, result(2023, ln("A-1", "tech_provincial", 200000)))
    pack = get_pack()
    dues = L.clawbacks_due(ledger_url, [_company(A, fraud=True)], pack=pack, params=params.defaults(pack))
    assert L.record_clawbacks(ledger_url, dues, decided_by="李四", decided_on=dt.date(2025, 1, 2)) == 1
    assert L.record_clawbacks(ledger_url, dues, decided_by="李四") == 0  # already recorded
    [p] = L.payouts(ledger_url)
    assert p.clawback.open and p.clawback.reason_code == "FRAUD"
    assert L.mark_returned(ledger_url, A, returned_on=dt.date(2025, 2, 1)) == 1
    [p] = L.payouts(ledger_url)
    assert not p.clawback.open and p.clawback.returned_on == dt.date(2025, 2, 1)


def test_ledger_returned_requires_the_date_of_return_and_refuses_a_future_one(capsys):
    from subsidy.cli import main

    assert main(["ledger", "returned", A]) == 2
    assert "--returned-on" in capsys.readouterr().err
    assert main(["ledger", "returned", A, "--returned-on", "2999-01-01"]) == 2
    assert capsys.readouterr().err == "错误：--returned-on 的值“2999-01-01”晚于今天，缴回日期不能是将来的日期\n"
