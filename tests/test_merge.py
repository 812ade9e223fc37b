"""A company's own application file (`check --export`) and `subsidy merge`: round trips to the same amounts, every
refusal named (file, sheet, row, column, both values) with nothing written, and every input row accounted for."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import random
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from workbooks import complete, workbook_bytes

from factory import PACK, cli_run as run, code
from subsidy import engine, params
from subsidy.export import ExportRefused, company_file, export_bytes
from subsidy.merge import MergeRefused, merge_batches
from subsidy.models import Batch, Claim, Company, Payout
from subsidy.workbook.application import ApplicationRows, application_workbook
from subsidy.workbook.reader import read_bytes, read_workbook

CIDUO = "91360203MA0001018A"  # 景德镇瓷都建设集团有限公司 (examples/make_example.py)
CHANGJIANG = "91360202MA0001026N"  # its cap binds
CHENGTOU = "91360200MA00010697"  # HQ relocation
GANDONG = "91360200MA0001034L"  # two rows that cannot be read
A, B = code(501), code(502)
DEFAULTS = params.defaults(PACK)


def outcome(result, renamed: dict[str, str] | None = None) -> dict:
    """Each line's decision as money sees it: status, payable, treasuries, reason codes (messages name rows)."""
    renamed = renamed or {}
    return {renamed.get(ln.claim_id, ln.claim_id): (ln.status, ln.payable, dict(ln.payers),
                                                   tuple(r.code for r in ln.reasons)) for ln in result.lines}


def assess(batch: Batch, year: int = 2024, prm=DEFAULTS, **kw):
    return engine.assess(batch, year=year, pack=PACK, params=prm, **kw)


def company_row(c: str, name: str, tax="1000000", **kw) -> dict:
    row = {"统一社会信用代码": c, "企业名称": name, "注册地": "珠山区", "信用评价分": 92, "列入黑名单": "否",
           "拖欠农民工工资": "否", "质量安全事故等级": "无", "弄虚作假": "否", "地方留成税收(元)": tax, "迁出日期": None}
    row.update(kw)
    return row


def book(path: Path, sheets: dict[str, list[dict]]) -> Path:
    """A hand-made application workbook: {sheet: [row as {column: value}]}, every column of the sheet present."""
    from subsidy.workbook.reader import COLUMNS

    data = {}
    for sheet, rows in sheets.items():
        cols = list(COLUMNS[sheet])
        data[sheet] = [cols, *[[r.get(c) for c in cols] for r in rows]]
    path.write_bytes(workbook_bytes(complete(data)))
    return path


def luban(cid: str, c: str, project: str = "瓷都大厦", on="2024-05-01") -> dict:
    return {"申报编号": cid, "统一社会信用代码": c, "奖励类别": "鲁班奖", "项目或证书名称": project, "获批日期": on}


# --------------------------------------------------------------------------- the company's file


def test_a_company_exported_from_the_example_assesses_to_the_same_result_line_by_line(example, tmp_path, capsys):
    batch = read_workbook(example, pack=PACK)
    for c in (CIDUO, CHANGJIANG, CHENGTOU):
        out = tmp_path / f"申报表-{c}.xlsx"
        rc, text, err = run(["check", example, "--company", c, "--year", "2024", "--export", out], capsys)
        assert rc == 0 and err == "", err
        assert f"申报表：{out}（交住建局，用 subsidy merge 与其他企业的申报表合并）" in text
        cf = company_file(batch, c, pack=PACK)
        renamed = dict(cf.renumbered)
        from subsidy.selfcheck import restrict

        page = assess(restrict(batch, c))
        again = assess(read_workbook(out, pack=PACK))
        assert outcome(again) == outcome(page, renamed)
        assert again.totals.payable == page.totals.payable
        assert [d.deposit for d in again.deposits] == [d.deposit for d in page.deposits]
        assert again.issues == () and again.notices == ()


def test_export_renumbers_claims_as_credit_code_and_running_number_in_the_engines_order(example, tmp_path, capsys):
    out = tmp_path / "申报表.xlsx"
    rc, text, _ = run(["check", example, "--company", CHENGTOU, "--year", "2024", "--export", out], capsys)
    assert rc == 0
    assert (f"申报编号已改为“统一社会信用代码-序号”：2024-017 → {CHENGTOU}-01，H2024-03 → {CHENGTOU}-02"
            in text.replace("\n", ""))
    wb = load_workbook(out)
    assert [r[0] for r in wb["申报事项"].iter_rows(min_row=2, max_row=2, values_only=True)] == [f"{CHENGTOU}-01"]
    assert wb["总部迁入"]["A2"].value == f"{CHENGTOU}-02"
    assert [ws for ws in wb.sheetnames] == ["填表说明", "企业", "申报事项", "总部迁入", "质量保证金", "已兑现奖励"]
    guide = " ".join(str(c.value) for row in wb["填表说明"].iter_rows() for c in row if c.value)
    assert "本申报表由企业自查导出" in guide and "核定年度 2024" in guide and "自查核定合计 1,000,000.00 元" in guide


@pytest.mark.parametrize("ids", [("B-10", "B-9"), ("B-9", "B-10")])
def test_renumbering_keeps_which_duplicate_stands_and_where_the_cap_leftover_fen_go(ids):
    """Two 一级资质 claims (the first by natural 申报编号 stands) and a cap whose leftover fen go to the smaller
    申报编号: the exported file decides both exactly as the original numbers did."""
    company = Company(credit_code=A, name="甲", region="珠山区", credit_score=Decimal(90),
                      local_retained_tax=Decimal("100000.00"))
    claims = (Claim(claim_id=ids[0], credit_code=A, category="qual_grade1", approved_on=dt.date(2024, 3, 1),
                    subject="证书一", row=2),
              Claim(claim_id=ids[1], credit_code=A, category="qual_grade1", approved_on=dt.date(2024, 4, 1),
                    subject="证书二", row=3),
              Claim(claim_id="B-11", credit_code=A, category="method_provincial", subject="工法甲",
                    approved_on=dt.date(2024, 5, 1), row=4),
              Claim(claim_id="B-12", credit_code=A, category="method_provincial", subject="工法乙",
                    approved_on=dt.date(2024, 5, 1), row=5))
    batch = Batch(companies=(company,), claims=claims)
    before = assess(batch)
    cf = company_file(batch, A, pack=PACK)
    after = assess(read_bytes(export_bytes(cf, pack=PACK, year=2024), pack=PACK))
    assert outcome(after) == outcome(before, dict(cf.renumbered))
    assert {ln.status for ln in before.lines} >= {"reduced", "ineligible"}  # the duplicate and the cap both bite


def test_export_is_refused_naming_each_row_the_self_check_could_not_read(example, tmp_path, capsys):
    out = tmp_path / "申报表.xlsx"
    rc, text, err = run(["check", example, "--company", GANDONG, "--year", "2024", "--export", out], capsys)
    assert rc == 2 and text == ""
    assert err == ("错误：该企业有无法读取的数据，请更正后再导出申报表（否则申报表会少于所填内容）：“申报事项”表第31行：获批日期："
                   "日期“2024-02-30”不存在；“申报事项”表第32行：奖励类别：“优秀企业家奖”不是本政策的奖励类别\n")
    assert not out.exists()


def test_check_export_refuses_the_input_as_output_and_a_name_without_xlsx(example, tmp_path, capsys):
    rc, _, err = run(["check", example, "--company", CIDUO, "--year", "2024", "--export", example], capsys)
    assert rc == 2 and "--export 的输出文件" in err and "就是输入文件（IN.xlsx）" in err
    rc, _, err = run(["check", example, "--company", CIDUO, "--year", "2024", "--export", tmp_path / "申报表.xls"],
                     capsys)
    assert rc == 2 and err == f"错误：--export 的输出文件“{tmp_path / '申报表.xls'}”应以 .xlsx 结尾（输出的是 Excel 工作簿）\n"


def test_check_writes_the_json_and_the_application_file_together(example, tmp_path, capsys):
    out, js = tmp_path / "申报表.xlsx", tmp_path / "自查.json"
    rc, _, _ = run(["check", example, "--company", CIDUO, "--year", "2024", "--json", js, "--export", out], capsys)
    assert rc == 0 and out.exists() and json.loads(js.read_text(encoding="utf-8"))["company"] == CIDUO
    js2 = tmp_path / "none" / "x.json"  # a folder that does not exist: neither file appears
    out2 = tmp_path / "申报表2.xlsx"
    rc, _, err = run(["check", example, "--company", CIDUO, "--year", "2024", "--json", js2, "--export", out2],
                     capsys)
    assert rc == 2 and "目录不存在" in err and not out2.exists()


def test_exported_values_read_back_exactly_formula_like_text_and_amounts_beyond_a_double(tmp_path):
    company = Company(credit_code=A, name="=HYPERLINK(\"x\")建设", region="市本级", credit_score=Decimal("-12.5"),
                      local_retained_tax=Decimal("123456789012345.67"), blacklisted=False)
    claims = (Claim(claim_id="x", credit_code=A, category="luban", subject="+瓷都 大厦", approved_on=dt.date(2024, 1, 2),
                    other_policy_name="@省奖", other_policy_amount=Decimal("0.01"), other_policy_paid=True),)
    history = (Payout(credit_code=A, category="hq_relocation", reward_year=2023, paid_on=dt.date(2023, 12, 1),
                      amount=Decimal("99999999999999.99")),)
    batch = Batch(companies=(company,), claims=claims, history=history)
    back = read_bytes(export_bytes(company_file(batch, A, pack=PACK), pack=PACK, year=2024), pack=PACK)
    assert back.issues == () and back.bad_rows == ()
    assert back.companies[0].model_copy(update={"row": None}) == company
    [k] = back.claims
    assert (k.subject, k.other_policy_name, k.other_policy_amount, k.other_policy_paid) == ("+瓷都 大厦", "@省奖",
                                                                                         Decimal("0.01"), True)
    assert back.history[0].amount == Decimal("99999999999999.99") and back.history[0].category == "hq_relocation"


def test_the_ledgers_payouts_go_into_the_file_so_it_assesses_alone_like_the_self_check():
    company = Company(credit_code=A, name="甲", region="珠山区", credit_score=Decimal(90),
                      local_retained_tax=Decimal("5000000"))
    claims = (Claim(claim_id="1", credit_code=A, category="tech_national", approved_on=dt.date(2024, 3, 1)),)
    ledger = (Payout(credit_code=A, category="tech_provincial", reward_year=2023, paid_on=dt.date(2023, 12, 20),
                     amount=Decimal("200000"), source="账本"),)
    batch = Batch(companies=(company,), claims=claims)
    with_ledger = assess(batch, extra_history=ledger)
    cf = company_file(batch, A, pack=PACK, extra_history=ledger)
    alone = assess(read_bytes(export_bytes(cf, pack=PACK, year=2024), pack=PACK))
    assert outcome(alone) == outcome(with_ledger, dict(cf.renumbered))
    assert alone.lines[0].payable == Decimal("300000.00")  # 500,000 top-up over the 200,000 already paid


def test_a_workbook_without_history_exports_a_file_without_history(tmp_path):
    src = book(tmp_path / "in.xlsx", {"企业": [company_row(A, "甲")], "申报事项": [luban("1", A)]})
    batch = read_workbook(src, pack=PACK)
    assert not batch.history_given
    back = read_bytes(export_bytes(company_file(batch, A, pack=PACK), pack=PACK, year=2024), pack=PACK)
    assert not back.history_given  # "not given" stays "not given": assess still warns, it never reads as "none"


def test_export_without_a_credit_code_is_refused():
    with pytest.raises(ExportRefused, match="导出申报表须填写统一社会信用代码"):
        company_file(Batch(), "（未填写）", pack=PACK)


# --------------------------------------------------------------------------- merge: success


def exports(example: Path, folder: Path, companies, capsys) -> list[Path]:
    folder.mkdir(exist_ok=True)
    out = []
    for c in companies:
        p = folder / f"申报表-{c}.xlsx"
        rc, _, err = run(["check", example, "--company", c, "--year", "2024", "--export", p], capsys)
        assert rc == 0, err
        out.append(p)
    return out


def test_merged_exports_assess_to_what_each_company_was_shown(example, tmp_path, capsys):
    exports(example, tmp_path / "收件", (CIDUO, CHANGJIANG, CHENGTOU), capsys)
    merged = tmp_path / "申报汇总表.xlsx"
    rc, text, err = run(["merge", tmp_path / "收件", "-o", merged], capsys)
    assert rc == 0 and err == ""
    assert "已合并 3 个文件：3 家企业" in text and f"申报汇总表：{merged}" in text
    batch = read_workbook(example, pack=PACK)
    from subsidy.selfcheck import restrict

    result = assess(read_workbook(merged, pack=PACK))
    assert result.issues == () and result.notices == ()
    for c in (CIDUO, CHANGJIANG, CHENGTOU):
        renamed = dict(company_file(batch, c, pack=PACK).renumbered)
        mine = [ln for ln in result.lines if ln.credit_code == c]
        assert outcome(result.model_copy(update={"lines": tuple(mine)})) == outcome(assess(restrict(batch, c)),
                                                                                    renamed)
    assert result.totals.payable == Decimal("2200000.00")
    # assess of the merged file reads like assess of any batch: the CLI too
    rc, text, _ = run(["assess", merged, "--year", "2024", "-o", tmp_path / "明细.xlsx"], capsys)
    assert rc == 0 and "核定总额：2,200,000.00 元" in text and "数据问题：无" in text


def test_the_receipts_sheet_lists_each_file_and_reconciles_rows(example, tmp_path, capsys):
    files = exports(example, tmp_path / "收件", (CHENGTOU, CIDUO), capsys)  # listed by file name
    merged = tmp_path / "申报汇总表.xlsx"
    assert run(["merge", *files, "-o", merged], capsys)[0] == 0
    wb = load_workbook(merged)
    assert wb.sheetnames[-1] == "收件清单"
    rows = [[c for c in r] for r in wb["收件清单"].iter_rows(values_only=True)]
    assert rows[0][0] == "收件清单" and rows[1][0].startswith("合并时间：")
    assert rows[3][:10] == ["序号", "文件", "SHA-256", "企业（统一社会信用代码 企业名称）", "企业表", "申报事项表", "总部迁入表",
                            "质量保证金表", "已兑现奖励表", "备注"]
    for i, f in enumerate(files):
        r = rows[4 + i]
        assert r[1] == str(f) and r[2] == hashlib.sha256(f.read_bytes()).hexdigest()
    ciduo = rows[5]
    assert ciduo[3] == f"{CIDUO} 景德镇瓷都建设集团有限公司" and ciduo[4:9] == [1, 7, 0, 2, 1]
    assert rows[6][1:9] == ["合计：收到的行", None, None, 2, 8, 1, 2, 1]
    assert rows[7][1:9] == ["写入本申报汇总表的行", None, None, 2, 8, 1, 2, 1]
    assert [r for r in rows if r[1] == "申报事项 第2行"] == [[None, "申报事项 第2行", f"{CHENGTOU}-01", "文件1 第2行"]
                                                          + [None] * 6]
    assert [r for r in rows if r[1] == "企业 第3行"][0][2:4] == [f"{CIDUO} 景德镇瓷都建设集团有限公司", "文件2 第2行"]


def test_the_same_company_with_the_same_facts_in_two_files_is_one_row(tmp_path, capsys):
    """12.5万 and 125000 are one fact; so are 是 and Y, a name with spaces and without."""
    one = book(tmp_path / "a.xlsx", {"企业": [company_row(A, "景德镇甲建设有限公司", tax="12.5万", 列入黑名单="否")],
                                     "申报事项": [luban(f"{A}-01", A)]})
    two = book(tmp_path / "b.xlsx", {"企业": [company_row(A, "景德镇甲建设 有限公司", tax=125000, 列入黑名单="N",
                                                          信用评价分="92.0")],
                                     "申报事项": [{**luban(f"{A}-02", A, "昌江花园"), "奖励类别": "杜鹃花奖"}]})
    out = tmp_path / "汇总.xlsx"
    rc, text, err = run(["merge", one, two, "-o", out], capsys)
    assert rc == 0, err
    batch = read_workbook(out, pack=PACK)
    assert [c.local_retained_tax for c in batch.companies] == [Decimal("125000.00")]
    assert [k.claim_id for k in batch.claims] == [f"{A}-01", f"{A}-02"]
    assert "企业               2         1             1" in text


def test_a_payout_or_deposit_listed_identically_in_two_files_is_written_once(tmp_path, capsys):
    history = [{"统一社会信用代码": A, "奖励类别": "省级企业技术中心", "奖励年度": 2023, "兑现日期": "2023-12-20",
                "兑现金额(元)": "20万"}]
    deposit = [{"统一社会信用代码": A, "项目名称": "瓷都大厦", "工程价款结算总额(元)": "1,000万"}]
    one = book(tmp_path / "a.xlsx", {"企业": [company_row(A, "甲")], "已兑现奖励": history, "质量保证金": deposit,
                                     "申报事项": [{**luban(f"{A}-01", A), "奖励类别": "国家级企业技术中心"}]})
    two = book(tmp_path / "b.xlsx", {"企业": [company_row(A, "甲")],
                                     "已兑现奖励": [{**history[0], "兑现金额(元)": 200000}],
                                     "质量保证金": [{**deposit[0], "项目名称": "瓷都 大厦", "工程价款结算总额(元)": 10000000}]})
    out = tmp_path / "汇总.xlsx"
    assert run(["merge", one, two, "-o", out], capsys)[0] == 0
    batch = read_workbook(out, pack=PACK)
    assert len(batch.history) == 1 and len(batch.deposits) == 1
    [line] = assess(batch).lines
    assert line.payable == Decimal("300000.00")  # counted twice, the payout would have left 100,000


def test_two_companies_claiming_the_same_luban_project_merge_and_assess_names_the_co_winner(tmp_path, capsys):
    one = book(tmp_path / "a.xlsx", {"企业": [company_row(A, "甲")], "申报事项": [luban(f"{A}-01", A)]})
    two = book(tmp_path / "b.xlsx", {"企业": [company_row(B, "乙")], "申报事项": [luban(f"{B}-01", B, "瓷都 大厦")]})
    out = tmp_path / "汇总.xlsx"
    rc, text, _ = run(["merge", one, two, "-o", out], capsys)
    assert rc == 0
    assert f"提示：鲁班奖“瓷都大厦”由 2 家企业申报（{A}、{B}）" in text
    result = assess(read_workbook(out, pack=PACK))
    assert [(ln.status, ln.reasons[-1].code) for ln in result.lines] == [("pending", "CO_WINNERS")] * 2
    assert "乙" in result.lines[0].reasons[-1].message and "甲" in result.lines[1].reasons[-1].message


def test_a_merged_batch_merges_again_with_a_new_file(tmp_path, capsys):
    one = book(tmp_path / "a.xlsx", {"企业": [company_row(A, "甲")], "申报事项": [luban(f"{A}-01", A)]})
    two = book(tmp_path / "b.xlsx", {"企业": [company_row(B, "乙")], "申报事项": [luban(f"{B}-01", B, "乙项目")]})
    first = tmp_path / "第一批.xlsx"
    assert run(["merge", one, "-o", first], capsys)[0] == 0
    out = tmp_path / "汇总.xlsx"
    assert run(["merge", first, two, "-o", out], capsys)[0] == 0
    assert [c.credit_code for c in read_workbook(out, pack=PACK).companies] == sorted([A, B])


def test_a_folder_is_read_with_its_subfolders_and_what_is_not_read_is_listed(tmp_path, capsys):
    inbox = tmp_path / "收件"
    (inbox / "乙公司").mkdir(parents=True)
    book(inbox / "a.xlsx", {"企业": [company_row(A, "甲")]})
    book(inbox / "乙公司" / "申报表.XLSX", {"企业": [company_row(B, "乙")]})
    (inbox / "~$a.xlsx").write_bytes(b"lock")
    (inbox / ".hidden.xlsx").write_bytes(b"x")
    (inbox / "说明.pdf").write_bytes(b"%PDF")
    out = inbox / "申报汇总表.xlsx"
    out.write_bytes(b"the previous merge")  # the output inside the folder is never read as an input
    rc, text, err = run(["merge", inbox, "-o", out], capsys)
    assert rc == 0, err
    assert "已合并 2 个文件：2 家企业" in text
    for line in (f"未读取：{inbox / '~$a.xlsx'}（Excel 打开文件时生成的临时文件）",
                 f"未读取：{inbox / '.hidden.xlsx'}（隐藏文件）", f"未读取：{inbox / '说明.pdf'}（不是 Excel 工作簿（.xlsx））",
                 f"未读取：{out}（本次合并的输出文件）"):
        assert line in text
    rows = list(load_workbook(out)["收件清单"].iter_rows(values_only=True))
    assert any(r[1] == str(inbox / "说明.pdf") and r[2] == "不是 Excel 工作簿（.xlsx）" for r in rows)


# --------------------------------------------------------------------------- merge: refusals, nothing written


def refused(args, capsys, out: Path) -> tuple[int, list[str], str]:
    before = out.read_bytes() if out.exists() else None
    rc, text, err = run(args, capsys)
    assert text == ""
    assert (out.read_bytes() if out.exists() else None) == before  # nothing written, an old file untouched
    lines = err.splitlines()
    assert lines[0].startswith("不能合并")
    problems = [ln.split(". ", 1)[1] for ln in lines[1:-1]]
    return rc, problems, lines[-1]


def test_a_company_differing_only_in_its_local_tax_is_refused_naming_both_cells(tmp_path, capsys):
    one = book(tmp_path / "a.xlsx", {"企业": [company_row(A, "甲", tax="100万")]})
    two = book(tmp_path / "b.xlsx", {"企业": [company_row(B, "乙"), company_row(A, "甲", tax="200万")]})
    out = tmp_path / "汇总.xlsx"
    out.write_bytes(b"last year's")
    rc, problems, last = refused(["merge", one, two, "-o", out], capsys, out)
    assert rc == 1
    assert problems == [f"企业“{A}”（甲）的“地方留成税收(元)”在两个文件中不同：{one}“企业”表第2行为“1,000,000.00”，"
                        f"{two}“企业”表第3行为“2,000,000.00”：请与企业核实，更正后再合并"]
    assert last == "错误：合并未完成：发现 1 处问题（见上），未写出任何文件"


def test_every_differing_cell_of_a_company_is_named(tmp_path, capsys):
    one = book(tmp_path / "a.xlsx", {"企业": [company_row(A, "甲", 信用评价分=92, 拖欠农民工工资="否")]})
    two = book(tmp_path / "b.xlsx", {"企业": [company_row(A, "甲", 信用评价分=85.5, 拖欠农民工工资="是",
                                                          迁出日期="2024-09-30")]})
    out = tmp_path / "汇总.xlsx"
    rc, problems, _ = refused(["merge", one, two, "-o", out], capsys, out)
    assert [p.split("的“")[1].split("”")[0] for p in problems] == ["信用评价分", "拖欠农民工工资", "迁出日期"]
    assert "第2行为“92”" in problems[0] and "第2行为“85.5”" in problems[0]
    assert "为“否”" in problems[1] and "为“是”" in problems[1]
    assert "为“（空）”" in problems[2] and "为“2024-09-30”" in problems[2]


def test_a_claim_number_in_two_files_is_refused_naming_both_files_and_rows(tmp_path, capsys):
    one = book(tmp_path / "a.xlsx", {"企业": [company_row(A, "甲")], "申报事项": [luban("X-01", A)]})
    two = book(tmp_path / "b.xlsx", {"企业": [company_row(B, "乙")],
                                     "总部迁入": [{"申报编号": "X-01", "统一社会信用代码": B, "迁入方式": "总部迁入",
                                               "资质等级": "施工总承包一级", "落户认定日期": "2023-06-01",
                                               "地方财政贡献(元)": 800000}]})
    same = book(tmp_path / "c.xlsx", {"企业": [company_row(A, "甲")], "申报事项": [luban("X-02", A)]})
    same2 = book(tmp_path / "d.xlsx", {"企业": [company_row(A, "甲")], "申报事项": [{}, luban("X-02", A)]})
    out = tmp_path / "汇总.xlsx"
    rc, problems, _ = refused(["merge", one, two, same, same2, "-o", out], capsys, out)
    assert problems == [
        f"申报编号“X-01”在多个文件中重复：{one}“申报事项”表第2行、{two}“总部迁入”表第2行（申报编号须唯一，请确认是哪一份申报，"
        "更正编号或删去重复的申报后再合并）",
        f"申报编号“X-02”在多个文件中重复：{same}“申报事项”表第2行、{same2}“申报事项”表第3行（两行内容相同，"
        "可能是同一份申报重复提交，请只保留一份）",
    ]


def test_a_file_that_is_not_an_application_workbook_is_refused_by_name_and_nothing_is_written(tmp_path, capsys):
    good = book(tmp_path / "a.xlsx", {"企业": [company_row(A, "甲")]})
    text = tmp_path / "b.xlsx"
    text.write_text("hello", encoding="utf-8")
    other = tmp_path / "c.xlsx"
    other.write_bytes(workbook_bytes({"申报事项表": [["x"], [1]], "企业": [["统一社会信用代码"]]}))
    out = tmp_path / "汇总.xlsx"
    rc, problems, last = refused(["merge", good, text, other, "-o", out], capsys, out)
    assert rc == 2
    assert problems[0] == f"“{text}”不是 Excel 工作簿（.xlsx）文件"
    assert problems[1].startswith(f"“{other}”中有无法识别的工作表“申报事项表”（最接近的规定表名是“申报事项”）")
    assert len(problems) == 2


def test_rows_that_cannot_be_read_are_refused_with_sheet_row_column_and_value(tmp_path, capsys):
    bad = book(tmp_path / "a.xlsx", {"企业": [company_row(A, "甲", 信用评价分="九十")],
                                     "申报事项": [luban(f"{A}-01", A, on="2024-02-30")],
                                     "已兑现奖励": [{"统一社会信用代码": A, "奖励类别": "鲁班奖", "项目或证书名称": "x",
                                                "奖励年度": "去年", "兑现日期": "2023-12-01", "兑现金额(元)": 1}]})
    out = tmp_path / "汇总.xlsx"
    rc, problems, _ = refused(["merge", bad, "-o", out], capsys, out)
    assert rc == 1
    assert problems == [
        f"{bad}无法读取的行：“企业”表第2行：信用评价分：“九十”不是有效的分数（应为数字，如 85 或 92.5）",
        f"{bad}无法读取的行：“申报事项”表第2行：获批日期：日期“2024-02-30”不存在",
        f"{bad}无法读取的行：“已兑现奖励”表第2行：奖励年度：“去年”不是有效的年度（应为四位年份，如 2023）",
    ]


def test_a_claim_without_a_number_and_the_same_file_twice_are_refused(tmp_path, capsys):
    one = book(tmp_path / "a.xlsx", {"企业": [company_row(A, "甲")], "申报事项": [luban(None, A)]})
    copy = tmp_path / "a-副本.xlsx"
    copy.write_bytes(one.read_bytes())
    out = tmp_path / "汇总.xlsx"
    rc, problems, _ = refused(["merge", one, copy, "-o", out], capsys, out)
    assert problems[0] == f"{copy}、{one} 内容完全相同（同一份申报表收到了2次），请只保留一份后再合并"
    assert problems[1] == (f"{copy}“申报事项”表第2行没有申报编号：合并后行号改变，编号无法保持，请填写申报编号"
                           f"（如 统一社会信用代码-序号：{A}-01）")


def test_a_payout_or_deposit_listed_differently_in_two_files_is_refused(tmp_path, capsys):
    h = {"统一社会信用代码": A, "奖励类别": "鲁班奖", "项目或证书名称": "瓷都大厦", "奖励年度": 2023, "兑现日期": "2023-12-20",
         "兑现金额(元)": 500000}
    one = book(tmp_path / "a.xlsx", {"企业": [company_row(A, "甲")], "已兑现奖励": [h],
                                     "质量保证金": [{"统一社会信用代码": A, "项目名称": "P", "工程价款结算总额(元)": 100}]})
    two = book(tmp_path / "b.xlsx", {"企业": [company_row(A, "甲")], "已兑现奖励": [{**h, "兑现金额(元)": 250000}],
                                     "质量保证金": [{"统一社会信用代码": A, "项目名称": "P", "工程价款结算总额(元)": 200}]})
    out = tmp_path / "汇总.xlsx"
    rc, problems, _ = refused(["merge", one, two, "-o", out], capsys, out)
    assert problems == [
        f"企业“{A}”的质量保证金项目“P”在多个文件中不同（{one}：“质量保证金”表第2行 工程价款结算总额(元) 100.00；"
        f"{two}：“质量保证金”表第2行 工程价款结算总额(元) 200.00）：同一事项只能有一种记录，请核实后更正再合并",
        f"企业“{A}”2023年度的已兑现奖励“鲁班奖”“瓷都大厦”在多个文件中不同（{one}：“已兑现奖励”表第2行 兑现日期 2023-12-20，"
        f"兑现金额(元) 500,000.00；{two}：“已兑现奖励”表第2行 兑现日期 2023-12-20，兑现金额(元) 250,000.00）："
        "同一事项只能有一种记录，请核实后更正再合并",
    ]


def test_the_output_may_not_be_one_of_the_files_named(tmp_path, capsys):
    one = book(tmp_path / "a.xlsx", {"企业": [company_row(A, "甲")]})
    before = one.read_bytes()
    rc, _, err = run(["merge", one, "-o", one], capsys)
    assert rc == 2 and err == f"错误：-o 的输出文件“{one}”就是输入文件（文件1），写出会覆盖输入，请换一个文件名\n"
    assert one.read_bytes() == before


def test_an_empty_folder_is_refused(tmp_path, capsys):
    (tmp_path / "空").mkdir()
    rc, _, err = run(["merge", tmp_path / "空", "-o", tmp_path / "汇总.xlsx"], capsys)
    assert rc == 2 and err.splitlines()[-1] == "错误：合并未完成：发现 1 处问题（见上），未写出任何文件"
    assert "没有找到要合并的申报表（.xlsx 文件）" in err


# --------------------------------------------------------------------------- properties


def _merge_all(files: list[tuple[str, bytes]]):
    inputs = [(name, read_bytes(data, pack=PACK, name=name)) for name, data in files]
    return merge_batches(inputs, pack=PACK)


def _written(merged) -> Batch:
    import io

    buf = io.BytesIO()
    application_workbook(merged.rows, pack=PACK).save(buf)
    return read_bytes(buf.getvalue(), pack=PACK)


from test_properties import batches  # noqa: E402  (the engine's generated batches, reused)

#: each example writes one workbook per company and the merged one (about 0.4 s each): few by default, more with
#: SUBSIDY_ROUNDTRIP_EXAMPLES=100 for a longer run
ROUND_TRIP = settings(max_examples=int(os.environ.get("SUBSIDY_ROUNDTRIP_EXAMPLES", "6")), deadline=None,
                      suppress_health_check=[HealthCheck.too_slow])


@ROUND_TRIP
@given(batches(), st.integers(0, 2**32))
def test_every_company_exported_then_merged_assesses_like_the_original_batch(b, seed):
    """Export each company of a generated batch, merge the files in any order: the merged batch gives every claim
    the original batch's decision (status, amount, treasuries, reasons), every input row is in the output."""
    companies, claims, hqs, history, config = b
    # as the reader and the form make them: a claim paid per project or subject names it
    per_item = {c.code for c in PACK.categories if c.key == "subject"}
    claims = [k.model_copy(update={"subject": "某项目"}) if k.category in per_item and not k.subject else k
              for k in claims]
    prm = params.apply(DEFAULTS, config, PACK)
    batch = Batch(companies=tuple(companies), claims=tuple(claims), hq_claims=tuple(hqs), history=tuple(history))
    files, renamed = [], {}
    for c in companies:
        cf = company_file(batch, c.credit_code, pack=PACK)
        renamed.update(cf.renumbered)
        files.append((f"{c.credit_code}.xlsx", export_bytes(cf, pack=PACK, year=2024)))
    random.Random(seed).shuffle(files)
    merged = _merge_all(files)
    for sheet in merged.sources:
        assert merged.received_rows(sheet) == merged.written_rows(sheet) + merged.joined_rows(sheet)
    assert merged.received_rows("申报事项") + merged.received_rows("总部迁入") == len(claims) + len(hqs)
    again = assess(_written(merged), prm=prm)
    assert outcome(again) == outcome(assess(batch, prm=prm), renamed)
    assert again.totals == assess(batch, prm=prm).totals


@settings(max_examples=25, deadline=None)
@given(st.permutations(range(4)))
def test_the_merged_batch_does_not_depend_on_the_order_of_the_files(order):
    rows = [
        {"企业": [company_row(A, "甲")], "申报事项": [luban("A-2", A), luban("A-10", A, "二")]},
        {"企业": [company_row(B, "乙"), company_row(A, "甲", tax=1000000)], "申报事项": [luban("B-1", B)]},
        {"企业": [company_row(code(503), "丙")],
         "已兑现奖励": [{"统一社会信用代码": code(503), "奖励类别": "鲁班奖", "项目或证书名称": "x", "奖励年度": 2023,
                    "兑现日期": "2023-12-01", "兑现金额(元)": 500000}]},
        {"企业": [company_row(code(503), "丙")],
         "已兑现奖励": [{"统一社会信用代码": code(503), "奖励类别": "鲁班奖", "项目或证书名称": "x", "奖励年度": 2023,
                    "兑现日期": "2023-12-01", "兑现金额(元)": "50万"}]},
    ]
    files = [(f"f{i}.xlsx", _bytes(r)) for i, r in enumerate(rows)]
    merged = _merge_all([files[i] for i in order])
    assert [r.name for r in merged.received] == ["f0.xlsx", "f1.xlsx", "f2.xlsx", "f3.xlsx"]
    assert merged.rows == _merge_all(files).rows
    assert [k.claim_id for k in merged.rows.claims] == ["A-2", "A-10", "B-1"]


def _bytes(sheets: dict[str, list[dict]]) -> bytes:
    from subsidy.workbook.reader import COLUMNS

    return workbook_bytes(complete({s: [list(COLUMNS[s]), *[[r.get(c) for c in COLUMNS[s]] for r in rows]]
                                    for s, rows in sheets.items()}))


def test_merge_refused_carries_every_problem():
    one = ("a.xlsx", read_bytes(_bytes({"企业": [company_row(A, "甲", tax=1)]}), pack=PACK))
    two = ("b.xlsx", read_bytes(_bytes({"企业": [company_row(A, "甲", tax=2, 注册地="昌江区")]}), pack=PACK))
    with pytest.raises(MergeRefused) as e:
        merge_batches([one, two], pack=PACK)
    assert len(e.value.problems) == 2 and e.value.exit_code == 1
    assert str(e.value) == "合并未完成：发现 2 处问题（见上），未写出任何文件"


def test_application_rows_default_to_an_empty_workbook_that_assesses_to_nothing():
    import io

    buf = io.BytesIO()
    application_workbook(ApplicationRows(), pack=PACK).save(buf)
    batch = read_bytes(buf.getvalue(), pack=PACK)
    assert batch.companies == () and batch.issues == () and batch.history_given
