"""`subsidy ledger import` (issue 8): payouts made before the ledger existed, from an 已兑现奖励 sheet, under the
same conflict rule as `ledger record`; seen by list, export, assess --ledger, clawback and the ledger audit."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from pathlib import Path

import pytest

from factory import code
from subsidy import ledger as L
from subsidy.workbook.schema import SHEETS
from test_ledger import SHA1, make_ledger, ln, name, rec, result, run, write
from workbooks import workbook_bytes

A, B, C = code(101), code(102), code(103)
HEADERS = {s.name: [c.header for c in s.columns] for s in SHEETS}
UNRECORDED = "出资财政未记录"


def company(credit_code: str, company_name: str, region: str = "珠山区", **kw) -> list:
    row = {"统一社会信用代码": credit_code, "企业名称": company_name, "注册地": region, "信用评价分": 92,
           "地方留成税收(元)": 5000000, **kw}
    return [row.get(h) for h in HEADERS["企业"]]


def claim(claim_id: str, credit_code: str, label: str, subject: str, approved: str) -> list:
    row = {"申报编号": claim_id, "统一社会信用代码": credit_code, "奖励类别": label, "项目或证书名称": subject,
           "获批日期": approved}
    return [row.get(h) for h in HEADERS["申报事项"]]


def history_file(path: Path, rows: list[list], *, companies: list[list] | None = None, claims: list[list] = ()) -> Path:
    """An 已兑现奖励 sheet (rows: code, category, subject, year, paid on, amount); with ``companies`` a whole
    申报汇总表."""
    sheets = {}
    if companies is not None:
        sheets["企业"] = [HEADERS["企业"], *companies]
        sheets["申报事项"] = [HEADERS["申报事项"], *claims]
    sheets["已兑现奖励"] = [HEADERS["已兑现奖励"], *rows]
    path.write_bytes(workbook_bytes(sheets))
    return path


ROWS = [
    [A, "省级企业技术中心", "", 2023, "2023-06-30", 200000],
    [A, "鲁班奖", "瓷都 大厦", 2023, "2024-01-10", 500000],
    [B, "总部迁入", "", 2024, "2025-01-05", "80万"],
]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def url(tmp_path) -> str:
    return make_ledger("sqlite", tmp_path)


# --------------------------------------------------------------------------- importing


def test_an_earlier_payouts_sheet_is_imported_whole_and_each_payout_remembers_its_file_and_row(url, tmp_path, capsys):
    f = history_file(tmp_path / "已兑现奖励.xlsx", ROWS, companies=[company(A, "瓷都建工"), company(B, "高新建设", "高新区")])
    rc, out, err = run("ledger", "import", f, "--approved-by", "王五", "--ledger", url, capsys=capsys)
    assert (rc, err) == (0, "")
    assert out == (f"账本：{url}\n导入 3 笔，合计 1,500,000.00 元；已在账本中（未重复导入）0 笔。\n"
                   f"导入的记录没有出资财政，在账本列表、追缴清单和审计中显示为“{UNRECORDED}”。\n")
    got = [(p.credit_code, p.company_name, p.region, p.category, p.subject, p.reward_year, p.paid_on, p.amount,
            p.payers, p.approved_by, p.claim_id, p.input_sha256, p.source, p.source_row, p.imported,
            p.local_retained_tax) for p in L.payouts(url)]
    assert got == [
        (A, "瓷都建工", "珠山区", "tech_provincial", "", 2023, dt.date(2023, 6, 30), Decimal("200000.00"),
         {UNRECORDED: Decimal("200000.00")}, "王五", "已兑现奖励:2", sha(f), "import", 2, True, None),
        (A, "瓷都建工", "珠山区", "luban", "瓷都 大厦", 2023, dt.date(2024, 1, 10), Decimal("500000.00"),
         {UNRECORDED: Decimal("500000.00")}, "王五", "已兑现奖励:3", sha(f), "import", 3, True, None),
        (B, "高新建设", "高新区", "hq_relocation", "", 2024, dt.date(2025, 1, 5), Decimal("800000.00"),
         {UNRECORDED: Decimal("800000.00")}, "王五", "已兑现奖励:4", sha(f), "import", 4, True, None),
    ]


def test_a_sheet_as_ledger_export_writes_it_imports_without_company_names(url, tmp_path, capsys):
    f = history_file(tmp_path / "h.xlsx", ROWS[:1])
    assert run("ledger", "import", f, "--approved-by", "王五", "--ledger", url, capsys=capsys)[0] == 0
    [p] = L.payouts(url)
    assert (p.credit_code, p.company_name, p.region, p.amount) == (A, "", "", Decimal("200000.00"))


def test_importing_the_same_file_twice_is_a_no_op(url, tmp_path, capsys):
    f = history_file(tmp_path / "h.xlsx", ROWS)
    assert run("ledger", "import", f, "--approved-by", "王五", "--ledger", url, capsys=capsys)[0] == 0
    rc, out, err = run("ledger", "import", f, "--approved-by", "赵六", "--ledger", url, capsys=capsys)
    assert (rc, err) == (0, "")
    assert out == f"账本：{url}\n导入 0 笔，合计 0.00 元；已在账本中（未重复导入）3 笔。\n"
    assert [p.approved_by for p in L.payouts(url)] == ["王五"] * 3


def test_the_ledger_exported_and_imported_back_is_the_same_payouts(url, tmp_path, capsys):
    rec(url, tmp_path, result(2023, ln("A-1", "tech_provincial", 200000), ln("B-1", "qual_grade1", 500000,
                                                                          credit_code=B, subject="证书1")))
    assert run("ledger", "export", "-o", tmp_path / "export.xlsx", "--ledger", url, capsys=capsys)[0] == 0
    rc, out, err = run("ledger", "import", tmp_path / "export.xlsx", "--approved-by", "王五", "--ledger", url,
                       capsys=capsys)
    assert (rc, err) == (0, "") and "导入 0 笔，合计 0.00 元；已在账本中（未重复导入）2 笔。" in out
    assert {p.source for p in L.payouts(url)} == {"result"}


def test_a_later_sheet_that_repeats_imported_payouts_adds_only_the_new_ones(url, tmp_path, capsys):
    first = history_file(tmp_path / "2024.xlsx", ROWS[:2])
    later = history_file(tmp_path / "2025.xlsx", ROWS)
    assert run("ledger", "import", first, "--approved-by", "王五", "--ledger", url, capsys=capsys)[0] == 0
    rc, out, _ = run("ledger", "import", later, "--approved-by", "王五", "--ledger", url, capsys=capsys)
    assert rc == 0 and "导入 1 笔，合计 800,000.00 元；已在账本中（未重复导入）2 笔。" in out
    assert [p.input_sha256 for p in L.payouts(url)] == [sha(first), sha(first), sha(later)]


# --------------------------------------------------------------------------- conflicts


def test_an_import_that_differs_from_a_recorded_payout_is_refused_whole(url, tmp_path, capsys):
    rec(url, tmp_path, result(2023, ln("A-1", "tech_provincial", 200000), ln("A-2", "qual_grade1", 500000, measure=2)))
    f = history_file(tmp_path / "h.xlsx", [
        [A, "省级企业技术中心", "", 2023, "2024-01-20", 150000],  # the recorded one, another amount
        [A, "施工总承包一级资质", "", 2024, "2025-01-20", 500000],  # one-time, recorded for 2023
        [C, "省级工法", "工法甲", 2023, "2024-01-20", 20000],  # no conflict: not written either
    ])
    rc, out, err = run("ledger", "import", f, "--approved-by", "王五", "--ledger", url, capsys=capsys)
    assert (rc, out) == (1, "")
    assert err == (
        "错误：与账本中已有的兑现记录冲突 2 处，本次未写入任何记录：\n"
        f"  1. {A}（{A}）2023年度 省级企业技术中心 150,000.00 元（“已兑现奖励”表第2行）：同一奖励已在账本中，但金额或兑现日期不同；"
        "账本中已有：2023年度 2024-01-20 兑现 200,000.00 元（申报编号 A-1，申报汇总表 SHA-256 abababababab…，审批人 张三）\n"
        f"  2. {A}（{A}）2024年度 施工总承包一级资质 500,000.00 元（“已兑现奖励”表第3行）：一次性奖励已在 2023 年度兑现，"
        "不得重复兑现；账本中已有：2023年度 2024-01-20 兑现 500,000.00 元（申报编号 A-2，申报汇总表 SHA-256 abababababab…，"
        "审批人 张三）\n")
    assert len(L.payouts(url)) == 2


def test_an_import_on_another_payment_date_than_the_recorded_payout_is_a_conflict(url, tmp_path):
    rec(url, tmp_path, result(2023, ln("A-1", "tech_provincial", 200000)))
    f = history_file(tmp_path / "h.xlsx", [[A, "省级企业技术中心", "", 2023, "2024-01-21", 200000]])
    with pytest.raises(L.LedgerConflict) as e:
        L.import_history(url, f, approved_by="王五")
    assert e.value.conflicts == [
        f"{A}（{A}）2023年度 省级企业技术中心 200,000.00 元（“已兑现奖励”表第2行）：同一奖励已在账本中，但金额或兑现日期不同；"
        "账本中已有：2023年度 2024-01-20 兑现 200,000.00 元（申报编号 A-1，申报汇总表 SHA-256 abababababab…，审批人 张三）"]


def test_a_schedule_authorising_an_imported_payout_again_is_refused(url, tmp_path, capsys):
    f = history_file(tmp_path / "h.xlsx", ROWS)
    L.import_history(url, f, approved_by="王五")
    r = write(tmp_path, "r.json", result(2023, ln("A-9", "luban", 500000, subject="瓷都大厦", measure=6)))
    rc, out, err = run("ledger", "record", r, "--approved-by", "张三", "--paid-on", "2024-01-20", "--ledger", url,
                       capsys=capsys)
    assert (rc, out) == (1, "")
    assert err == (
        "错误：与账本中已有的兑现记录冲突 1 处，本次未写入任何记录：\n"
        f"  1. {name(A)}（{A}）2023年度 鲁班奖「瓷都大厦」 500,000.00 元（申报编号 A-9）：同一奖励已作为历史兑现记录导入账本，"
        f"不得再次兑现；账本中已有：2023年度 2024-01-10 兑现 500,000.00 元（导入自已兑现奖励表第3行，文件 SHA-256 "
        f"{sha(f)[:12]}…，经办人 王五）\n")


# --------------------------------------------------------------------------- refused files

BAD_ROWS = [
    [A, "省级企业技术中心", "", 2023, "2023-13-01", 200000],
    ["91360203MA0000101X", "省级工法", "工法甲", 2023, "2024-01-10", 20000],
    [A, "优秀企业奖", "", 2023, "2024-01-10", 20000],
    [A, "国家级工法", "工法乙", "", "2024-01-10", None],
]


def test_any_unreadable_row_refuses_the_import_whole_and_every_one_is_listed(url, tmp_path, capsys):
    f = history_file(tmp_path / "h.xlsx", [ROWS[0], *BAD_ROWS])
    rc, out, err = run("ledger", "import", f, "--approved-by", "王五", "--ledger", url, capsys=capsys)
    assert (rc, out) == (2, "")
    assert err == (
        "错误：“h.xlsx”中有 5 处问题，未导入任何记录：\n"
        "  1. “已兑现奖励”表第3行“兑现日期”列：日期“2023-13-01”不存在\n"
        "  2. “已兑现奖励”表第4行“统一社会信用代码”列：“91360203MA0000101X”无效：统一社会信用代码校验位错误（第18位应为2）\n"
        "  3. “已兑现奖励”表第5行“奖励类别”列：“优秀企业奖”不是本政策的奖励类别，也不是“总部迁入”\n"
        "  4. “已兑现奖励”表第6行“奖励年度”列：必填，不能为空\n"
        "  5. “已兑现奖励”表第6行“兑现金额(元)”列：必填，不能为空\n")
    assert L.payouts(url) == []


IMPOSSIBLE = [
    ("a payout paid before the policy took effect",
     [A, "省级企业技术中心", "", 2023, "2023-01-05", 200000],
     "兑现日期 2023-01-05 早于本政策施行日 2023-01-13：不是按本政策（景府办字〔2023〕2号）兑现的奖励，不能记入本政策的账本"),
    ("a 2022 achievement paid late under the repealed opinion",
     [A, "省级企业技术中心", "", 2022, "2023-03-15", 200000],
     "奖励年度 2022 早于本政策施行年度 2023：不是按本政策（景府办字〔2023〕2号）兑现的奖励，不能记入本政策的账本"),
    ("a payout dated in the future", [A, "省级企业技术中心", "", 2023, "2099-01-01", 200000],
     f"兑现日期 2099-01-01 晚于今天 {dt.date.today()}：只能记录已经兑现的奖励"),
    ("a payout before its reward year", [A, "省级企业技术中心", "", 2024, "2023-12-31", 200000],
     "兑现日期 2023-12-31 早于奖励年度 2024 年：奖励不能在取得之前兑现"),
    ("a payout of nothing", [A, "省级企业技术中心", "", 2023, "2023-12-31", 0],
     "兑现金额为 0，不是一笔兑现（请删除该行）"),
    ("money for an honour that carries none", [A, "市优良工程", "瓷都大厦", 2023, "2023-12-31", 1000],
     "“市优良工程”只通报表彰和信用加分，没有奖励资金，不能有兑现金额"),
]


@pytest.mark.parametrize("name_,row,problem", IMPOSSIBLE, ids=[c[0] for c in IMPOSSIBLE])
def test_a_row_that_cannot_be_a_payout_under_the_policy_refuses_the_import(url, tmp_path, name_, row, problem):
    f = history_file(tmp_path / "h.xlsx", [ROWS[1], row])
    with pytest.raises(L.BadImportFile) as e:
        L.import_history(url, f, approved_by="王五")
    assert e.value.items == [f"“已兑现奖励”表第3行：{problem}"] and e.value.exit_code == 2
    assert L.payouts(url) == []


def test_the_same_reward_twice_in_the_sheet_refuses_the_import(url, tmp_path):
    f = history_file(tmp_path / "h.xlsx", [
        [A, "鲁班奖", "瓷都大厦", 2023, "2024-01-10", 250000],
        [A, "鲁班奖", "瓷都 大厦", 2023, "2024-03-10", 250000],
        [A, "施工总承包一级资质", "证书1", 2023, "2024-01-10", 500000],
        [A, "施工总承包一级资质", "证书2", 2024, "2025-01-10", 500000],
        [B, "总部迁入", "", 2023, "2024-01-10", 100000],
        [B, "总部迁入", "", 2024, "2025-01-10", 100000],  # paid per reward year: no problem
    ])
    with pytest.raises(L.BadImportFile) as e:
        L.import_history(url, f, approved_by="王五")
    assert e.value.items == [
        f"“已兑现奖励”表第3行：与第2行是同一奖励（{A}（{A}）2023年度 鲁班奖「瓷都 大厦」），同一奖励一个年度只能有一笔兑现"
        "（分次兑现请合并为一行）",
        f"“已兑现奖励”表第5行：{A}（{A}）2024年度 施工总承包一级资质「证书2」 是一次性奖励，第4行已作为 2023 年度奖励兑现，"
        "不能再兑现一次",
    ]
    assert L.payouts(url) == []


def test_a_workbook_without_the_history_sheet_is_refused(url, tmp_path, capsys):
    f = tmp_path / "申报.xlsx"
    f.write_bytes(workbook_bytes({"企业": [HEADERS["企业"], company(A, "甲")]}))
    rc, out, err = run("ledger", "import", f, "--approved-by", "王五", "--ledger", url, capsys=capsys)
    assert (rc, out, err) == (2, "", "错误：“申报.xlsx”中没有“已兑现奖励”工作表（现有工作表：“企业”）\n")


def test_a_renamed_history_sheet_is_refused_by_the_input_contract(url, tmp_path, capsys):
    f = tmp_path / "申报.xlsx"
    f.write_bytes(workbook_bytes({"企业": [HEADERS["企业"]], "已兑现": [HEADERS["已兑现奖励"], ROWS[0]]}))
    rc, out, err = run("ledger", "import", f, "--approved-by", "王五", "--ledger", url, capsys=capsys)
    assert (rc, out) == (2, "")
    assert err == ("错误：“申报.xlsx”中有无法识别的工作表“已兑现”（最接近的规定表名是“已兑现奖励”），其中的数据不会被核定："
                   "请改为规定的表名（企业、申报事项、总部迁入、质量保证金、已兑现奖励），或删除该表\n")


def test_a_hidden_sheet_with_data_refuses_a_history_file_without_a_company_sheet(url, tmp_path, capsys):
    from openpyxl import load_workbook

    f = history_file(tmp_path / "h.xlsx", ROWS[:1])
    wb = load_workbook(f)
    ws = wb.create_sheet("已兑现奖励（旧）")
    ws.append(HEADERS["已兑现奖励"])
    ws.append(ROWS[1])
    ws.sheet_state = "hidden"
    wb.save(f)
    rc, out, err = run("ledger", "import", f, "--approved-by", "王五", "--ledger", url, capsys=capsys)
    assert (rc, out) == (2, "")
    assert err == ("错误：“h.xlsx”中的工作表“已兑现奖励（旧）”是隐藏的，但其中有数据：隐藏的数据既不能核定也不能忽略，"
                   "请取消隐藏并核对后保留在规定的表中，或删除该表\n")
    assert L.payouts(url) == []


def test_an_unrecognised_column_is_named_and_the_rows_are_imported(url, tmp_path, capsys):
    f = tmp_path / "h.xlsx"
    f.write_bytes(workbook_bytes({"已兑现奖励": [[*HEADERS["已兑现奖励"], "备注"], [*ROWS[0], "补录"]]}))
    rc, out, err = run("ledger", "import", f, "--approved-by", "王五", "--ledger", url, capsys=capsys)
    assert (rc, err) == (0, "") and "导入 1 笔，合计 200,000.00 元" in out
    assert "注意：“已兑现奖励”表第1行：未识别的列“备注”（G列）：不是本表规定的列，未读取，不影响核定" in out


def test_a_column_given_twice_refuses_the_import(url, tmp_path, capsys):
    f = tmp_path / "h.xlsx"
    f.write_bytes(workbook_bytes({"已兑现奖励": [[*HEADERS["已兑现奖励"], "兑现金额(元)"], [*ROWS[0], 300000]]}))
    with pytest.raises(L.BadImportFile) as e:
        L.import_history(url, f, approved_by="王五")
    assert e.value.items == ["“已兑现奖励”表第1行“兑现金额(元)”列：表头中此列出现多次，只读取第一次出现的F列，忽略G列"
                              "（单元格内容“兑现金额(元)”）"]
    assert L.payouts(url) == []


def test_an_import_needs_the_name_of_who_imports(url, tmp_path, capsys):
    f = history_file(tmp_path / "h.xlsx", ROWS)
    rc, out, err = run("ledger", "import", f, "--ledger", url, capsys=capsys)
    assert (rc, out, err) == (2, "", "错误：缺少参数 --approved-by（用 subsidy ledger import --help 查看用法）\n")


def test_an_empty_history_sheet_imports_nothing(url, tmp_path, capsys):
    f = history_file(tmp_path / "h.xlsx", [])
    rc, out, err = run("ledger", "import", f, "--approved-by", "王五", "--ledger", url, capsys=capsys)
    assert (rc, err) == (0, "") and out == f"账本：{url}\n导入 0 笔，合计 0.00 元；已在账本中（未重复导入）0 笔。\n"


# --------------------------------------------------------------------------- the rest of the program sees them


def _assess(app: Path, tmp_path: Path, url: str | None, capsys) -> dict:
    js = tmp_path / "r.json"
    argv = ["assess", app, "--year", "2024", "-o", tmp_path / "s.xlsx", "--json", js]
    rc, out, err = run(*argv, *(["--ledger", url] if url else []), capsys=capsys)
    assert rc == 0, err
    return {x["claim_id"]: (x["payable"], [r["code"] for r in x["reasons"]]) for x in
            json.loads(js.read_text("utf-8"))["lines"]}


def test_imported_payouts_are_history_for_assess_with_the_ledger(url, tmp_path, capsys):
    L.import_history(url, history_file(tmp_path / "h.xlsx", ROWS), approved_by="王五")
    app = tmp_path / "app.xlsx"
    app.write_bytes(workbook_bytes({"企业": [HEADERS["企业"], company(A, "瓷都建工")],
                                    "申报事项": [HEADERS["申报事项"],
                                             claim("N-1", A, "国家级企业技术中心", "", "2024-05-01"),
                                             claim("N-2", A, "鲁班奖", "瓷都大厦", "2024-06-01")]}))
    without, with_ledger = _assess(app, tmp_path, None, capsys), _assess(app, tmp_path, url, capsys)
    assert without["N-1"][0] == "500000.00"
    assert with_ledger["N-1"][0] == "300000.00" and "UPGRADE_TOP_UP" in with_ledger["N-1"][1]
    assert with_ledger["N-2"][0] == "0.00" and "ALREADY_PAID" in with_ledger["N-2"][1]


def test_a_whole_application_workbook_imports_its_history_and_assessing_it_with_the_ledger_changes_nothing(
        url, tmp_path, capsys):
    app = history_file(tmp_path / "申报汇总表.xlsx", ROWS, companies=[company(A, "瓷都建工"),
                                                                   company(B, "高新建设", "高新区")],
                       claims=[claim("N-1", A, "国家级企业技术中心", "", "2024-05-01")])
    before = _assess(app, tmp_path, None, capsys)
    rc, out, _ = run("ledger", "import", app, "--approved-by", "王五", "--ledger", url, capsys=capsys)
    assert rc == 0 and "导入 3 笔" in out
    assert before["N-1"][0] == "300000.00"  # the sheet's own history: a top-up
    assert _assess(app, tmp_path, url, capsys) == before


def test_clawback_lists_imported_payouts_under_the_unrecorded_treasury(url, tmp_path, capsys):
    L.import_history(url, history_file(tmp_path / "h.xlsx", ROWS), approved_by="王五")
    app = tmp_path / "app.xlsx"
    app.write_bytes(workbook_bytes({"企业": [HEADERS["企业"], company(A, "瓷都建工", 弄虚作假="是")]}))
    rc, out, err = run("ledger", "clawback", "--applications", app, "-o", tmp_path / "cb.xlsx", "--ledger", url,
                       capsys=capsys)
    assert (rc, err) == (0, "")
    from openpyxl import load_workbook

    rows = list(load_workbook(tmp_path / "cb.xlsx")["按出资财政"].iter_rows(min_row=2, values_only=True))
    assert rows == [(UNRECORDED, 700000), ("合计", 700000)]


def test_the_ledger_audit_counts_imported_payouts(url, tmp_path, capsys):
    from subsidy import audit

    rec(url, tmp_path, result(2023, ln("A-1", "qual_grade1", 500000, measure=2)))
    L.import_history(url, history_file(tmp_path / "h.xlsx", ROWS[1:]), approved_by="王五")
    a = audit.audit_ledger(url)
    assert a.total == Decimal("1800000.00") and a.flags == ()
    assert a.by_treasury == {"珠山区财政": Decimal("500000.00"), UNRECORDED: Decimal("1300000.00")}


def test_ledger_list_shows_where_each_payout_came_from(url, tmp_path, capsys):
    rec(url, tmp_path, result(2023, ln("A-1", "qual_grade1", 500000, measure=2)))
    L.import_history(url, history_file(tmp_path / "h.xlsx", ROWS[:1]), approved_by="王五")
    rc, out, _ = run("ledger", "list", "--ledger", url, capsys=capsys)
    assert rc == 0 and "申报编号 A-1" in out and "导入 第2行" in out and UNRECORDED in out
    assert "共 2 笔，合计 700,000.00 元。" in out
