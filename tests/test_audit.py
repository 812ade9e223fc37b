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
     1, [("奖励明细", "H", "申报编号 B-01", "核定金额", 500000, 600000)]),
    ("a status changed by hand is caught", _set("奖励明细", "状态", "A-02", "核减"), 1,
     [("奖励明细", "I", "申报编号 A-02", "状态", "全额核定", "核减")]),
    ("a total changed by hand is caught", _summary_total, 1, [("汇总", "B", "核定总额", "", 1700000, 1800000)]),
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
    assert found == expected
    for row in ws.iter_rows(min_row=2):
        for c in row[6:8]:  # an amount is a number cell with the money format, so the report can be summed
            assert isinstance(c.value, str) or c.number_format == "#,##0.00"
    if expected and expected[0][0] == "奖励明细" and expected[0][1]:
        shown = expected[0][5] if isinstance(expected[0][5], str) else f"{expected[0][5]:,.2f}"
        assert f"{expected[0][1]}" in out and shown in out


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


def _insert_again(url: str, claim_id: str, year: int, subject: str | None = None) -> None:
    """A second payout of a one-time reward, written around `ledger record` (an old or imported ledger), chained
    as every entry is (the append-only ledger keeps what it was given); ``subject``: under another certificate
    text."""
    from subsidy.ledger import db
    from subsidy.ledger.schema import PayoutRow, PayoutShare
    from subsidy.ledger.store import _append

    skip = {"id", "prev_hash", "entry_hash"}
    with db.session(url, write=True) as s:
        old = s.query(PayoutRow).filter_by(claim_id=claim_id).one()
        row = PayoutRow(**{c.name: getattr(old, c.name) for c in PayoutRow.__table__.columns if c.name not in skip}
                        | {"reward_year": year, "claim_id": claim_id + "x"}
                        | ({"subject": subject, "subject_norm": subject} if subject else {}),
                        shares=[PayoutShare(treasury=sh.treasury, amount_fen=sh.amount_fen) for sh in old.shares])
        _append(s, [row])


def _reverse(url: str, claim_id: str) -> None:
    [p] = [p for p in L.payouts(url) if p.claim_id == claim_id]
    L.reverse(url, p.id, reason="测试", approved_by="张")


FLAG_CASES = [
    ("a one-time reward paid twice",
     lambda url, tmp: (L.record(url, write(tmp, "1.json", result(2023, ln("A-1", "qual_grade1", 500000, measure=2))),
                                approved_by="张", paid_on=dt.date(2024, 1, 2)), _insert_again(url, "A-1", 2024)),
     "PAID_TWICE", Decimal("500000.00")),
    ("a one-time reward paid twice under two certificate numbers",
     lambda url, tmp: (L.record(url, write(tmp, "1.json", result(2023, ln("A-1", "qual_grade1", 500000, measure=2))),
                                approved_by="张", paid_on=dt.date(2024, 1, 2)),
                       _insert_again(url, "A-1", 2024, subject="D999")),
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
                       _reverse(url, "A-1")),
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
    _assert_prints(tmp / "cb.xlsx", "全部年度 追缴清单 · &A")
    rc, _, err = run("ledger", "clawback", "--ledger", url, "--applications", app, "--record", capsys=capsys)
    assert rc == 2 and "--approved-by" in err
    rc, _, err = run("ledger", "clawback", "--ledger", url, "--applications", app, "--decided-on", "2025-07-01",
                     capsys=capsys)
    assert (rc, err) == (2, "错误：--decided-on 只在登记追缴（--record）时使用；不加 --record 时不登记任何事项\n")
    rc, _, err = run("ledger", "clawback", "--ledger", url, "--applications", app, "--record", "--approved-by", "赵六",
                     "--decided-on", "2999-01-01", capsys=capsys)
    assert (rc, err) == (2, "错误：--decided-on 的值“2999-01-01”晚于今天，追缴决定的日期不能是将来的日期\n")
    rc, out, _ = run("ledger", "clawback", "--ledger", url, "--applications", app, "--record", "--approved-by", "赵六",
                     "--decided-on", "2025年7月1日", capsys=capsys)
    assert rc == 0 and "已登记追缴 2 笔（决定日期 2025-07-01；此前已登记 0 笔）" in out
    from subsidy import ledger as L
    assert {p.clawback.decided_on for p in L.payouts(url) if p.clawback} == {dt.date(2025, 7, 1)}
    rc, out, _ = run("audit", "--ledger", url, capsys=capsys)
    assert rc == 1 and out.count("追缴未缴回") >= 2
    rc, out, _ = run("ledger", "returned", B, "--ledger", url, "--returned-on", "2025-07-15", capsys=capsys)
    assert rc == 0 and "2 笔" in out
    assert run("audit", "--ledger", url, capsys=capsys)[0] == 0


def _assert_prints(path: Path, header_right: str, sheets: tuple[str, ...] = ()) -> None:
    """Every sheet (or those named): A4 landscape at 100% (its columns fit), header row on every page, policy and
    page numbers, 10 pt."""
    from subsidy.workbook import printing

    for ws in load_workbook(path):
        if sheets and ws.title not in sheets:
            continue
        widths = [ws.column_dimensions[chr(64 + j)].width for j in range(1, ws.max_column + 1)]
        assert sum(widths) <= printing.A4_LANDSCAPE.usable_width(), ws.title
        assert (int(ws.page_setup.paperSize), ws.page_setup.orientation) == (9, "landscape"), ws.title
        assert ws.print_title_rows == "$1:$1" and ws.oddHeader.right.text == header_right, ws.title
        assert "景府办字〔2023〕2号" in ws.oddHeader.left.text and ws.oddFooter.center.text == "第 &P 页 共 &N 页"
        for row in ws.iter_rows():
            for c in row:
                if c.value is not None:
                    assert c.font.sz == printing.FONT_SIZE, (ws.title, c.coordinate)


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
    _assert_prints(tmp / "hist.xlsx", "全部年度 兑现账本导出 · &A", sheets=("已兑现奖励",))
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


# --------------------------------------------------------------------------- the example: rows by key, 口径 first

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "申报汇总表-2024.xlsx"
CONFIG = 'min_credit_score = 75\ncap_allocation = "priority"\n[city_share]\n"珠山区" = 0.3\n'


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    """The example assessed for 2024 with the default 口径, and again with a --config."""
    tmp = tmp_path_factory.mktemp("example")
    (tmp / "口径.toml").write_text(CONFIG, encoding="utf-8")
    assert main(["assess", str(EXAMPLE), "--year", "2024", "-o", str(tmp / "s.xlsx")]) == 0
    assert main(["assess", str(EXAMPLE), "--year", "2024", "-o", str(tmp / "s75.xlsx"),
                 "--config", str(tmp / "口径.toml")]) == 0
    return tmp


def _delete_sheet_row(sheet: str, first_cell: str, second_cell: str | None = None):
    def edit(wb):
        ws = wb[sheet]
        for row in ws.iter_rows():
            if row[0].value == first_cell and (second_cell is None or row[1].value == second_cell):
                ws.delete_rows(row[0].row)
                return
        raise KeyError(first_cell)
    return edit


def _insert_company(wb):
    ws = wb["企业汇总"]
    ws.insert_rows(3)
    ws["A3"], ws["B3"], ws["H3"] = "91360200MA00099990", "凭空多出的企业", 1000


KEYED_EDITS = [
    ("a treasury's measure row deleted from 出资汇总 is one missing row", _delete_sheet_row("出资汇总", "珠山区财政", "第6条"),
     [("出资汇总", None, "", "珠山区财政 第6条", "整行", "应有此行", "（缺少此行）")]),
    ("a treasury deleted from the 汇总 totals is one missing row", _delete_sheet_row("汇总", "浮梁县财政"),
     [("汇总", None, "", "出资财政 浮梁县财政", "整行", "应有此行", "（缺少此行）")]),
    ("a deposit row deleted is one missing row", _delete_sheet_row("质量保证金", "91360203MA0001018A", "景德镇瓷都建设集团有限公司"),
     [("质量保证金", None, "", "统一社会信用代码 91360203MA0001018A，项目名称 瓷都大厦", "整行", "应有此行",
       "（缺少此行）")]),
    ("a clawback row deleted is one missing row", _delete_sheet_row("追缴清单", "91360203MA00011571"),
     [("追缴清单", None, "", "统一社会信用代码 91360203MA00011571，奖励类别 省级企业技术中心，项目或证书名称 宏图技术中心，"
       "奖励年度 2023，兑现日期 2023-12-20", "整行", "应有此行", "（缺少此行）")]),
    ("a company row added to 企业汇总 is one extra row", _insert_company,
     [("企业汇总", 3, "A", "统一社会信用代码 91360200MA00099990", "整行", "（不应有此行）", "多出此行")]),
]


@pytest.mark.parametrize("name,edit,expected", KEYED_EDITS, ids=[c[0] for c in KEYED_EDITS])
def test_rows_are_matched_by_their_key_so_one_missing_row_is_one_difference(example, tmp_path, name, edit, expected):
    from subsidy import audit

    edited = _edit(example / "s.xlsx", tmp_path / "edited.xlsx", edit)
    a = audit.audit_schedule(edited, EXAMPLE)
    assert [(d.sheet, d.row, d.column, d.item, d.header, d.expected, d.found) for d in a.diffs] == expected


def test_a_schedule_made_with_another_config_says_so_first_naming_each_parameter(example, capsys):
    rc, out, err = run("audit", example / "s75.xlsx", "--applications", EXAMPLE, "-o", example / "a75.xlsx",
                       capsys=capsys)
    assert (rc, err) == (1, "")
    lines = out.splitlines()
    assert lines[:4] == [
        "注意：该明细表“口径说明”所载口径与本次核对所用的口径有 3 项不同，重新核算的结果因此不同：",
        "  信用评价分下限（min_credit_score）：明细表为 75 分，本次核对为 70 分",
        "  封顶分配方式（cap_allocation）：明细表为 按条款顺序，本次核对为 按比例（最大余数法）",
        "  受益财政中市财政承担比例（city_share）：明细表为 珠山区 0.3；昌江区 0.5；浮梁县 0.5；乐平市 0.5；高新区 0.5；"
        "昌南新区 0.5；市本级 1.0，本次核对为 珠山区 0.5；昌江区 0.5；浮梁县 0.5；乐平市 0.5；高新区 0.5；昌南新区 0.5；"
        "市本级 1.0",
    ]
    assert lines[4] == (f"请用该明细表的口径重新核对：把下面 4 行存为 口径.toml，再运行 subsidy audit {example / 's75.xlsx'} "
                        f"--applications {EXAMPLE} --config 口径.toml")
    assert lines[5:9] == CONFIG.splitlines()
    assert "--ledger" not in out  # the hint that does not apply is not given
    ws = load_workbook(example / "a75.xlsx")["审计结论"]
    col_a = [r[0] for r in ws.iter_rows(min_row=2, values_only=True)]
    assert col_a[:6] == ["口径不同", "信用评价分下限（min_credit_score）", "封顶分配方式（cap_allocation）",
                         "受益财政中市财政承担比例（city_share）", "重新核对", "结论"]
    assert ws["B3"].value == "明细表：75 分；本次核对：70 分"
    assert ws["B6"].value.splitlines()[1:] == CONFIG.splitlines()


def test_the_config_the_audit_prints_reproduces_the_schedule(example, tmp_path, capsys):
    out = run("audit", example / "s75.xlsx", "--applications", EXAMPLE, capsys=capsys)[1].splitlines()
    (tmp_path / "口径.toml").write_text("\n".join(out[5:9]) + "\n", encoding="utf-8")
    rc, out, _ = run("audit", example / "s75.xlsx", "--applications", EXAMPLE, "--config", tmp_path / "口径.toml",
                     capsys=capsys)
    assert rc == 0 and out.startswith("核对") and "结论：一致，未发现差异。" in out


def test_a_default_schedule_audited_with_a_config_is_told_to_drop_it(example, capsys):
    rc, out, _ = run("audit", example / "s.xlsx", "--applications", EXAMPLE, "--config", example / "口径.toml",
                     capsys=capsys)
    assert rc == 1
    assert out.splitlines()[4] == (f"该明细表按默认口径核定：重新核对时不要用 --config，即运行 subsidy audit "
                                   f"{example / 's.xlsx'} --applications {EXAMPLE}")


def test_a_schedule_with_a_value_that_cannot_be_read_back_asks_for_the_original_config(example, tmp_path, capsys):
    def odd(wb):
        ws = wb["口径说明"]
        ws["B2"] = "七十五分左右"
    edited = _edit(example / "s.xlsx", tmp_path / "odd.xlsx", odd)
    out = run("audit", edited, "--applications", EXAMPLE, capsys=capsys)[1].splitlines()
    assert out[1] == "  信用评价分下限（min_credit_score）：明细表为 七十五分左右，本次核对为 70 分"
    assert out[2].startswith("请用核定该明细表时所用的配置文件重新核对：") and out[2].endswith("--config 配置文件.toml")


def test_every_amount_of_the_audit_report_is_a_number_with_the_money_format(example, capsys):
    run("audit", example / "s75.xlsx", "--applications", EXAMPLE, "-o", example / "a75.xlsx", capsys=capsys)
    wb = load_workbook(example / "a75.xlsx")
    diffs = list(wb["差异明细"].iter_rows(min_row=2))
    money = [r for r in diffs if r[5].value in ("核定金额", "金额", "核定合计", "应得合计(封顶前)") or
             (r[0].value == "汇总" and isinstance(r[6].value, float))]
    assert money
    for r in money:
        for c in r[6:8]:
            assert isinstance(c.value, (int, float)) and c.number_format == "#,##0.00", (r[0].value, r[4].value)
    for name, cols in (("出资汇总", [3]), ("封顶核查", [4, 5, 6, 7])):
        for row in wb[name].iter_rows(min_row=2):
            for j in cols:
                if row[j - 1].value is not None and not isinstance(row[j - 1].value, str):
                    assert row[j - 1].number_format == "#,##0.00", (name, row[j - 1].coordinate)


def test_the_ledger_audit_charts_each_have_a_page_of_their_own_with_titles_and_labels(two_years, capsys):
    tmp, url = two_years
    run("audit", "--ledger", url, "-o", tmp / "ledger-audit.xlsx", capsys=capsys)
    wb = load_workbook(tmp / "ledger-audit.xlsx")
    chart_sheets = [ws for ws in wb if ws.title.startswith("图-")]
    assert [ws.title for ws in chart_sheets] == ["图-按年度", "图-按出资财政", "图-按条款", "图-按注册地", "图-年度出资"]
    for ws in chart_sheets:
        [chart] = ws._charts
        assert chart.title is not None, ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == 1, ws.title
        labels = chart.dataLabels
        if ws.title == "图-按注册地":
            assert labels.showPercent and not labels.showVal
        else:
            assert labels.showVal and not labels.showSerName and not labels.showCatName
            assert chart.x_axis.title is not None and chart.y_axis.title is not None
            assert chart.y_axis.scaling.min == 0
    for ws in wb:
        if not ws.title.startswith("图-"):
            assert not ws._charts, ws.title  # a table's page holds no chart
    by_treasury = [r[0] for r in wb["按出资财政"].iter_rows(min_row=2, values_only=True)]
    assert by_treasury == ["珠山区财政", "高新区财政", "市财政", "合计"]  # the pack's order, not code points
    for name in ("按年度", "按出资财政", "按条款", "按注册地"):
        for row in wb[name].iter_rows(min_row=2):
            assert row[1].number_format == "#,##0.00"
