"""The finance bureau's side (SPEC 7, issue 3): the two-year scenario through the CLI, re-verifying a schedule
cell by cell, and the ledger audit's totals, charts and flags."""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from factory import code
from subsidy.cli import main
from subsidy.workbook.schema import SHEETS
from test_ledger import make_ledger, result, ln, write
from subsidy import ledger as L

A, B = code(201), code(202)
COMPANIES = [
    {"统一社会信用代码": A, "企业名称": "瓷都建工", "注册地": "珠山区", "信用评价分": 92, "地方留成税收(元)": 3000000},
    {"统一社会信用代码": B, "企业名称": "高新建设", "注册地": "高新区", "信用评价分": 85, "地方留成税收(元)": 5000000},
]
Y2023 = {
    "申报事项": [
        {"申报编号": "A-01", "统一社会信用代码": A, "奖励类别": "省级企业技术中心", "获批日期": "2023-05-01"},
        {"申报编号": "A-02", "统一社会信用代码": A, "奖励类别": "杜鹃花奖", "项目或证书名称": "瓷都 大厦", "获批日期": "2023-06-01"},
        {"申报编号": "B-01", "统一社会信用代码": B, "奖励类别": "施工总承包一级资质", "获批日期": "2023-07-01"}],
    "总部迁入": [{"申报编号": "H-01", "统一社会信用代码": B, "迁入方式": "总部迁入", "资质等级": "施工总承包一级",
              "落户认定日期": "2023-06-01", "地方财政贡献(元)": 800000}],
}
Y2024 = {
    "申报事项": [
        {"申报编号": "A-11", "统一社会信用代码": A, "奖励类别": "国家级企业技术中心", "获批日期": "2024-05-01"},
        {"申报编号": "A-12", "统一社会信用代码": A, "奖励类别": "鲁班奖", "项目或证书名称": "瓷都大厦", "获批日期": "2024-06-01"},
        {"申报编号": "B-11", "统一社会信用代码": B, "奖励类别": "施工总承包特级资质", "获批日期": "2024-07-01"}],
    "总部迁入": [{"申报编号": "H-11", "统一社会信用代码": B, "迁入方式": "总部迁入", "资质等级": "施工总承包一级",
              "落户认定日期": "2023-06-01", "地方财政贡献(元)": 900000}],
}


def workbook(path: Path, sheets: dict, companies=COMPANIES) -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    for sheet in SHEETS:
        rows = companies if sheet.name == "企业" else sheets.get(sheet.name)
        if rows is None:
            continue
        ws = wb.create_sheet(sheet.name)
        headers = [c.header for c in sheet.columns]
        ws.append(headers)
        for r in rows:
            ws.append([r.get(h) for h in headers])
    wb.save(path)
    return path


def run(*argv, capsys) -> tuple[int, str, str]:
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.fixture
def two_years(tmp_path, capsys):
    """assess 2023 → record → assess 2024 with the ledger."""
    url = make_ledger("sqlite", tmp_path)
    in23, in24 = workbook(tmp_path / "in2023.xlsx", Y2023), workbook(tmp_path / "in2024.xlsx", Y2024)
    assert run("assess", in23, "--year", 2023, "-o", tmp_path / "s2023.xlsx", "--json", tmp_path / "r2023.json",
               capsys=capsys)[0] == 0
    rc, out, err = run("ledger", "record", tmp_path / "r2023.json", "--ledger", url, "--approved-by", "张三",
                       "--paid-on", "2024-01-20", capsys=capsys)
    assert (rc, err) == (0, "") and "新记录 4 笔" in out
    assert run("assess", in24, "--year", 2024, "-o", tmp_path / "s2024.xlsx", "--json", tmp_path / "r2024.json",
               "--ledger", url, capsys=capsys)[0] == 0
    return tmp_path, url


TOP_UPS = [
    ("a national technology centre after a provincial one is paid the difference", "A-11", "300000.00",
     "UPGRADE_TOP_UP"),
    ("a Luban award for a project that had the Azalea award is paid the difference", "A-12", "300000.00",
     "SAME_PROJECT_TOP_UP"),
    ("special grade after grade one is paid the difference", "B-11", "500000.00", "UPGRADE_TOP_UP"),
    ("HQ relocation of the second reward year is paid in full", "H-11", "900000.00", None),
]


@pytest.mark.parametrize("name,claim,payable,code_", TOP_UPS, ids=[c[0] for c in TOP_UPS])
def test_two_years_with_the_ledger_give_the_top_ups(two_years, name, claim, payable, code_):
    tmp, _ = two_years
    res = json.loads((tmp / "r2024.json").read_text(encoding="utf-8"))
    [line] = [x for x in res["lines"] if x["claim_id"] == claim]
    assert line["payable"] == payable
    assert code_ is None or code_ in {r["code"] for r in line["reasons"]}


def test_recording_the_second_year_then_again_and_a_tampered_result(two_years, capsys):
    tmp, url = two_years
    args = ("ledger", "record", tmp / "r2024.json", "--ledger", url, "--approved-by", "李四", "--paid-on", "2025-01-15")
    assert run(*args, capsys=capsys)[0] == 0
    rc, out, _ = run(*args, capsys=capsys)
    assert rc == 0 and "新记录 0 笔" in out
    res = json.loads((tmp / "r2024.json").read_text(encoding="utf-8"))
    for x in res["lines"]:
        if x["claim_id"] == "A-11":
            x["payable"] = "500000.00"
            x["payers"] = {"珠山区财政": "500000.00"}
    bad = write(tmp, "tampered.json", res)
    rc, out, err = run("ledger", "record", bad, "--ledger", url, "--approved-by", "李四", "--paid-on", "2025-01-15",
                       capsys=capsys)
    assert rc == 1 and err.count("\n") == 2 and "Traceback" not in err
    assert "冲突 1 处" in err and "（申报编号 A-11）：同一申报已按不同的金额记账" in err
    assert len(L.payouts(url)) == 8


def test_the_schedule_recomputes_cell_for_cell(two_years, capsys):
    tmp, url = two_years
    rc, out, _ = run("audit", tmp / "s2023.xlsx", "--applications", tmp / "in2023.xlsx", "-o", tmp / "a.xlsx",
                     capsys=capsys)
    assert rc == 0 and "一致" in out
    # the 2024 schedule used the ledger: the auditor gives the same ledger, even after 2024 was recorded
    assert run("ledger", "record", tmp / "r2024.json", "--ledger", url, "--approved-by", "李四",
               "--paid-on", "2025-01-15", capsys=capsys)[0] == 0
    rc, out, _ = run("audit", tmp / "s2024.xlsx", "--applications", tmp / "in2024.xlsx", "--ledger", url,
                     capsys=capsys)
    assert rc == 0, out
    rc, out, _ = run("audit", tmp / "s2024.xlsx", "--applications", tmp / "in2024.xlsx", capsys=capsys)
    assert rc == 1 and "--ledger" in out


def _edit(src: Path, dst: Path, edit) -> Path:
    wb = load_workbook(src)
    edit(wb)
    wb.save(dst)
    return dst


def _cell_of(wb, sheet: str, header: str, key: str):
    ws = wb[sheet]
    headers = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        if row[0].value == key:
            return row[headers.index(header)]
    raise KeyError(key)


def _set(sheet, header, key, value):
    def edit(wb):
        _cell_of(wb, sheet, header, key).value = value
    return edit


def _delete_row(key):
    def edit(wb):
        ws = wb["奖励明细"]
        for row in ws.iter_rows(min_row=2):
            if row[0].value == key:
                ws.delete_rows(row[0].row)
                return
    return edit


def _sign(wb):
    ws = wb["汇总"]
    for row in ws.iter_rows():
        if row[0].value in ("经办人", "审核人"):
            ws.cell(row=row[0].row, column=2, value="王五")


def _summary_total(wb):
    ws = wb["汇总"]
    for row in ws.iter_rows():
        if row[0].value == "核定总额":
            row[1].value = 1800000


EDITS = [
    ("a payable raised by hand is caught with its cell", _set("奖励明细", "核定金额", "B-01", 600000),
     1, [("奖励明细", "H", "申报编号 B-01", "核定金额", "500,000.00", "600,000.00")]),
    ("a status changed by hand is caught", _set("奖励明细", "状态", "A-02", "核减"), 1,
     [("奖励明细", "I", "申报编号 A-02", "状态", "全额核定", "核减")]),
    ("a total changed by hand is caught", _summary_total, 1, [("汇总", "B", "核定总额", "", "1,700,000.00", "1,800,000.00")]),
    ("a deleted claim row is caught as missing", _delete_row("A-01"), 1,
     [("奖励明细", "", "申报编号 A-01", "整行", "应有此行", "（缺少此行）")]),
    ("signing the schedule is not a difference", _sign, 0, []),
]


@pytest.mark.parametrize("name,edit,rc_,expected", EDITS, ids=[c[0] for c in EDITS])
def test_a_hand_edited_schedule_is_caught(two_years, capsys, name, edit, rc_, expected):
    tmp, _ = two_years
    edited = _edit(tmp / "s2023.xlsx", tmp / "edited.xlsx", edit)
    rc, out, err = run("audit", edited, "--applications", tmp / "in2023.xlsx", "-o", tmp / "audit.xlsx",
                       capsys=capsys)
    assert (rc, err) == (rc_, "")
    ws = load_workbook(tmp / "audit.xlsx")["差异明细"]
    found = [(r[0], r[3] or "", r[4], r[5] or "", r[6], r[7]) for r in ws.iter_rows(min_row=2, values_only=True)]
    for e in expected:
        assert e in found, found
    if expected and expected[0][0] == "奖励明细" and expected[0][1]:
        assert f"{expected[0][1]}" in out and expected[0][5] in out


BAD_AUDITS = [
    ("a schedule without its applications", ["audit", "{tmp}/s2023.xlsx"], "--applications"),
    ("a schedule that is not a workbook", ["audit", "{tmp}/r2023.json", "--applications", "{tmp}/in2023.xlsx"],
     "不是可读取的 Excel 工作簿"),
    ("a year out of range", ["audit", "--ledger", "sqlite:///{tmp}/ledger.db", "--year", "1999"], "年度"),
    ("a missing ledger file", ["audit", "--ledger", "sqlite:///{tmp}/nope.db"], "账本文件不存在"),
]


@pytest.mark.parametrize("name,argv,word", BAD_AUDITS, ids=[c[0] for c in BAD_AUDITS])
def test_bad_audit_input_is_one_chinese_line_and_exit_2(two_years, capsys, name, argv, word):
    tmp, _ = two_years
    rc, out, err = run(*[a.format(tmp=tmp) for a in argv], capsys=capsys)
    assert rc == 2 and word in err and err.count("\n") == 1 and "Traceback" not in err


# --------------------------------------------------------------------------- ledger audit


def test_the_ledger_audit_has_totals_and_native_charts(two_years, capsys):
    tmp, url = two_years
    run("ledger", "record", tmp / "r2024.json", "--ledger", url, "--approved-by", "李四", "--paid-on", "2025-01-15",
        capsys=capsys)
    rc, out, err = run("audit", "--ledger", url, "-o", tmp / "ledger-audit.xlsx", capsys=capsys)
    assert (rc, err) == (0, "") and "未发现问题" in out and "3,700,000.00" in out
    wb = load_workbook(tmp / "ledger-audit.xlsx")
    by_year = {r[0]: r[1] for r in wb["按年度"].iter_rows(min_row=2, values_only=True)}
    assert by_year == {2023: 1700000, 2024: 2000000, "合计": 3700000}
    by_region = {r[0]: r[1] for r in wb["按注册地"].iter_rows(min_row=2, values_only=True)}
    assert by_region == {"珠山区": 1000000, "高新区": 2700000, "合计": 3700000}
    with zipfile.ZipFile(tmp / "ledger-audit.xlsx") as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
    assert len(charts) == 5
    rc, out, _ = run("audit", "--ledger", url, "--year", "2024", capsys=capsys)
    assert rc == 0 and "2,000,000.00" in out


def _insert_again(url: str, claim_id: str, year: int) -> None:
    """A second payout of a one-time reward, written around `ledger record` (an old or imported ledger)."""
    from sqlalchemy.orm import Session
    from subsidy.ledger import db
    from subsidy.ledger.schema import PayoutRow

    eng = db.open_engine(url)
    with Session(eng) as s, s.begin():
        old = s.query(PayoutRow).filter_by(claim_id=claim_id).one()
        s.add(PayoutRow(**{c.name: getattr(old, c.name) for c in PayoutRow.__table__.columns if c.name != "id"}
                        | {"reward_year": year, "claim_id": claim_id + "x"}))
    eng.dispose()


def _delete(url: str, claim_id: str) -> None:
    from sqlalchemy.orm import Session
    from subsidy.ledger import db
    from subsidy.ledger.schema import PayoutRow

    eng = db.open_engine(url)
    with Session(eng) as s, s.begin():
        s.delete(s.query(PayoutRow).filter_by(claim_id=claim_id).one())
    eng.dispose()


FLAG_CASES = [
    ("a one-time reward paid twice",
     lambda url, tmp: (L.record(url, write(tmp, "1.json", result(2023, ln("A-1", "qual_grade1", 500000, measure=2))),
                                approved_by="张", paid_on=dt.date(2024, 1, 2)), _insert_again(url, "A-1", 2024)),
     "PAID_TWICE", Decimal("500000.00")),
    ("an upgrade paid in full instead of the difference",
     lambda url, tmp: (L.record(url, write(tmp, "1.json", result(2023, ln("A-1", "tech_provincial", 200000))),
                                approved_by="张", paid_on=dt.date(2024, 1, 2)),
                       L.record(url, write(tmp, "2.json", result(2024, ln("A-2", "tech_national", 500000))),
                                approved_by="张", paid_on=dt.date(2025, 1, 2))),
     "ABOVE_TOP_UP", Decimal("200000.00")),
    ("two batches of a year above the company's local retained tax",
     lambda url, tmp: (L.record(url, write(tmp, "1.json", result(2024, ln("A-1", "tech_provincial", 200000),
                                                                  tax={code(101): "300000.00"})),
                                approved_by="张", paid_on=dt.date(2025, 1, 2)),
                       L.record(url, write(tmp, "2.json", result(2024, ln("A-2", "qual_design", 200000, measure=2),
                                                                  tax={code(101): "300000.00"})),
                                approved_by="张", paid_on=dt.date(2025, 1, 2))),
     "CAP_EXCEEDED", Decimal("100000.00")),
    ("a reward year before the policy took effect",  # record and import refuse it: only a ledger edited by hand
     lambda url, tmp: (L.record(url, write(tmp, "1.json", result(2023, ln("A-1", "tech_provincial", 200000))),
                                approved_by="张", paid_on=dt.date(2023, 3, 1)), _insert_again(url, "A-1", 2022),
                       _delete(url, "A-1")),
     "OUTSIDE_VALIDITY", Decimal("200000.00")),
]


@pytest.mark.parametrize("name,setup,kind,amount", FLAG_CASES, ids=[c[0] for c in FLAG_CASES])
def test_the_ledger_audit_flags(tmp_path, capsys, name, setup, kind, amount):
    from subsidy import audit

    url = make_ledger("sqlite", tmp_path)
    setup(url, tmp_path)
    a = audit.audit_ledger(url)
    assert [(f.kind, f.amount) for f in a.flags] == [(kind, amount)]
    rc, out, err = run("audit", "--ledger", url, "-o", tmp_path / "a.xlsx", capsys=capsys)
    assert rc == 1 and audit.FLAG_LABELS[kind] in out
    rows = list(load_workbook(tmp_path / "a.xlsx")["问题清单"].iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == [audit.FLAG_LABELS[kind]]


# --------------------------------------------------------------------------- clawback, list, export


def test_clawback_lists_records_and_closes(two_years, capsys):
    tmp, url = two_years
    moved = [dict(c) for c in COMPANIES]
    moved[1]["迁出日期"] = "2025-06-30"
    app = workbook(tmp / "moved.xlsx", {}, companies=moved)
    rc, out, err = run("ledger", "clawback", "--ledger", url, "--applications", app, "-o", tmp / "cb.xlsx",
                       capsys=capsys)
    assert (rc, err) == (0, "")
    assert "高新区财政" in out and "1,700,000.00" not in out and "1,300,000.00" in out  # B: 500,000 + 800,000
    assert "市财政" in out and "400,000.00" in out
    rows = list(load_workbook(tmp / "cb.xlsx")["按出资财政"].iter_rows(min_row=2, values_only=True))
    assert {r[0]: r[1] for r in rows} == {"市财政": 400000, "高新区财政": 900000, "合计": 1300000}
    rc, _, err = run("ledger", "clawback", "--ledger", url, "--applications", app, "--record", capsys=capsys)
    assert rc == 2 and "--approved-by" in err
    rc, out, _ = run("ledger", "clawback", "--ledger", url, "--applications", app, "--record", "--approved-by", "赵六",
                     capsys=capsys)
    assert rc == 0 and "已登记追缴 2 笔" in out
    rc, out, _ = run("audit", "--ledger", url, capsys=capsys)
    assert rc == 1 and out.count("追缴未缴回") >= 2
    rc, out, _ = run("ledger", "returned", B, "--ledger", url, "--returned-on", "2025-07-15", capsys=capsys)
    assert rc == 0 and "2 笔" in out
    assert run("audit", "--ledger", url, capsys=capsys)[0] == 0


def test_list_filters_and_export_is_read_back_as_history(two_years, capsys):
    from policies import get_pack
    from subsidy.workbook.reader import read_workbook

    tmp, url = two_years
    rc, out, _ = run("ledger", "list", "--ledger", url, "--company", A, capsys=capsys)
    assert rc == 0 and "共 2 笔，合计 400,000.00 元" in out and "瓷都 大厦" in out
    rc, out, _ = run("ledger", "list", "--ledger", url, "--year", "2024", capsys=capsys)
    assert rc == 0 and "共 0 笔" in out
    rc, out, _ = run("ledger", "export", "--ledger", url, "-o", tmp / "hist.xlsx", capsys=capsys)
    assert rc == 0 and "4 笔" in out
    batch = read_workbook(tmp / "hist.xlsx", pack=get_pack())
    assert not batch.issues
    assert sorted((p.credit_code, p.category, p.subject, p.reward_year, p.amount) for p in batch.history) == sorted(
        (p.credit_code, p.category, p.subject, p.reward_year, p.amount) for p in L.payouts(url))


def test_the_environment_supplies_the_ledger(two_years, capsys, monkeypatch):
    tmp, url = two_years
    monkeypatch.setenv("SUBSIDY_LEDGER", url)
    rc, out, _ = run("ledger", "list", capsys=capsys)
    assert rc == 0 and "共 4 笔" in out


CLI_ERRORS = [
    ("a result file that does not exist", ["ledger", "record", "{tmp}/none.json", "--approved-by", "张",
                                           "--paid-on", "2024-01-20"], "不存在"),
    ("a result file that is not JSON", ["ledger", "record", "{tmp}/in2023.xlsx", "--approved-by", "张",
                                        "--paid-on", "2024-01-20"], "JSON"),
    ("a record without payment date", ["ledger", "record", "{tmp}/r2023.json", "--approved-by", "张"], "--paid-on"),
    ("a payment date that is not a date", ["ledger", "record", "{tmp}/r2023.json", "--approved-by", "张",
                                           "--paid-on", "2024-13-01"], "不是日期"),
    ("a ledger URL that is not a URL", ["ledger", "list", "--ledger", "ledger.db"], "账本地址"),
    ("a record without approver", ["ledger", "record", "{tmp}/r2023.json"], "--approved-by"),
]


@pytest.mark.parametrize("name,argv,word", CLI_ERRORS, ids=[c[0] for c in CLI_ERRORS])
def test_ledger_cli_errors_are_one_chinese_line_and_exit_2(two_years, capsys, name, argv, word):
    tmp, url = two_years
    argv = [a.format(tmp=tmp) for a in argv]
    if "--ledger" not in argv:
        argv += ["--ledger", url]
    rc, out, err = run(*argv, capsys=capsys)
    assert rc == 2 and word in err and err.count("\n") == 1 and "Traceback" not in err


def test_the_installed_console_script_records_and_audits(two_years):
    tmp, url = two_years
    exe = Path(sys.executable).with_name("subsidy")
    if not exe.exists():
        pytest.skip("subsidy 命令未安装（pip install -e .）")
    env = {**os.environ, "SUBSIDY_LEDGER": url}
    p = subprocess.run([str(exe), "ledger", "record", str(tmp / "r2024.json"), "--approved-by", "李四",
                        "--paid-on", "2025-01-15"], capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 0 and "新记录 4 笔" in p.stdout, p.stderr
    p = subprocess.run([str(exe), "audit", "-o", str(tmp / "la.xlsx")], capture_output=True, text=True, env=env,
                       timeout=120)
    assert p.returncode == 0 and (tmp / "la.xlsx").exists(), p.stdout + p.stderr
    p = subprocess.run([str(exe), "ledger", "record", str(tmp / "nope.json"), "--approved-by", "李四",
                        "--paid-on", "2025-01-15"],
                       capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "Traceback" not in p.stderr
