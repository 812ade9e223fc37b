"""The application-workbook reader (SPEC 4, SPEC 2.2 step 1), on workbooks built with openpyxl."""
from __future__ import annotations

import datetime as dt
import hashlib
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from helpers_uscc import uscc
from policies import get_pack
from subsidy.errors import UnreadableInput
from subsidy.models import AccidentLevel
from subsidy.workbook import read_bytes, read_workbook

D = Decimal
A, B, C, X = uscc(1), uscc(2), uscc(3), uscc(4)  # X is valid but never in 企业
BAD_CHECK = A[:17] + ("0" if A[17] != "0" else "1")

# every column of each sheet (SPEC 4: a missing column refuses the file); rows may be shorter (blank cells)
COMPANY_HEAD = ["统一社会信用代码", "企业名称", "注册地", "信用评价分", "列入黑名单", "拖欠农民工工资", "质量安全事故等级",
                "弄虚作假", "地方留成税收(元)", "迁出日期"]
CLAIM_HEAD = ["申报编号", "统一社会信用代码", "奖励类别", "项目或证书名称", "获批日期", "其他政策名称", "其他政策金额(元)",
              "其他政策已兑现"]
HQ_HEAD = ["申报编号", "统一社会信用代码", "迁入方式", "资质等级", "落户认定日期", "地方财政贡献(元)"]
DEPOSIT_HEAD = ["统一社会信用代码", "项目名称", "工程价款结算总额(元)"]
HISTORY_HEAD = ["统一社会信用代码", "奖励类别", "项目或证书名称", "奖励年度", "兑现日期", "兑现金额(元)"]


@pytest.fixture(scope="module")
def pack():
    return get_pack()


def write_xlsx(path: Path, sheets: dict[str, list[list | None]], *, first_row: int = 1, first_col: int = 1) -> Path:
    """One sheet per key, rows written from (first_row, first_col); None is a blank row."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for i, row in enumerate(rows):
            for j, value in enumerate(row or []):
                if value is not None:
                    ws.cell(row=first_row + i, column=first_col + j, value=value)
    wb.save(path)
    return path


def companies(*codes: str) -> list[list]:
    return [COMPANY_HEAD] + [[code, f"企业{i}", "珠山区"] for i, code in enumerate(codes)]


def read(tmp_path: Path, sheets: dict, **kw):
    return read_workbook(write_xlsx(tmp_path / "in.xlsx", sheets, **kw), pack=get_pack())


def unreadable(path: Path) -> str:
    with pytest.raises(UnreadableInput) as info:
        read_workbook(path, pack=get_pack())
    return str(info.value)


# --------------------------------------------------------------------------- the happy path


def test_happy_path_all_five_sheets_columns_shuffled(tmp_path, pack):
    sheets = {
        "填表说明": [["本表用于……"]],  # the template's instructions: a known sheet, not read
        "企业": [
            ["备注", "迁出日期", "地方留成税收（元）", "注册地", "质量安全事故等级", "企业名称", "信用评价分",
             "弄虚作假", "拖欠农民工工资", "列入黑名单", "统一社会信用代码"],
            ["老客户", None, 2_000_000, "珠山区", None, "甲建设有限公司", 92.5, "否", "否", "否", A],
            [None, "2024年5月1日", "120万", "市外", "一般", "乙建筑有限公司", "85", "N", "FALSE", 0, B.lower()],
        ],
        "已兑现奖励": [
            ["兑现金额(元)", "兑现日期", "奖励年度", "项目或证书名称", "奖励类别", "统一社会信用代码"],
            [200000, dt.date(2023, 6, 1), 2023, "", "省级企业技术中心", A],
            ["50万", "2024/2/1", "2023", "", "总部迁入", B],
        ],
        "质量保证金": [["工程价款结算总额(元)", "项目名称", "统一社会信用代码"], ["1,000,000.005", "一号楼", A]],
        "总部迁入": [
            ["地方财政贡献(元)", "落户认定日期", "资质等级", "迁入方式", "统一社会信用代码", "申报编号"],
            [3_000_000, dt.datetime(2023, 3, 1), "施工总承包一级", "总部迁入", A, "HQ-1"],
        ],
        "申报事项": [
            ["其他政策已兑现", "其他政策金额(元)", "其他政策名称", "获批日期", "项目或证书名称", "奖励类别",
             "统一社会信用代码", "申报编号", "无关列"],
            ["是", "10万", "省级奖励", "2024-03-15", " 景德镇一号楼 ", "鲁班奖", A, "A-1", "x"],
            [None, None, None, dt.date(2024, 4, 1), None, "施工综合资质", f" {A} ", None, None],
        ],
    }
    path = write_xlsx(tmp_path / "in.xlsx", sheets)
    batch = read_workbook(path, pack=pack)

    # the two columns that are not the sheets' own are read nowhere, and said so
    assert [(i.sheet, i.row, i.column) for i in batch.issues] == [("企业", 1, "备注"), ("申报事项", 1, "无关列")]
    assert batch.issues[0].message == "未识别的列“备注”（A列）：不是本表规定的列，未读取，不影响核定"
    assert [n.code for n in batch.notices] == ["UNKNOWN_COLUMNS"]
    assert batch.notices[0].message == ("以下列不是规定的列，未读取（见数据问题表）：“企业”表的“备注”；"
                                        "“申报事项”表的“无关列”")
    assert batch.absent_sheets == ()
    assert batch.input_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()

    a, b = batch.companies
    assert (a.credit_code, a.name, a.region, a.credit_score, a.local_retained_tax, a.row) == (
        A, "甲建设有限公司", "珠山区", D("92.5"), D("2000000.00"), 2)
    assert not (a.blacklisted or a.wage_arrears or a.fraud) and a.accident is AccidentLevel.none
    assert a.moved_out_on is None
    assert (b.credit_code, b.region, b.accident, b.moved_out_on, b.local_retained_tax, b.row) == (
        B, "市外", AccidentLevel.ordinary, dt.date(2024, 5, 1), D("1200000.00"), 3)

    c1, c2 = batch.claims
    assert (c1.claim_id, c1.credit_code, c1.category, c1.subject, c1.approved_on, c1.row) == (
        "A-1", A, "luban", "景德镇一号楼", dt.date(2024, 3, 15), 2)
    assert (c1.other_policy_name, c1.other_policy_amount, c1.other_policy_paid) == ("省级奖励", D("100000.00"), True)
    assert (c2.claim_id, c2.category, c2.subject, c2.other_policy_amount, c2.other_policy_paid) == (
        "申报事项:3", "qual_special", "", D("0"), False)

    (hq,) = batch.hq_claims
    assert (hq.claim_id, hq.credit_code, hq.mode, hq.qualification, hq.recognised_on, hq.fiscal_contribution) == (
        "HQ-1", A, "总部迁入", "施工总承包一级", dt.date(2023, 3, 1), D("3000000.00"))

    (dep,) = batch.deposits
    assert (dep.credit_code, dep.project, dep.settlement_amount, dep.row) == (A, "一号楼", D("1000000.01"), 2)

    h1, h2 = batch.history
    assert (h1.credit_code, h1.category, h1.reward_year, h1.paid_on, h1.amount, h1.source, h1.row) == (
        A, "tech_provincial", 2023, dt.date(2023, 6, 1), D("200000.00"), "已兑现奖励", 2)
    assert (h2.credit_code, h2.category, h2.amount, h2.row) == (B, "hq_relocation", D("500000.00"), 3)
    assert batch.rejected == batch.rejected_deposits == batch.invalid_companies == batch.unreadable_history == ()


def test_only_the_company_sheet_is_required_and_each_absent_sheet_is_named(tmp_path):
    batch = read(tmp_path, {"企业": companies(A)})
    (a,) = batch.companies
    assert (a.credit_score, a.blacklisted, a.accident, a.local_retained_tax, a.moved_out_on) == (
        None, False, AccidentLevel.none, None, None)
    assert batch.claims == batch.hq_claims == batch.deposits == batch.history == ()
    assert batch.absent_sheets == ("申报事项", "总部迁入", "质量保证金", "已兑现奖励")
    assert [n.message for n in batch.notices] == [
        "申报汇总表中没有“申报事项”表：本次没有资质、荣誉、基地、技术中心、标准、工法的申报",
        "申报汇总表中没有“总部迁入”表：本次没有总部迁入奖励的申报",
        "申报汇总表中没有“质量保证金”表：本次不计算工程质量保证金",
        "申报汇总表中没有“已兑现奖励”表：没有往年已兑现奖励的记录"]


def test_a_claim_sheet_without_one_of_its_columns_is_refused_naming_every_missing_one(tmp_path):
    path = write_xlsx(tmp_path / "in.xlsx", {"企业": companies(A), "申报事项": [
        ["奖励类别", "获批日期", "统一社会信用代码"], ["施工总承包一级资质", "2024-1-5", A]]})
    assert unreadable(path) == ("工作表“申报事项”缺少列“申报编号”、“项目或证书名称”、“其他政策名称”、“其他政策金额(元)”、"
                                "“其他政策已兑现”（表头在第1行）")


def test_excel_row_numbers_count_leading_blank_rows_and_skipped_blank_rows(tmp_path):
    # header on Excel row 3 starting at column C; a blank and a whitespace-only row in between
    sheets = {
        "企业": [COMPANY_HEAD, [A, "甲", "珠山区"], None, ["  ", "\u3000", None], [B, "乙", "火星"]],
        "申报事项": [CLAIM_HEAD, None, None, ["K-1", A, "鲁班奖", "一号楼", "2024-02-30"]],
    }
    batch = read(tmp_path, sheets, first_row=3, first_col=3)
    assert [c.row for c in batch.companies] == [4]
    region_issue, claim_issue = batch.issues
    assert (region_issue.sheet, region_issue.row, region_issue.column, region_issue.value) == ("企业", 7, "注册地", "火星")
    assert "“火星”不是有效的注册地" in region_issue.message
    assert (claim_issue.sheet, claim_issue.row, claim_issue.column, claim_issue.value) == (
        "申报事项", 6, "获批日期", "2024-02-30")
    assert claim_issue.message == "获批日期：日期“2024-02-30”不存在"
    (rej,) = batch.rejected
    assert (rej.row, rej.claim_id, rej.code) == (6, "K-1", "INVALID_ROW")


def _pad(row: list, width: int = len(COMPANY_HEAD)) -> list:
    return row + [None] * (width - len(row))


def test_a_row_with_content_only_in_an_unknown_column_is_blank_and_the_column_is_named(tmp_path):
    sheets = {"企业": [COMPANY_HEAD + ["备注"], _pad([A, "甲", "珠山区"]) + [""],
                       _pad([None, None, None]) + ["以下空白"]]}
    batch = read(tmp_path, sheets)
    assert len(batch.companies) == 1
    (issue,) = batch.issues
    assert (issue.sheet, issue.row, issue.column, issue.value) == ("企业", 1, "备注", "备注")


def test_data_under_a_blank_header_is_named_with_its_column_and_first_row(tmp_path):
    sheets = {"企业": [COMPANY_HEAD, _pad([A, "甲", "珠山区"]) + [None, "联系人：张三"]]}
    batch = read(tmp_path, sheets)
    (issue,) = batch.issues
    assert (issue.sheet, issue.row, issue.column) == ("企业", 2, "L列")
    assert issue.message == "L列没有表头，其中的数据（第2行起）未读取，不影响核定；如是申报数据，请填入规定的列"
    assert batch.notices[-1].message.endswith("“企业”表的L列（无表头）")


def test_header_matching_ignores_surrounding_and_full_width_forms(tmp_path):
    head = [" 统一社会信用代码 ", "企业名称\u3000", "注册地", "地方留成税收（元）", "信用评价分", "列入\u200b黑名单",
            "拖欠农民工工资", "质量安全事故等级", "弄虚作假", "迁出日期"]
    (a,) = read(tmp_path, {"企业": [head, [A, "甲", " 昌江区 ", "1万"]]}).companies
    assert (a.region, a.local_retained_tax) == ("昌江区", D("10000.00"))


def test_duplicate_header_column_reads_the_first_and_says_so(tmp_path):
    sheets = {"企业": [COMPANY_HEAD + ["企业名称"], _pad([A, "甲", "珠山区"]) + ["别名"]]}
    batch = read(tmp_path, sheets)
    assert batch.companies[0].name == "甲"
    (issue,) = batch.issues
    assert (issue.sheet, issue.row, issue.column) == ("企业", 1, "企业名称")
    assert "只读取第一次出现的B列" in issue.message


def test_sheet_names_are_matched_after_trimming(tmp_path):
    batch = read(tmp_path, {" 企业 ": companies(A)})
    assert len(batch.companies) == 1


def test_read_bytes_equals_read_workbook(tmp_path, pack):
    path = write_xlsx(tmp_path / "in.xlsx", {"企业": companies(A, B)})
    assert read_bytes(path.read_bytes(), pack=pack) == read_workbook(path, pack=pack)


# --------------------------------------------------------------------------- unreadable files


def test_missing_path(tmp_path):
    path = tmp_path / "没有.xlsx"
    assert unreadable(path) == f"找不到申报汇总表：{path}"


def test_directory_is_not_a_workbook(tmp_path):
    assert unreadable(tmp_path) == f"“{tmp_path}”是文件夹，不是申报汇总表"


def test_empty_file(tmp_path):
    (tmp_path / "e.xlsx").write_bytes(b"")
    assert unreadable(tmp_path / "e.xlsx") == "“e.xlsx”是空文件（0字节），不是 Excel 工作簿"


def test_text_file_is_not_an_xlsx(tmp_path):
    (tmp_path / "a.xlsx").write_text("统一社会信用代码,企业名称\n", encoding="utf-8")
    assert unreadable(tmp_path / "a.xlsx") == "“a.xlsx”不是 Excel 工作簿（.xlsx）文件"


def test_zip_that_is_not_a_workbook(tmp_path):
    with zipfile.ZipFile(tmp_path / "z.xlsx", "w") as z:
        z.writestr("readme.txt", "hello")
    assert unreadable(tmp_path / "z.xlsx") == "“z.xlsx”不是 Excel 工作簿（.xlsx）文件"


def test_truncated_workbook_is_corrupt(tmp_path):
    data = write_xlsx(tmp_path / "ok.xlsx", {"企业": companies(A)}).read_bytes()
    (tmp_path / "bad.xlsx").write_bytes(data[: len(data) // 2])
    assert unreadable(tmp_path / "bad.xlsx") == "“bad.xlsx”已损坏，无法作为 Excel 工作簿读取"


def test_damaged_sheet_xml_is_corrupt(tmp_path):
    src = write_xlsx(tmp_path / "ok.xlsx", {"企业": companies(A)})
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(tmp_path / "bad.xlsx", "w") as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename.startswith("xl/worksheets/"):
                data = data[: len(data) // 2]
            zout.writestr(item, data)
    message = unreadable(tmp_path / "bad.xlsx")
    assert message.startswith("“bad.xlsx”已损坏")


def _ole(payload: bytes) -> bytes:
    """A compound-file header followed by a directory entry name: what Office writes for encrypted/legacy files."""
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + payload + b"\0" * 512


def test_encrypted_workbook(tmp_path):
    (tmp_path / "secret.xlsx").write_bytes(_ole("EncryptionInfo\0EncryptedPackage".encode("utf-16-le")))
    assert unreadable(tmp_path / "secret.xlsx") == "“secret.xlsx”设有打开密码（已加密），请取消密码后再提交"


def test_legacy_xls(tmp_path):
    (tmp_path / "old.xls").write_bytes(_ole("Workbook".encode("utf-16-le")))
    assert unreadable(tmp_path / "old.xls") == (
        "“old.xls”是旧版 Excel（.xls）等格式，不是 .xlsx 工作簿，请在 Excel 中另存为 .xlsx 后再提交")


def test_no_company_sheet(tmp_path):
    path = write_xlsx(tmp_path / "in.xlsx", {"Sheet1": [], "申报事项": [CLAIM_HEAD]})
    assert unreadable(path) == "“in.xlsx”中没有“企业”工作表（现有工作表：“Sheet1”、“申报事项”）"


def test_company_sheet_missing_a_column_is_refused_naming_the_nearest_header(tmp_path):
    head = [h if h != "信用评价分" else "信用评分" for h in COMPANY_HEAD]
    path = write_xlsx(tmp_path / "in.xlsx", {"企业": [head + ["备注"], [A, "甲", "珠山区"]]})
    assert unreadable(path) == ("工作表“企业”缺少列“信用评价分”（表头在第1行；表头中的“信用评分”不是规定的列名，"
                                "是否就是“信用评价分”？）")


def test_a_renamed_blacklist_header_refuses_the_file_rather_than_read_every_company_as_not_blacklisted(tmp_path):
    head = [h if h != "列入黑名单" else "黑名单" for h in COMPANY_HEAD]
    path = write_xlsx(tmp_path / "in.xlsx", {"企业": [head, [A, "甲", "珠山区", None, "是"]]})
    assert unreadable(path) == ("工作表“企业”缺少列“列入黑名单”（表头在第1行；表头中的“黑名单”不是规定的列名，"
                                "是否就是“列入黑名单”？）")


def test_a_title_row_above_the_header_is_shown_as_an_issue_and_not_read(tmp_path):
    batch = read(tmp_path, {"企业": [["2024年申报汇总表"], None, COMPANY_HEAD, [A, "甲", "珠山区"]]}, first_row=2)
    assert [c.row for c in batch.companies] == [5]
    (issue,) = batch.issues
    assert (issue.sheet, issue.row, issue.value) == ("企业", 2, "2024年申报汇总表")
    assert issue.message == "表头（第4行）上方的第2行不是数据，视为标题，未读取"


def test_a_header_with_no_column_of_the_sheet_is_refused_naming_the_row_taken_as_header(tmp_path):
    path = write_xlsx(tmp_path / "in.xlsx", {"企业": [["代码", "名称"], [A, "甲"]]})
    assert unreadable(path).startswith("工作表“企业”缺少列“统一社会信用代码”、“企业名称”、“注册地”、")


def test_blank_company_sheet(tmp_path):
    path = write_xlsx(tmp_path / "in.xlsx", {"企业": []})
    assert unreadable(path) == ("工作表“企业”是空的，缺少必需的列“统一社会信用代码”、“企业名称”、“注册地”、“信用评价分”、"
                                "“列入黑名单”、“拖欠农民工工资”、“质量安全事故等级”、“弄虚作假”、“地方留成税收(元)”、“迁出日期”")


@pytest.mark.parametrize(
    ("sheet", "head", "missing"),
    [
        ("申报事项", [h for h in CLAIM_HEAD if h != "获批日期"], "获批日期"),
        ("总部迁入", [h for h in HQ_HEAD if h != "地方财政贡献(元)"], "地方财政贡献(元)"),
        ("质量保证金", ["统一社会信用代码", "项目名称"], "工程价款结算总额(元)"),
        ("已兑现奖励", ["统一社会信用代码", "奖励类别", "奖励年度", "兑现日期", "项目或证书名称"], "兑现金额(元)"),
    ],
    ids=["claims", "hq", "deposits", "history"],
)
def test_optional_sheet_present_but_missing_a_required_column(tmp_path, sheet, head, missing):
    path = write_xlsx(tmp_path / "in.xlsx", {"企业": companies(A), sheet: [head]})
    assert unreadable(path) == f"工作表“{sheet}”缺少列“{missing}”（表头在第1行）"


def test_optional_sheet_left_completely_blank_is_empty(tmp_path):
    batch = read(tmp_path, {"企业": companies(A), "申报事项": []})
    assert batch.claims == batch.rejected == batch.issues == ()


def test_garbage_collection_is_restored_even_after_an_error(tmp_path, pack):
    import gc

    assert gc.isenabled()
    read(tmp_path, {"企业": companies(A)})
    with pytest.raises(UnreadableInput):
        read(tmp_path, {"企业": [["x"]]})
    assert gc.isenabled()


def test_read_bytes_names_the_upload(pack):
    with pytest.raises(UnreadableInput, match="^“上传文件”不是 Excel 工作簿"):
        read_bytes(b"hello", pack=pack)
    with pytest.raises(UnreadableInput, match="^“申报.xlsx”不是"):
        read_bytes(b"hello", pack=pack, name="申报.xlsx")


# --------------------------------------------------------------------------- 企业 rows


def test_bad_company_row_gives_one_issue_per_bad_cell_and_is_left_out(tmp_path):
    head = ["统一社会信用代码", "企业名称", "注册地", "信用评价分", "列入黑名单", "质量安全事故等级", "地方留成税收(元)",
            "迁出日期", "拖欠农民工工资", "弄虚作假"]
    sheets = {"企业": [head, [A, "", "火星", 120, "也许", "很大", "-5", "昨天"], [B, "乙", "高新区"]]}
    batch = read(tmp_path, sheets)
    assert [c.credit_code for c in batch.companies] == [B]
    assert batch.invalid_companies == (A,)
    assert [(i.row, i.column, i.value) for i in batch.issues] == [
        (2, "企业名称", ""), (2, "注册地", "火星"), (2, "信用评价分", "120"), (2, "列入黑名单", "也许"),
        (2, "质量安全事故等级", "很大"), (2, "地方留成税收(元)", "-5"), (2, "迁出日期", "昨天"),
    ]
    assert all(i.sheet == "企业" for i in batch.issues)


def test_company_code_is_normalised_and_checked(tmp_path):
    sheets = {"企业": [COMPANY_HEAD, [f" {A.lower()}\u3000", "甲", "珠山区"], [BAD_CHECK, "乙", "珠山区"]]}
    batch = read(tmp_path, sheets)
    assert [c.credit_code for c in batch.companies] == [A]
    (issue,) = batch.issues
    assert (issue.row, issue.column, issue.value) == (3, "统一社会信用代码", BAD_CHECK)
    assert "校验位错误" in issue.message
    assert batch.invalid_companies == (BAD_CHECK,)


def test_same_company_code_twice_makes_both_rows_invalid(tmp_path):
    batch = read(tmp_path, {"企业": companies(A, B, A)})
    assert [c.credit_code for c in batch.companies] == [B]
    assert batch.invalid_companies == (A,)
    first, second = batch.issues
    assert (first.row, first.column, second.row) == (2, "统一社会信用代码", 4)
    assert "另见第4行" in first.message and "另见第2行" in second.message


# --------------------------------------------------------------------------- claim rows


def test_duplicate_claim_ids_across_both_sheets_reject_every_row(tmp_path):
    sheets = {
        "企业": companies(A, B),
        "申报事项": [CLAIM_HEAD, ["D-1", A, "鲁班奖", "一号楼", "2024-03-01"], [" D-1 ", B, "省级工法", "某工法", "2024-03-01"],
                 ["D-2", A, "省优良工程", "二号楼", "2024-03-01"]],
        "总部迁入": [HQ_HEAD, ["D-1", A, "总部迁入", "施工总承包一级", "2023-03-01", 100]],
    }
    batch = read(tmp_path, sheets)
    assert [c.claim_id for c in batch.claims] == ["D-2"]
    assert batch.hq_claims == ()
    assert [(r.sheet, r.row, r.claim_id, r.code) for r in batch.rejected] == [
        ("申报事项", 2, "D-1", "INVALID_ROW"), ("申报事项", 3, "D-1", "INVALID_ROW"), ("总部迁入", 2, "D-1", "INVALID_ROW")]
    messages = [i.message for i in batch.issues]
    assert messages[0] == "申报编号：“D-1”重复（另见“申报事项”表第3行、“总部迁入”表第2行），重复编号的各行都不能使用"
    assert "另见“申报事项”表第2行、“申报事项”表第3行" in messages[2]
    assert [(i.sheet, i.row, i.column, i.value) for i in batch.issues] == [
        ("申报事项", 2, "申报编号", "D-1"), ("申报事项", 3, "申报编号", "D-1"), ("总部迁入", 2, "申报编号", "D-1")]
    assert batch.rejected[2].category_label == "总部迁入"


def test_duplicate_rejection_does_not_depend_on_row_order(tmp_path):
    rows = [["D-1", A, "鲁班奖", "一号楼", "2024-03-01"], ["D-1", A, "鲁班奖", "二号楼", "2024-03-01"]]
    forward = read(tmp_path, {"企业": companies(A), "申报事项": [CLAIM_HEAD, *rows]})
    backward = read(tmp_path, {"企业": companies(A), "申报事项": [CLAIM_HEAD, *rows[::-1]]})
    assert {r.subject for r in forward.rejected} == {r.subject for r in backward.rejected} == {"一号楼", "二号楼"}
    assert forward.claims == backward.claims == ()


def test_unknown_company(tmp_path):
    sheets = {"企业": companies(A), "申报事项": [CLAIM_HEAD, ["U-1", X, "鲁班奖", "一号楼", "2024-03-01"]]}
    batch = read(tmp_path, sheets)
    (rej,) = batch.rejected
    assert (rej.code, rej.claim_id, rej.credit_code, rej.category_label, rej.subject) == (
        "UNKNOWN_COMPANY", "U-1", X, "鲁班奖", "一号楼")
    (issue,) = batch.issues
    assert (issue.sheet, issue.row, issue.column, issue.value) == ("申报事项", 2, "统一社会信用代码", X)
    assert issue.message == f"统一社会信用代码：“企业”表中没有统一社会信用代码为“{X}”的企业"
    assert rej.message == issue.message


def test_claim_with_an_invalid_code_not_in_companies_is_an_invalid_row(tmp_path):
    sheets = {"企业": companies(A), "总部迁入": [HQ_HEAD, ["", "12345", "总部迁入", "施工总承包一级", "2023-03-01", 100]]}
    (rej,) = read(tmp_path, sheets).rejected
    assert (rej.code, rej.claim_id, rej.credit_code) == ("INVALID_ROW", "总部迁入:2", "12345")
    assert "应为18位" in rej.message


def test_claim_of_an_invalid_company(tmp_path):
    sheets = {
        "企业": [COMPANY_HEAD, [A, "甲", "火星"], [BAD_CHECK, "乙", "珠山区"]],
        "申报事项": [CLAIM_HEAD, ["I-1", A, "鲁班奖", "一号楼", "2024-03-01"], ["I-2", BAD_CHECK, "省级工法", "工法", "2024-03-01"]],
    }
    batch = read(tmp_path, sheets)
    assert [(r.claim_id, r.code) for r in batch.rejected] == [("I-1", "INVALID_COMPANY"), ("I-2", "INVALID_COMPANY")]
    claim_issues = [i for i in batch.issues if i.sheet == "申报事项"]
    assert [(i.row, i.column, i.value) for i in claim_issues] == [(2, "统一社会信用代码", A), (3, "统一社会信用代码", BAD_CHECK)]
    assert "见“企业”表第2行" in claim_issues[0].message


def test_bad_claim_cells_make_an_invalid_row_with_every_problem(tmp_path):
    head = ["申报编号", "统一社会信用代码", "奖励类别", "项目或证书名称", "获批日期", "其他政策金额(元)", "其他政策已兑现",
            "其他政策名称"]
    sheets = {
        "企业": companies(A),
        "申报事项": [
            head,
            ["B-1", A, "诺贝尔奖", "", "去年", "很多", "也许"],
            ["B-2", A, "鲁班奖", "  ", "2024-03-01"],
            ["B-3", A, "总部迁入", "", "2024-03-01"],
            ["B-4", "", "国家级工法", "某工法", ""],
            ["B-5", X, "鲁班奖", "三号楼", "2024-13-01"],  # a bad cell wins over the unknown company
        ],
    }
    batch = read(tmp_path, sheets)
    assert batch.claims == ()
    assert [(r.claim_id, r.code) for r in batch.rejected] == [(f"B-{i}", "INVALID_ROW") for i in range(1, 6)]
    r1, r2, r3, r4, r5 = batch.rejected
    assert (r1.category_label, r1.credit_code) == ("诺贝尔奖", A)
    assert r1.message.split("；") == [
        "奖励类别：“诺贝尔奖”不是本政策的奖励类别",
        "获批日期：“去年”不是有效的日期（应为日期，如 2024-03-15、2024/3/15 或 2024年3月15日）",
        "其他政策金额(元)：“很多”不是有效的金额（应为不小于0的数字，如 1,234.56 或 12.5万）",
        "其他政策已兑现：“也许”不是有效的是/否值（应填 是 或 否）",
    ]
    assert r2.message == "项目或证书名称：必填，不能为空（“鲁班奖”按项目或证书逐项奖励）"
    assert r3.message == "奖励类别：“总部迁入”请填在“总部迁入”表，不能在“申报事项”表申报"
    assert r4.message == "统一社会信用代码：必填，不能为空；获批日期：必填，不能为空"
    assert r5.message == "获批日期：日期“2024-13-01”不存在"
    assert len(batch.issues) == 4 + 1 + 1 + 2 + 1


def test_company_level_subject_is_optional(tmp_path):
    sheets = {"企业": companies(A), "申报事项": [CLAIM_HEAD, ["", A, "国家级企业技术中心", "", 45366.0]]}
    batch = read(tmp_path, sheets)
    (rej,) = batch.rejected  # a serial number is not a date
    assert rej.message.startswith("获批日期：“45366”是数字，不是日期")
    sheets["申报事项"][1][4] = "2024-03-15"
    (claim,) = read(tmp_path, sheets).claims
    assert (claim.category, claim.subject) == ("tech_national", "")


def test_hq_mode_and_qualification_are_kept_raw_for_the_engine(tmp_path):
    sheets = {"企业": companies(A), "总部迁入": [HQ_HEAD, ["H", A, "", " 施工总承包三级 ", "2023/3/1", "12.5万"]]}
    (hq,) = read(tmp_path, sheets).hq_claims
    assert (hq.mode, hq.qualification, hq.fiscal_contribution) == ("", "施工总承包三级", D("125000.00"))


def test_hq_row_missing_date_and_amount(tmp_path):
    sheets = {"企业": companies(A), "总部迁入": [HQ_HEAD, ["H", A, "总部迁入", "施工总承包一级", "", "-1"]]}
    batch = read(tmp_path, sheets)
    (rej,) = batch.rejected
    assert (rej.sheet, rej.row, rej.code, rej.category_label) == ("总部迁入", 2, "INVALID_ROW", "总部迁入")
    assert [(i.column, i.value) for i in batch.issues] == [("落户认定日期", ""), ("地方财政贡献(元)", "-1")]


# --------------------------------------------------------------------------- 质量保证金 and 已兑现奖励


def test_rejected_deposits(tmp_path):
    sheets = {
        "企业": [COMPANY_HEAD, [A, "甲", "珠山区"], [B, "乙", "火星"]],
        "质量保证金": [DEPOSIT_HEAD, [A, "一号楼", 100], [A, "", "abc"], [B, "二号楼", 100], [X, "三号楼", 100]],
    }
    batch = read(tmp_path, sheets)
    assert [(d.credit_code, d.row) for d in batch.deposits] == [(A, 2)]
    assert [(r.claim_id, r.code, r.subject, r.credit_code) for r in batch.rejected_deposits] == [
        ("质量保证金:3", "INVALID_ROW", "", A),
        ("质量保证金:4", "INVALID_COMPANY", "二号楼", B),
        ("质量保证金:5", "UNKNOWN_COMPANY", "三号楼", X),
    ]
    assert [(i.row, i.column) for i in batch.issues if i.sheet == "质量保证金"] == [
        (3, "项目名称"), (3, "工程价款结算总额(元)"), (4, "统一社会信用代码"), (5, "统一社会信用代码")]


def test_bad_history_rows_are_left_out_and_their_companies_wait(tmp_path):
    sheets = {
        "企业": companies(A, B),
        "已兑现奖励": [
            HISTORY_HEAD,
            [B, "省级工法", "工法甲", 2023, "2023-05-01", "2万"],
            [B, "省级工法", "工法乙", "去年", "2023-05-01", 20000],
            [A, "诺贝尔奖", "", 2023, "2023-05-01", 1],
            [A, "鲁班奖", "一号楼", 2023, "2023-02-30", 1],
            ["NOT-A-CODE", "鲁班奖", "一号楼", 2023, "2023-05-01", 1],
            [X, "鲁班奖", "X楼", 2023.0, dt.date(2023, 5, 1), 1],  # another company's history is kept
        ],
    }
    batch = read(tmp_path, sheets)
    assert [(p.credit_code, p.subject, p.row) for p in batch.history] == [(B, "工法甲", 2), (X, "X楼", 7)]
    assert batch.history[0].amount == D("20000.00") and batch.history[0].category == "method_provincial"
    assert batch.unreadable_history == tuple(sorted({A, B}))
    assert [(i.sheet, i.row, i.column, i.value) for i in batch.issues] == [
        ("已兑现奖励", 3, "奖励年度", "去年"),
        ("已兑现奖励", 4, "奖励类别", "诺贝尔奖"),
        ("已兑现奖励", 5, "兑现日期", "2023-02-30"),
        ("已兑现奖励", 6, "统一社会信用代码", "NOT-A-CODE"),
    ]
    assert batch.rejected == ()


# --------------------------------------------------------------------------- order and scale


def test_issues_come_in_sheet_order_then_row_order(tmp_path):
    sheets = {  # written in a different sheet order on purpose
        "已兑现奖励": [HISTORY_HEAD, [A, "x", "", 2023, "2023-01-01", 1]],
        "申报事项": [CLAIM_HEAD, ["1", A, "x", "", "2024-01-01"], ["2", A, "x", "", "2024-01-01"]],
        "企业": [COMPANY_HEAD, [A, "甲", "珠山区"], [B, "乙", "x"]],
        "质量保证金": [DEPOSIT_HEAD, [A, "", 1]],
    }
    batch = read(tmp_path, sheets)
    assert [(i.sheet, i.row) for i in batch.issues] == [
        ("企业", 3), ("申报事项", 2), ("申报事项", 3), ("质量保证金", 2), ("已兑现奖励", 2)]


def test_many_rows_with_one_duplicate_id_stay_linear(tmp_path):
    rows = [["SAME", A, "鲁班奖", f"楼{i}", "2024-03-01"] for i in range(3000)]
    batch = read(tmp_path, {"企业": companies(A), "申报事项": [CLAIM_HEAD, *rows]})
    assert len(batch.rejected) == 3000
    assert batch.rejected[0].message.endswith("等另外2994行），重复编号的各行都不能使用")
