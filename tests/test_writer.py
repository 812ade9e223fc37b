"""The award schedule workbook (奖励明细表) written from a hand-built Result."""
from __future__ import annotations

import os
from decimal import Decimal

import openpyxl
from hypothesis import given, settings
from hypothesis import strategies as st
import pytest
from sample_result import big_result, hostile_result, sample_result

from subsidy.errors import OutputError
from subsidy.labels import STATUS_LABELS
from subsidy.money import fen
from subsidy.workbook import writer
from subsidy.workbook.writer import SHEETS, write_schedule

MONEY = "#,##0.00"


def _d(v) -> Decimal:
    """A number read back from the workbook, to the fen."""
    return fen(Decimal(repr(v)))


@pytest.fixture(scope="module")
def result():
    return sample_result()


@pytest.fixture(scope="module")
def book(result, tmp_path_factory):
    path = tmp_path_factory.mktemp("out") / "schedule.xlsx"
    write_schedule(result, path)
    return openpyxl.load_workbook(path)


def _pairs(ws) -> dict:
    """Label in column A → value in column B (first occurrence), for the 汇总 sheet."""
    out: dict = {}
    for a, b, *_ in ws.iter_rows(values_only=True):
        if a is not None and a not in out:
            out[a] = b
    return out


def test_all_eight_sheets_are_there_in_order(book):
    assert book.sheetnames == list(SHEETS) == ["汇总", "奖励明细", "企业汇总", "出资汇总", "质量保证金", "追缴清单",
                                              "数据问题", "口径说明"]


def test_table_sheets_have_chinese_headers_frozen_and_filtered(book):
    expected = {
        "奖励明细": ["申报编号", "统一社会信用代码", "企业", "奖励类别", "条款", "项目或证书名称", "标准金额", "核定金额",
                 "状态", "原因", "出资财政", "来源"],
        "企业汇总": ["统一社会信用代码", "企业", "注册地", "地方留成税收", "本年度已兑现", "申报合计", "应得合计(封顶前)",
                 "核定合计", "是否封顶", "前提条件"],
        "出资汇总": ["出资财政", "条款", "金额"],
        "质量保证金": ["统一社会信用代码", "企业", "项目名称", "结算总额", "信用评价分", "比例", "原比例3%金额",
                  "基准1.5%金额", "核定保证金", "节省", "说明", "状态"],
        "追缴清单": ["统一社会信用代码", "企业", "奖励类别", "项目或证书名称", "奖励年度", "兑现日期", "金额", "应退财政", "原因"],
        "数据问题": ["表", "行", "列", "值", "问题"],
        "口径说明": ["参数", "取值", "理由"],
    }
    for name, headers in expected.items():
        ws = book[name]
        row = next(ws.iter_rows(max_row=1))
        assert [c.value for c in row] == headers, name
        assert all(c.font.b for c in row), name
        assert ws.freeze_panes == "A2", name
        assert ws.auto_filter.ref.startswith("A1:"), name
        assert ws.column_dimensions["A"].width > 8, name


def test_every_line_is_one_row_with_numeric_money_and_chinese_status(book, result):
    rows = list(book["奖励明细"].iter_rows(min_row=2))
    assert len(rows) == len(result.lines)
    for row, ln in zip(rows, result.lines):
        assert row[0].value == ln.claim_id
        for cell, amount in ((row[6], ln.standard_amount), (row[7], ln.payable)):
            assert cell.data_type == "n" and cell.number_format == MONEY
            assert _d(cell.value) == amount
        assert row[8].value == STATUS_LABELS[ln.status]
    hq = next(r for r in rows if r[0].value == "HQ-001")
    assert hq[10].value == "市财政 400,000.00；高新区财政 400,000.00"
    assert hq[11].value == "总部迁入:2"
    cap = next(r for r in rows if r[0].value == "2024-007")
    assert _d(cap[7].value) == Decimal("66666.67")
    assert "封顶" in cap[9].value or "地方留成" in cap[9].value


def test_summary_totals_equal_the_result_to_the_fen(book, result):
    ws = book["汇总"]
    assert ws["A1"].value == "奖励明细表"
    pairs = _pairs(ws)
    assert pairs["核定年度"] == 2024
    assert pairs["输入文件 SHA-256"] == result.input_sha256
    assert result.policy.number in pairs["政策"]
    assert _d(pairs["核定总额"]) == result.totals.payable
    assert _d(pairs["追缴合计"]) == result.totals.clawback == Decimal("200000.00")
    assert pairs["数据问题"] == len(result.issues)
    for status, label in STATUS_LABELS.items():
        assert pairs[label] == result.totals.by_status[status]
    for payer, amount in result.totals.by_payer.items():
        assert _d(pairs[payer]) == amount
    for measure, amount in result.totals.by_measure.items():
        assert _d(pairs[f"第{measure}条"]) == amount
    for who in ("经办人", "审核人", "负责人", "日期"):
        assert who in pairs and pairs[who] is None
    money_cells = [c for row in ws.iter_rows() for c in row if isinstance(c.value, float)]
    assert money_cells and all(c.number_format.startswith("#,##0.00") for c in money_cells)


def test_treasury_sheet_subtotals_and_grand_total_equal_the_result(book, result):
    rows = list(book["出资汇总"].iter_rows(min_row=2, values_only=True))
    detail = [r for r in rows if r[1] and str(r[1]).startswith("第")]
    expected = [(p, f"第{m}条", a) for p, ms in result.totals.by_payer_measure.items() for m, a in ms.items()]
    assert sorted((p, m, _d(a)) for p, m, a in detail) == sorted(expected)
    subtotals = {r[0]: _d(r[2]) for r in rows if r[1] == "小计"}
    assert subtotals == result.totals.by_payer
    grand = next(r for r in rows if r[0] == "合计")
    assert _d(grand[2]) == result.totals.payable == sum(subtotals.values())


def test_company_sheet_shows_cap_and_failed_preconditions(book):
    rows = {r[0]: r for r in book["企业汇总"].iter_rows(min_row=2, values_only=True)}
    capped = next(r for r in rows.values() if r[1] == "景德镇昌江建设有限公司")
    assert capped[8] == "是" and _d(capped[3]) == Decimal("100000.00") and _d(capped[7]) == Decimal("100000.00")
    moved = next(r for r in rows.values() if r[1] == "景德镇迁出建设有限公司")
    assert moved[3] is None and "迁出" in moved[9] and "；" in moved[9]
    assert next(r for r in rows.values() if r[1] == "景德镇瓷都建工集团有限公司")[9] == "满足"


def test_deposit_sheet_has_percent_rates_and_the_guarantee_note(book):
    ws = book["质量保证金"]
    first = next(ws.iter_rows(min_row=2, max_row=2))
    assert first[5].value == pytest.approx(0.0075) and first[5].number_format == "0.00%"
    assert _d(first[8].value) == Decimal("75000.00") and first[8].number_format == MONEY
    assert _d(first[6].value) == Decimal("300000.00") and _d(first[7].value) == Decimal("150000.00")
    notes = [r[10] for r in ws.iter_rows(min_row=2, values_only=True)]
    assert notes and all("保函" in n for n in notes)
    assert [r[11] for r in ws.iter_rows(min_row=2, values_only=True)][-1] == "待补正"


def test_clawbacks_issues_and_interpretations_are_listed(book, result):
    claw = list(book["追缴清单"].iter_rows(min_row=2))
    assert len(claw) == 1
    assert claw[0][5].is_date and claw[0][5].value.date() == result.clawbacks[0].paid_on
    assert _d(claw[0][6].value) == Decimal("200000.00") and claw[0][6].number_format == MONEY
    issues = list(book["数据问题"].iter_rows(min_row=2, values_only=True))
    assert issues == [(i.sheet, i.row, i.column, i.value, i.message) for i in result.issues]
    notes = [r for r in book["口径说明"].iter_rows(min_row=2, values_only=True) if any(r)]
    names = [r[0] for r in notes]
    assert [i.title for i in result.interpretations] == names[: len(result.interpretations)]
    assert names[0] == "信用评价分下限（min_credit_score）" and notes[1][1] == "补差"
    assert "景府办字〔2023〕2号" in notes[-1][2]


def test_formula_looking_text_stays_text(tmp_path):
    path = tmp_path / "hostile.xlsx"
    write_schedule(hostile_result(), path)
    wb = openpyxl.load_workbook(path)
    cells = {c.value: c for ws in wb for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    for text in ("=1+1", "@SUM(A1)", "+cmd|' /C calc'!A0", "-2+3", "\t=HYPERLINK(\"http://x\")", "\r=1",
                 "=WEBSERVICE(\"http://x\")"):
        assert text in cells, text
        assert cells[text].data_type == "s", text
        assert cells[text].quotePrefix, text
    for ws in openpyxl.load_workbook(path, data_only=False):
        assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row)


def test_the_same_result_gives_the_same_bytes_and_no_clock_is_written(tmp_path, result):
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    write_schedule(result, a)
    write_schedule(result, b)
    assert a.read_bytes() == b.read_bytes()
    props = openpyxl.load_workbook(a).properties
    assert props.created == props.modified == writer.FIXED_TIME


def test_a_failure_midway_leaves_no_target_and_no_temp_file(tmp_path, result, monkeypatch):
    def boom(book, result):
        raise RuntimeError("mid-way")

    monkeypatch.setattr(writer, "_deposits", boom)
    target = tmp_path / "schedule.xlsx"
    with pytest.raises(RuntimeError, match="mid-way"):
        write_schedule(result, target)
    assert os.listdir(tmp_path) == []


def test_a_failure_midway_keeps_the_previous_file_intact(tmp_path, result, monkeypatch):
    target = tmp_path / "schedule.xlsx"
    target.write_bytes(b"previous")

    def boom(wb, path):
        with open(path, "wb") as f:
            f.write(b"half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writer, "save", boom)
    with pytest.raises(OutputError, match="磁盘空间不足"):
        write_schedule(result, target)
    assert target.read_bytes() == b"previous"
    assert os.listdir(tmp_path) == ["schedule.xlsx"]


def test_a_missing_directory_is_an_output_error_in_chinese(tmp_path, result):
    target = tmp_path / "nowhere" / "schedule.xlsx"
    with pytest.raises(OutputError, match="无法写入文件 .*：目录不存在"):
        write_schedule(result, target)
    assert not (tmp_path / "nowhere").exists()


def test_a_directory_in_the_way_is_an_output_error(tmp_path, result):
    (tmp_path / "schedule.xlsx").mkdir()
    with pytest.raises(OutputError, match="同名目录已存在"):
        write_schedule(result, tmp_path / "schedule.xlsx")


def test_every_line_of_a_large_result_is_one_row(tmp_path):
    """Speed is measured by benchmarks/, not here: this checks the streamed rows are all there."""
    big = big_result(3_000)
    write_schedule(big, tmp_path / "big.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "big.xlsx", read_only=True)["奖励明细"]
    assert sum(1 for _ in ws.iter_rows(min_row=2)) == 3_000


def test_the_writer_reports_progress_on_every_line(tmp_path):
    seen = []
    big = big_result(2_500)
    write_schedule(big, tmp_path / "big.xlsx", advance=seen.append)
    assert sum(seen) == 2_500 and seen[:2] == [1000, 1000]


# --------------------------------------------------------------------------- printing (issue 9)

from subsidy.models import Reason  # noqa: E402
from subsidy.workbook import printing  # noqa: E402

PAPER = {"汇总": (9, "portrait"), "奖励明细": (8, "landscape"), "质量保证金": (8, "landscape")}


def _widths(ws) -> list[float]:
    return [ws.column_dimensions[openpyxl.utils.get_column_letter(j)].width for j in range(1, ws.max_column + 1)]


def _layout(ws) -> printing.Layout:
    paper = printing.A3 if int(ws.page_setup.paperSize) == 8 else printing.A4
    return printing.Layout(paper, landscape=ws.page_setup.orientation == "landscape")


@pytest.mark.parametrize("name", SHEETS)
def test_every_sheet_carries_its_paper_header_footer_and_print_titles(book, result, name):
    ws = book[name]
    assert (int(ws.page_setup.paperSize), ws.page_setup.orientation) == PAPER.get(name, (9, "landscape"))
    assert ws.oddHeader.left.text == f"{result.policy.number}《{result.policy.title}》"
    assert ws.oddHeader.right.text == "2024 年度 奖励明细表 · &A"
    assert ws.oddFooter.center.text == "第 &P 页 共 &N 页"
    assert ws.page_margins.left == ws.page_margins.right == printing.MARGIN_SIDE
    if name != "汇总":
        assert ws.print_title_rows == "$1:$1"


@pytest.mark.parametrize("name", SHEETS)
def test_every_sheet_prints_at_full_size_across_its_paper(book, name):
    """The columns fit the paper's width at 100%: nothing is shrunk below the 10 pt the cells are written in."""
    ws = book[name]
    assert printing.check_fits(_widths(ws), _layout(ws)), (sum(_widths(ws)), _layout(ws).usable_width())
    if name == "汇总":  # one page with its signatures, shrunk only if it ever had to be
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == 1
    else:
        assert not ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.scale == 100


def test_every_written_cell_is_at_least_9_point_and_text_wraps(book):
    for ws in book:
        for row in ws.iter_rows():
            for c in row:
                if c.value is None:
                    continue
                assert c.font.sz >= 9 and c.font.name == printing.FONT_NAME, (ws.title, c.coordinate)
                if isinstance(c.value, str) and ws.title != "汇总":
                    assert c.alignment.wrap_text, (ws.title, c.coordinate)


def test_a_row_is_as_tall_as_its_longest_wrapped_text(book):
    """LibreOffice does not recompute wrapped rows' heights: the writer sets them from the text's width."""
    ws = book["奖励明细"]
    widths = _widths(ws)
    tall = 0
    for row in ws.iter_rows(min_row=2):
        lines = max(printing.line_count(c.value, widths[c.column - 1]) for c in row if isinstance(c.value, str))
        height = ws.row_dimensions[row[0].row].height
        if lines > 1:
            tall += 1
            assert height == printing.row_height(lines), row[0].value
        else:
            assert height is None, row[0].value
    assert tall > 0


def test_the_summary_fits_one_portrait_page_with_its_signature_lines(book):
    ws = book["汇总"]
    heights = [ws.row_dimensions[r].height or 15 for r in range(1, ws.max_row + 1)]
    assert sum(heights) <= printing.A4_PORTRAIT.usable_height_pt
    signs = [r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value in ("经办人", "审核人", "负责人", "日期")]
    assert len(signs) == 4 and all(ws.row_dimensions[r].height >= 26 for r in signs)
    assert all(ws.cell(r, col).border.bottom.style == "thin" for r in signs for col in (2, 3))


@pytest.mark.parametrize("text,width", [("0123456789", 10), ("统一社会信用代码", 16), ("ab统一", 6), ("（第18条）", 10)])
def test_a_cjk_character_counts_two_latin_widths(text, width):
    assert printing.text_width(text) == width


@pytest.mark.parametrize("text,width,lines", [
    ("短", 10, 1),
    ("一二三四五六七八九十" * 3, 23, 3),  # 60 units, 20.9 a line
    ("第一行\n第二行\n第三行", 40, 3),
    ("", 10, 1),
])
def test_lines_are_counted_from_the_width_and_the_line_breaks(text, width, lines):
    assert printing.line_count(text, width) == lines


def test_a_money_column_is_wide_enough_for_the_largest_amount():
    assert printing.money_width([Decimal("999999999999.99")]) >= 17
    assert printing.money_width([]) == 12 and printing.money_width([None, Decimal("5")]) == 12


def test_row_heights_measure_only_long_non_ascii_texts(tmp_path, monkeypatch):
    """Not a timing test: 100k streamed lines stay fast because a text that cannot overflow its column, or that is
    plain ASCII, is sized without measuring its width."""
    measured = []
    real = printing.text_width
    monkeypatch.setattr(printing, "text_width", lambda s: measured.append(s) or real(s))
    write_schedule(big_result(500), tmp_path / "big.xlsx")
    assert measured and not [s for s in measured if s.isascii()]


def test_a_text_with_line_breaks_gets_a_line_each(tmp_path):
    r = sample_result()
    ln = r.lines[0]
    reason = Reason(code="OTHER", message="第一行\n第二行\n第三行\n第四行")
    r = r.model_copy(update={"lines": (ln.model_copy(update={"reasons": (reason,)}), *r.lines[1:])})
    write_schedule(r, tmp_path / "s.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "s.xlsx")["奖励明细"]
    assert ws.row_dimensions[2].height == printing.row_height(4)


def test_a_notice_on_the_summary_spans_two_columns_and_is_as_tall_as_its_sentence(tmp_path):
    notices = (Reason(code="NO_HISTORY", message="申报汇总表中没有“已兑现奖励”表，也未使用兑现账本（--ledger）："
                                                 "重复兑现和升级补差未能核查，请补充后重新核定。"),
               Reason(code="ABSENT_SHEET", message="申报汇总表中没有“总部迁入”表：本批没有总部迁入奖励。"))
    write_schedule(sample_result().model_copy(update={"notices": notices}), tmp_path / "s.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "s.xlsx")["汇总"]
    rows = [r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "注意"]
    assert [ws.cell(r, 2).value for r in rows] == [n.message for n in notices]
    assert {str(m) for m in ws.merged_cells.ranges} == {f"B{r}:C{r}" for r in rows}
    width = sum(writer.SUMMARY_WIDTHS[1:])
    assert [ws.row_dimensions[r].height for r in rows] == [
        printing.row_height(printing.line_count(n.message, width)) for n in notices]
    heights = [ws.row_dimensions[r].height or 15 for r in range(1, ws.max_row + 1)]
    assert sum(heights) <= printing.A4_PORTRAIT.usable_height_pt


#: texts that need something done to them: removed characters, escapes, xml:space, the quote prefix, line breaks,
#: widths that wrap
ODD_TEXTS = ["=1+1", " lead", "trail ", "a&b<c>d", "x\x01y", "\x02", "第一行\n第二行", "很长的中文项目名称" * 6, "plain",
             "@x", "-1", "+1", "\u3000全角空格", "tab\tinside", "cr\rinside", "ascii text long enough to wrap twice", "R&D",
             "a > b", "x < y"]


def _cells(xml: str, row: int) -> dict[str, str]:
    """column letter → the cell's XML after its reference, for one row of a sheet part."""
    import re

    body = re.search(rf'<row r="{row}"[^>]*>(.*?)</row>', xml, re.S).group(1)
    return {m.group(1): m.group(2) for m in re.finditer(rf'<c r="([A-Z]+){row}"(.*?</c>|[^>]*/>)', body, re.S)}


def test_a_column_whose_texts_never_repeat_writes_every_text_as_a_remembered_column_does(tmp_path):
    """The writer stops remembering a column whose texts do not repeat (申报编号: each row its own) and writes its
    plain texts directly: every text, odd ones included, must come out as the remembered column writes it."""
    import zipfile

    book = writer._Book()
    s = book.sheet("t", [12, 12], ["甲", "乙"], 0)
    for i in range(2000):
        s.append([f"编号{i}", "同一段文字"])
    assert s._memos[0].off and not s._memos[1].off
    first = s.row_idx + 1
    for text in ODD_TEXTS:
        s.append([text, text])
    book.close()
    path = tmp_path / "t.xlsx"
    writer.save(book.wb, path)
    with zipfile.ZipFile(path) as z:
        [part] = [n for n in z.namelist() if n.startswith("xl/worksheets/")]
        xml = z.read(part).decode()
    for row, text in enumerate(ODD_TEXTS, start=first):
        cells = _cells(xml, row)
        assert cells.get("A") == cells.get("B"), text
    assert _cells(xml, first)["A"].endswith("<t>=1+1</t></is></c>") and "quotePrefix" not in _cells(xml, first)["A"]
    wb = openpyxl.load_workbook(path)
    ws = wb["t"]
    got = [ws.cell(r, 1).value for r in range(first, first + len(ODD_TEXTS))]
    assert got == [t.replace("\x01", "").replace("\x02", "") or None for t in ODD_TEXTS]
    assert ws.cell(first, 1).quotePrefix and ws.cell(first + 2, 1).value == "trail "


def test_an_amount_shared_by_many_rows_is_written_as_each_row_alone_would_write_it():
    book = writer._Book()
    s = book.sheet("t", [12], ["甲"], 0)
    for x in (Decimal("5"), Decimal("5.00"), Decimal("5.000"), Decimal("-0.00"), Decimal("0.00"), Decimal("0"),
              Decimal("1.005"), Decimal("1.005"), 7):
        assert s.money(x) == f' t="n" s="{s.sid["subsidy_money"]}"><v>{writer.fen(x):f}</v></c>', x
    book.discard()


def _sheet_rows(book: "writer._Book", sheet: "writer._Sheet") -> str:
    """The <sheetData> of one sheet as written."""
    import re

    sheet.close()
    with open(sheet.path, encoding="utf-8") as f:
        return re.search(r"<sheetData>(.*)</sheetData>", f.read(), re.S).group(1)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(0, 9), min_size=4, max_size=4), min_size=1, max_size=600),
       st.integers(1, 700))
def test_rows_written_a_batch_at_a_time_are_the_rows_written_one_by_one(picks, batch):
    """extend (the many-row sheets' path: a column at a time, texts that never repeat rendered in one pass) writes
    what append writes row by row: odd texts, blanks, rendered cells, None, a column of numbers (then row by
    row), texts repeated within one batch, columns remembered and columns whose texts never repeat."""
    book = writer._Book()
    one, many = (book.sheet(name, [10, 14, 30, 8], ["甲", "乙", "丙", "丁"], len(picks)) for name in ("a", "b"))
    frags = [one.money(Decimal("12.50")), one.number(3), None, one.blank("subsidy_sign")]
    # first rows enough for a column of texts that never repeat to be judged as one (writer._Memo)
    rows: list[list] = [[f"编号-{i}", "甲建设", f"项目{i}号楼", None] for i in range(2 * writer._TRIAL)]
    for i, (a, b, c, d) in enumerate(picks, start=len(rows)):
        rows.append([
            # texts that never repeat, now and then an odd one
            f"编号-{i}" if a < 8 else ODD_TEXTS[(a + i) % len(ODD_TEXTS)],
            ["甲建设", "", "=SUM(A1)", "很长很长的企业名称有限责任公司"][b % 4],  # texts that repeat
            ODD_TEXTS[(c * 7 + i) % len(ODD_TEXTS)] if c > 6 else f"项目{i % 300}号楼",
            frags[d % 4] if d < 8 else (7 if d == 8 else "否"),  # numbers only now and then
        ])
    for row in rows:
        one.append(row)
    for start in range(0, len(rows), batch):
        many.extend(rows[start:start + batch])
    assert _sheet_rows(book, many) == _sheet_rows(book, one)
    assert many.row_idx == one.row_idx
    book.discard()


def test_sheets_deflated_as_they_are_written_are_saved_as_zipfile_saves_them(tmp_path, result):
    """The rows are deflated as they are written and copied into the package as they are (issue 12): the package
    must be the very bytes zipfile writes when it compresses the same sheets itself."""
    import zlib

    copied = tmp_path / "copied.xlsx"
    writer.save(writer.build(result), copied)
    wb = writer.build(result)
    for ws in wb._sheets:  # each sheet's XML put back into openpyxl's file: zipfile compresses it on save
        deflated = writer._DEFLATED.pop(ws._writer.out)
        with open(deflated.path, "rb") as f:
            xml = zlib.decompress(f.read(), -15)
        assert len(xml) == deflated.size and zlib.crc32(xml) == deflated.crc
        with open(ws._writer.out, "wb") as f:
            f.write(xml)
        deflated.discard()
    compressed = tmp_path / "compressed.xlsx"
    writer.save(wb, compressed)
    assert copied.read_bytes() == compressed.read_bytes()
    assert not writer._DEFLATED


def test_a_failure_while_the_package_is_saved_leaves_no_scratch_file(tmp_path, result, monkeypatch):
    real = writer._FixedTimeZip._write_deflated
    calls = []

    def second_fails(self, info, deflated):
        calls.append(info.filename)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real(self, info, deflated)

    monkeypatch.setattr(writer._FixedTimeZip, "_write_deflated", second_fails)
    target = tmp_path / "schedule.xlsx"
    with pytest.raises(OutputError, match="磁盘空间不足"):
        write_schedule(result, target)
    assert len(calls) == 2 and os.listdir(tmp_path) == [] and not writer._DEFLATED


def _deflate_threads() -> list:
    import threading

    return [t for t in threading.enumerate() if t.name.startswith("subsidy deflate")]


def test_a_sheet_deflated_in_its_own_thread_is_the_stream_zlib_makes_of_the_whole_sheet_at_once(tmp_path, monkeypatch):
    """Pieces handed to the deflating thread (small ones, to exercise many hand-overs) make the very bytes one
    compressor fed the whole sheet at once makes: the package is the same whatever the pieces."""
    import zlib

    monkeypatch.setattr(writer, "_PIECE", 1000)
    monkeypatch.setattr(writer, "_QUEUED", 1)
    book = writer._Book()
    s = book.sheet("t", [12, 30], ["甲", "乙"], 0)
    for i in range(3000):
        s.append([f"编号{i}", f"项目{i % 97}号楼"])
    s.close()
    deflated = writer._DEFLATED[s.path]
    with open(deflated.path, "rb") as f:
        got = f.read()
    raw = zlib.decompress(got, -15)
    one = zlib.compressobj(writer.COMPRESS_LEVEL, zlib.DEFLATED, -15)
    assert got == one.compress(raw) + one.flush()
    assert deflated.size == len(raw) and deflated.crc == zlib.crc32(raw)
    assert "<sheetData>" in raw.decode() and not _deflate_threads()
    book.discard()


def test_a_disk_that_fills_while_a_sheet_is_deflated_is_one_chinese_error_and_leaves_nothing(tmp_path, result,
                                                                                             monkeypatch):
    """The deflating thread's error (the scratch file cannot be written) reaches the writer: an OutputError in
    Chinese, no file, no scratch file, no thread left running."""
    import zlib

    real = zlib.compressobj

    class FillsUp:
        def __init__(self, *a):
            self.z = real(*a)
            self.calls = 0

        def compress(self, data):
            self.calls += 1
            if self.calls == 2:
                raise OSError(28, "No space left on device")
            return self.z.compress(data)

        def flush(self):
            return self.z.flush()

    monkeypatch.setattr(writer.zlib, "compressobj", FillsUp)
    monkeypatch.setattr(writer, "_PIECE", 1000)
    target = tmp_path / "schedule.xlsx"
    with pytest.raises(OutputError, match="磁盘空间不足"):
        write_schedule(result, target)
    assert os.listdir(tmp_path) == [] and not writer._DEFLATED and not _deflate_threads()


def test_no_deflating_thread_outlives_the_schedule_it_wrote(tmp_path, result):
    write_schedule(result, tmp_path / "schedule.xlsx")
    assert not _deflate_threads() and not writer._DEFLATED
