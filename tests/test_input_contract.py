"""SPEC 4's input contract: nothing that can change money is dropped silently (issue 8, item 1 and 2).

Each reproduction of the issue becomes a refusal naming the sheet or column and the nearest expected name, or a
visible pending row, or a notice in the summary, the 汇总 sheet and the JSON."""
from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import openpyxl
import pytest
from helpers_uscc import uscc
from workbooks import complete, workbook_bytes

from policies import get_pack
from subsidy.cli import main
from subsidy.errors import UnreadableInput
from subsidy.workbook import read_bytes, read_workbook

A, B = uscc(1), uscc(2)
COMPANIES = [["统一社会信用代码", "企业名称", "注册地", "信用评价分", "列入黑名单", "地方留成税收(元)"],
             [A, "甲建设", "珠山区", 92, "否", 5_000_000],
             [B, "乙建设", "昌江区", 65.5, "是", 5_000_000]]
CLAIMS = [["申报编号", "统一社会信用代码", "奖励类别", "项目或证书名称", "获批日期"],
          ["A-1", A, "鲁班奖", "瓷都大厦", "2024-05-01"],
          ["B-1", B, "鲁班奖", "昌江大桥", "2024-05-01"]]
HISTORY = [["统一社会信用代码", "奖励类别", "项目或证书名称", "奖励年度", "兑现日期", "兑现金额(元)"],
           [A, "施工总承包一级资质", "", 2023, "2023-12-20", 500_000]]


def write(path: Path, sheets: dict[str, list[list]], *, hidden: dict[str, str] | None = None,
          fill: bool = True) -> Path:
    """The sheets, every column completed (unless ``fill`` is False); ``hidden``: sheet → "hidden" or
    "veryHidden"."""
    wb = openpyxl.load_workbook(io.BytesIO(workbook_bytes(complete(sheets) if fill else sheets)))
    for name, state in (hidden or {}).items():
        wb[name].sheet_state = state
    wb.save(path)
    return path


def refused(path: Path) -> str:
    with pytest.raises(UnreadableInput) as e:
        read_workbook(path, pack=get_pack())
    return str(e.value)


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


# --------------------------------------------------------------------------- sheets


def test_a_claims_sheet_renamed_申报事项表_refuses_the_file_naming_it_and_the_expected_name(tmp_path, capsys):
    path = write(tmp_path / "in.xlsx", {"企业": COMPANIES, "申报事项表": CLAIMS})
    code, out, err = run(capsys, "assess", path, "--year", 2024, "-o", tmp_path / "out.xlsx")
    assert code == 2 and out == ""
    assert err == ("错误：“in.xlsx”中有无法识别的工作表“申报事项表”（最接近的规定表名是“申报事项”），其中的数据不会被核定："
                   "请改为规定的表名（企业、申报事项、总部迁入、质量保证金、已兑现奖励），或删除该表\n")
    assert not (tmp_path / "out.xlsx").exists()


def test_a_history_sheet_renamed_已兑现_refuses_the_file_rather_than_pay_a_top_up_in_full(tmp_path):
    path = write(tmp_path / "in.xlsx", {"企业": COMPANIES, "申报事项": CLAIMS, "已兑现": HISTORY})
    assert "无法识别的工作表“已兑现”（最接近的规定表名是“已兑现奖励”）" in refused(path)


def test_an_empty_unknown_sheet_such_as_excels_sheet1_changes_nothing_and_is_accepted(tmp_path):
    batch = read_workbook(write(tmp_path / "in.xlsx", {"企业": COMPANIES, "Sheet1": []}), pack=get_pack())
    assert len(batch.companies) == 2


def test_the_templates_guide_and_merges_receipts_sheet_are_known_and_not_read(tmp_path):
    batch = read_workbook(write(tmp_path / "in.xlsx", {
        "填表说明": [["说明"], ["金额可填 12.5万"]], "收件清单": [["文件名", "SHA-256"], ["a.xlsx", "00"]],
        "企业": COMPANIES}), pack=get_pack())
    assert len(batch.companies) == 2 and batch.issues == ()


def test_a_hidden_company_sheet_with_an_ideographic_space_beside_the_visible_one_refuses_the_file(tmp_path):
    fake = [COMPANIES[0], [B, "乙建设", "昌江区", 95, "否", 5_000_000]]  # makes the blacklisted company clean
    path = write(tmp_path / "in.xlsx", {"企业\u3000": fake, "企业": COMPANIES}, hidden={"企业\u3000": "hidden"})
    assert refused(path) == ("“in.xlsx”中有两个工作表的名称去掉空格后相同：“企业\u3000”和“企业”，无法确定该读取哪一个，"
                             "请删除或改名其中一个")


def test_two_sheet_names_that_differ_only_by_a_zero_width_space_refuse_the_file(tmp_path):
    path = write(tmp_path / "in.xlsx", {"企业": COMPANIES, "申报\u200b事项": CLAIMS, "申报事项": CLAIMS[:1]})
    assert "名称去掉空格后相同：“申报\u200b事项”和“申报事项”" in refused(path)


@pytest.mark.parametrize(("state", "kind"), [("hidden", "隐藏"), ("veryHidden", "深度隐藏")])
def test_a_hidden_sheet_with_data_refuses_the_file_even_under_an_expected_name(tmp_path, state, kind):
    path = write(tmp_path / "in.xlsx", {"企业": COMPANIES, "已兑现奖励": HISTORY}, hidden={"已兑现奖励": state})
    assert refused(path) == (f"“in.xlsx”中的工作表“已兑现奖励”是{kind}的，但其中有数据：隐藏的数据既不能核定也不能忽略，"
                             "请取消隐藏并核对后保留在规定的表中，或删除该表")


def test_a_hidden_empty_sheet_changes_nothing_and_is_accepted(tmp_path):
    path = write(tmp_path / "in.xlsx", {"企业": COMPANIES, "旧表": []}, hidden={"旧表": "hidden"})
    assert len(read_workbook(path, pack=get_pack()).companies) == 2


# --------------------------------------------------------------------------- columns


@pytest.mark.parametrize(("column", "renamed"), [("列入黑名单", "黑名单"), ("信用评价分", "信用分")])
def test_a_renamed_precondition_header_refuses_the_file_rather_than_pay_the_company(tmp_path, capsys, column,
                                                                                      renamed):
    full = complete({"企业": COMPANIES})["企业"]
    head = [renamed if h == column else h for h in full[0]]
    path = write(tmp_path / "in.xlsx", {"企业": [head, *full[1:]], **complete({"申报事项": CLAIMS})}, fill=False)
    code, _, err = run(capsys, "assess", path, "--year", 2024, "-o", tmp_path / "out.xlsx")
    assert code == 2
    assert f"缺少列“{column}”" in err and f"表头中的“{renamed}”不是规定的列名，是否就是“{column}”？" in err


def test_an_unrecognised_column_is_named_in_the_summary_the_汇总_sheet_and_the_json(tmp_path, capsys):
    path = write(tmp_path / "in.xlsx", {"企业": [COMPANIES[0] + ["备注"], *COMPANIES[1:]]})
    out_x, out_j = tmp_path / "out.xlsx", tmp_path / "out.json"
    code, out, _ = run(capsys, "assess", path, "--year", 2024, "-o", out_x, "--json", out_j)
    assert code == 0
    expected = "以下列不是规定的列，未读取（见数据问题表）：“企业”表的“备注”"
    assert expected in out.replace("\n", "")
    doc = json.loads(out_j.read_text(encoding="utf-8"))
    assert expected in [n["message"] for n in doc["notices"]]
    assert any(i["column"] == "备注" for i in doc["issues"])
    summary = [c for row in openpyxl.load_workbook(out_x)["汇总"].iter_rows(values_only=True) for c in row if c]
    assert expected in summary


# --------------------------------------------------------------------------- absent sheets and the year


def test_without_a_history_sheet_or_a_ledger_the_summary_warns_that_repeat_payments_could_not_be_checked(
        tmp_path, capsys):
    path = write(tmp_path / "in.xlsx", {"企业": COMPANIES, "申报事项": CLAIMS})
    code, out, _ = run(capsys, "assess", path, "--year", 2024, "-o", tmp_path / "out.xlsx")
    assert code == 0
    flat = out.replace("\n", "")
    assert "申报汇总表中没有“已兑现奖励”表" in flat
    assert "无法检查重复兑现和升级补差" in flat


def test_with_a_history_sheet_there_is_no_warning_about_repeat_payments(tmp_path, capsys):
    path = write(tmp_path / "in.xlsx", {"企业": COMPANIES, "申报事项": CLAIMS, "已兑现奖励": HISTORY})
    code, out, _ = run(capsys, "assess", path, "--year", 2024, "-o", tmp_path / "out.xlsx")
    assert code == 0 and "无法检查重复兑现" not in out.replace("\n", "")


def test_a_year_with_no_claim_in_it_says_so_and_names_the_years_present_with_exit_0(tmp_path, capsys):
    path = write(tmp_path / "in.xlsx", {"企业": COMPANIES, "申报事项": CLAIMS, "已兑现奖励": HISTORY})
    js = tmp_path / "out.json"
    code, out, _ = run(capsys, "assess", path, "--year", 2025, "-o", tmp_path / "out.xlsx", "--json", js)
    assert code == 0
    (notice,) = [n for n in json.loads(js.read_text(encoding="utf-8"))["notices"] if n["code"] == "EMPTY_YEAR"]
    assert notice["message"] == ("核定年度 2025 年没有获批日期在该年度的申报事项，也没有处于奖励期内的总部迁入（申报事项的获批年度："
                                 "2024 年 2 项；总部迁入的奖励期：无），请核对 --year 是否填错")
    assert "核定年度 2025 年没有获批日期在该年度的申报事项" in out.replace("\n", "")


def test_a_year_inside_a_relocated_headquarters_reward_period_is_not_empty(tmp_path):
    hq = [["申报编号", "统一社会信用代码", "迁入方式", "资质等级", "落户认定日期", "地方财政贡献(元)"],
          ["H-1", A, "总部迁入", "施工总承包一级", "2023-06-01", 800_000]]
    path = write(tmp_path / "in.xlsx", {"企业": COMPANIES, "总部迁入": hq, "已兑现奖励": HISTORY})
    js = tmp_path / "o.json"
    assert main(["assess", str(path), "--year", "2026", "-o", str(tmp_path / "o.xlsx"), "--json", str(js)]) == 0
    assert "EMPTY_YEAR" not in {n["code"] for n in json.loads(js.read_text(encoding="utf-8"))["notices"]}


# --------------------------------------------------------------------------- cells


def _error_cells(src: Path, dst: Path, cells: dict[str, bytes]) -> Path:
    """Rewrite cells of the 申报事项 sheet (sheet2) as raw XML: e.g. an error value as Excel writes it."""
    import re

    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename == "xl/worksheets/sheet2.xml":
                for ref, xml in cells.items():
                    data, n = re.subn(rb'<c r="%s"[^>]*?(?:/>|>.*?</c>)' % ref.encode(), xml, data, count=1)
                    assert n == 1, ref
            zout.writestr(item, data)
    return dst


def test_a_claim_row_of_na_error_cells_is_a_pending_line_naming_the_error_value(tmp_path, capsys):
    src = write(tmp_path / "src.xlsx", {"企业": COMPANIES, "申报事项": CLAIMS + [["X", "X", "X", "X", "X"]],
                                        "已兑现奖励": HISTORY})
    na = {f"{c}4": b'<c r="%s4" t="e"><f>VLOOKUP(Z1,Z:Z,2,0)</f><v>#N/A</v></c>' % c.encode() for c in "ABCDE"}
    path = _error_cells(src, tmp_path / "in.xlsx", na)
    js = tmp_path / "o.json"
    assert main(["assess", str(path), "--year", "2024", "-o", str(tmp_path / "o.xlsx"), "--json", str(js)]) == 0
    doc = json.loads(js.read_text(encoding="utf-8"))
    assert len(doc["lines"]) == 3
    (line,) = [ln for ln in doc["lines"] if ln["claim_id"] == "申报事项:4"]
    assert line["status"] == "pending" and line["payable"] == "0.00"
    assert [r["code"] for r in line["reasons"]] == ["INVALID_ROW"]
    errors = [i for i in doc["issues"] if i["sheet"] == "申报事项" and i["row"] == 4]
    assert [(i["column"], i["value"]) for i in errors] == [(c, "#N/A") for c in CLAIMS[0]]
    assert errors[0]["message"] == "申报编号：单元格是错误值“#N/A”，请更正后再提交"


def test_an_other_policy_amount_left_as_an_uncalculated_formula_is_not_read_as_zero(tmp_path):
    claims = [CLAIMS[0] + ["其他政策金额(元)"], CLAIMS[1] + ["placeholder"]]
    src = write(tmp_path / "src.xlsx", {"企业": COMPANIES, "申报事项": claims})
    with zipfile.ZipFile(src) as z:
        head = z.read("xl/worksheets/sheet2.xml")
    col = "F"  # 其他政策金额(元) comes right after the five given columns
    assert b'<c r="F1"' in head
    path = _error_cells(src, tmp_path / "in.xlsx", {f"{col}2": b'<c r="F2"><f>SUM(Z1:Z9)</f><v></v></c>'})
    batch = read_workbook(path, pack=get_pack())
    (rej,) = batch.rejected
    assert rej.claim_id == "A-1"
    assert rej.message == "其他政策金额(元)：公式没有计算结果（请在 Excel 中打开、重新计算并保存后再提交）"


def test_a_bare_综合资质_is_an_invalid_row_naming_both_qualifications_it_could_mean(tmp_path):
    claims = [CLAIMS[0], ["Q-1", A, "综合资质", "Z1", "2024-03-01"], ["Q-2", A, "施工综合资质", "Z2", "2024-03-01"]]
    batch = read_workbook(write(tmp_path / "in.xlsx", {"企业": COMPANIES, "申报事项": claims}), pack=get_pack())
    (rej,) = batch.rejected
    assert (rej.claim_id, rej.code) == ("Q-1", "INVALID_ROW")
    assert rej.message == ("奖励类别：“综合资质”有歧义：可能是“施工总承包特级资质”（第2条，1,000,000 元）或"
                           "“监理综合资质”（第2条，500,000 元），请填写完整的奖励类别")
    assert [c.category for c in batch.claims] == ["qual_special"]


# --------------------------------------------------------------------------- what the file is


def _zip(path: Path, parts: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path


XLSB_FAR_CELL = {
    "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                           b'content-types"><Default Extension="bin" ContentType="application/vnd.ms-excel.sheet.'
                           b'binary.macroEnabled.main"/></Types>',
    "xl/workbook.bin": b"\x83\x01\x00" + b"\x00" * 64,
    "xl/worksheets/sheet1.bin": b"\x00\x00\x00\x00\xff\xff\x0f\x00\xff\x3f\x00\x00",  # a cell at XFD1048576
}


@pytest.mark.parametrize("name", ["far.xlsb", "far.xlsx"])
def test_an_xlsb_is_refused_by_its_content_whatever_its_extension(tmp_path, capsys, name):
    path = _zip(tmp_path / name, XLSB_FAR_CELL)
    code, _, err = run(capsys, "assess", path, "--year", 2024, "-o", tmp_path / "out.xlsx")
    assert code == 2
    assert err == f"错误：“{name}”是 Excel 二进制工作簿（.xlsb），不是 .xlsx 工作簿，请另存为 .xlsx 后再提交\n"


def test_an_ods_is_refused_by_its_content_even_named_xlsx(tmp_path):
    path = _zip(tmp_path / "a.xlsx", {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
                                      "content.xml": b"<office:document-content/>"})
    assert refused(path) == "“a.xlsx”是 OpenDocument 表格（.ods），不是 .xlsx 工作簿，请另存为 .xlsx 后再提交"


def test_a_package_with_a_workbook_part_that_is_not_xl_workbook_xml_is_refused(tmp_path):
    path = _zip(tmp_path / "a.xlsx", {"[Content_Types].xml": b"<Types/>", "xl/styles.xml": b"<styleSheet/>"})
    assert refused(path) == "“a.xlsx”不是 Excel 工作簿（.xlsx）文件"


def test_a_device_such_as_dev_zero_is_refused_without_being_read(capsys, tmp_path):
    code, _, err = run(capsys, "assess", "/dev/zero", "--year", 2024, "-o", tmp_path / "o.xlsx")
    assert code == 2
    assert err == "错误：“/dev/zero”不是普通文件（是设备、管道或套接字），不能作为申报汇总表读取\n"


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path, capsys):
    fifo = tmp_path / "in.xlsx"
    os.mkfifo(fifo)
    code, _, err = run(capsys, "assess", fifo, "--year", 2024, "-o", tmp_path / "o.xlsx")
    assert code == 2 and "不是普通文件" in err


def test_a_fifo_named_as_the_config_file_is_refused_without_waiting(tmp_path, capsys):
    fifo = tmp_path / "口径.toml"
    os.mkfifo(fifo)
    src = write(tmp_path / "in.xlsx", {"企业": COMPANIES})
    code, _, err = run(capsys, "assess", src, "--year", 2024, "--config", fifo, "-o", tmp_path / "o.xlsx")
    assert code == 2 and err == f"错误：“{fifo}”不是普通文件（是设备、管道或套接字），不能作为配置文件读取\n"


def test_an_upload_goes_through_the_same_contract(tmp_path):
    data = write(tmp_path / "in.xlsx", {"企业": COMPANIES, "申报事项表": CLAIMS}).read_bytes()
    with pytest.raises(UnreadableInput, match="无法识别的工作表“申报事项表”"):
        read_bytes(data, pack=get_pack(), name="上传.xlsx")
