"""Cell parsers of the application workbook (SPEC 4): one table of cases, each named by a sentence."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from subsidy.workbook.cells import (
    CellError,
    cell_text,
    column_letter,
    is_blank,
    parse_amount,
    parse_bool,
    parse_date,
    parse_score,
    parse_text,
    parse_year,
)

D = Decimal
ERROR = CellError  # expected result: the parser raises CellError

CASES = [
    # ---- amounts
    ("an integer amount reads as yuan to the fen", parse_amount, 500000, D("500000.00")),
    ("a float amount is read through its repr, never float arithmetic", parse_amount, 0.1 + 0.2, D("0.30")),
    ("a float with many decimals rounds half up to the fen", parse_amount, 1234.565, D("1234.57")),
    ("text with thousands separators is accepted", parse_amount, "1,234.56", D("1234.56")),
    ("text amount with 万 is multiplied by ten thousand", parse_amount, "12.5万", D("125000.00")),
    ("text amount with 万元 is multiplied by ten thousand", parse_amount, "12.5万元", D("125000.00")),
    ("text amount with 元 is taken as yuan", parse_amount, "100元", D("100.00")),
    ("text amount with 亿 is multiplied by a hundred million", parse_amount, "1.2亿", D("120000000.00")),
    ("text amount with 亿元 is multiplied by a hundred million", parse_amount, "0.35亿元", D("35000000.00")),
    ("亿 keeps every digit exactly, to the fen", parse_amount, "0.123456789亿", D("12345678.90")),
    ("亿 after a grouped number is accepted", parse_amount, "1,234.5亿", D("123450000000.00")),
    ("a space before 亿 is accepted", parse_amount, "2 亿", D("200000000.00")),
    ("full-width 亿 amounts are read after NFKC", parse_amount, "０.５亿元", D("50000000.00")),
    ("亿 alone is not an amount", parse_amount, "亿", ERROR),
    ("两个单位 万亿 is not an amount", parse_amount, "1万亿", ERROR),
    ("a negative 亿 amount is invalid", parse_amount, "-1亿", ERROR),
    ("an absurd 亿 amount is refused", parse_amount, "100000000亿", ERROR),
    ("full-width digits are read after NFKC", parse_amount, "１２３４.５", D("1234.50")),
    ("surrounding spaces around a text amount are ignored", parse_amount, "  88 ", D("88.00")),
    ("a text amount with three decimals rounds half up", parse_amount, "0.005", D("0.01"),),
    ("a yuan sign before the amount is accepted", parse_amount, "¥1,000", D("1000.00")),
    ("zero is a valid amount", parse_amount, 0, D("0.00")),
    ("a negative number is invalid", parse_amount, -1, ERROR),
    ("a negative text amount is invalid", parse_amount, "-5万", ERROR),
    ("NaN is not an amount", parse_amount, float("nan"), ERROR),
    ("infinity is not an amount", parse_amount, float("inf"), ERROR),
    ("words are not an amount", parse_amount, "五十万", ERROR),
    ("a comma in the wrong place is invalid rather than misread", parse_amount, "12,5", ERROR),
    ("a boolean is not an amount", parse_amount, True, ERROR),
    ("a date is not an amount", parse_amount, dt.date(2024, 1, 1), ERROR),
    ("a blank amount cell is an error for the parser", parse_amount, "  ", ERROR),
    ("an absurdly large amount is refused", parse_amount, 1e30, ERROR),
    # ---- dates
    ("a real date cell is kept", parse_date, dt.date(2024, 3, 15), dt.date(2024, 3, 15)),
    ("a datetime cell gives its date", parse_date, dt.datetime(2024, 3, 15, 9, 30), dt.date(2024, 3, 15)),
    ("ISO text is a date", parse_date, "2024-03-15", dt.date(2024, 3, 15)),
    ("slashes without leading zeros are a date", parse_date, "2024/3/15", dt.date(2024, 3, 15)),
    ("Chinese year month day text is a date", parse_date, "2024年3月15日", dt.date(2024, 3, 15)),
    ("dotted text is a date", parse_date, "2024.3.15", dt.date(2024, 3, 15)),
    ("ISO text with a midnight time is a date", parse_date, "2024-03-15 00:00:00", dt.date(2024, 3, 15)),
    ("full-width digits in a date are read after NFKC", parse_date, "２０２４年３月１５日", dt.date(2024, 3, 15)),
    ("an impossible day is invalid", parse_date, "2024-02-30", ERROR),
    ("an impossible month is invalid", parse_date, "2024/13/1", ERROR),
    ("a plain number is not a date", parse_date, 45366, ERROR),
    ("a float is not a date", parse_date, 45366.0, ERROR),
    ("mixed separators are not a date", parse_date, "2024-3/15", ERROR),
    ("free text is not a date", parse_date, "去年三月", ERROR),
    ("a blank date cell is an error for the parser", parse_date, "", ERROR),
    # ---- booleans
    ("是 is true", parse_bool, "是", True),
    ("否 is false", parse_bool, "否", False),
    ("lower-case y is true", parse_bool, "y", True),
    ("N is false", parse_bool, "N", False),
    ("TRUE text in any case is true", parse_bool, "True", True),
    ("FALSE text is false", parse_bool, "false", False),
    ("text 1 is true", parse_bool, "1", True),
    ("text 0 is false", parse_bool, "0", False),
    ("a Python true is true", parse_bool, True, True),
    ("a Python false is false", parse_bool, False, False),
    ("numeric 1 is true", parse_bool, 1.0, True),
    ("numeric 0 is false", parse_bool, 0, False),
    ("a blank boolean cell is false", parse_bool, "", False),
    ("a whitespace-only boolean cell is false", parse_bool, "\u3000", False),
    ("a number other than 1 or 0 is not a boolean", parse_bool, 2, ERROR),
    ("other words are not a boolean", parse_bool, "可能", ERROR),
    # ---- scores
    ("a numeric score is a decimal", parse_score, 85.5, D("85.5")),
    ("a text score is a decimal", parse_score, " 92 ", D("92")),
    ("a blank score means not scored", parse_score, "", None),
    ("a negative score is allowed", parse_score, -12, D("-12")),
    ("exactly 100 is allowed", parse_score, 100, D("100")),
    ("a score above 100 is invalid", parse_score, 100.5, ERROR),
    ("a non-numeric score is invalid", parse_score, "优秀", ERROR),
    ("NaN is not a score", parse_score, float("nan"), ERROR),
    # ---- years
    ("an integer year is accepted", parse_year, 2023, 2023),
    ("a float year from Excel is accepted", parse_year, 2023.0, 2023),
    ("a text year is accepted", parse_year, "2023", 2023),
    ("a text year with 年 is accepted", parse_year, "2023年", 2023),
    ("a fractional year is invalid", parse_year, 2023.5, ERROR),
    ("a year before 1900 is invalid", parse_year, 1899, ERROR),
    ("a year after 2200 is invalid", parse_year, 2201, ERROR),
    ("a word is not a year", parse_year, "今年", ERROR),
    # ---- text
    ("a whole number typed in a text column loses its .0", parse_text, 12.0, "12"),
    ("a fractional number in a text column keeps its digits", parse_text, 12.5, "12.5"),
    ("text is trimmed", parse_text, "  鲁班奖 ", "鲁班奖"),
    ("an empty cell is empty text", parse_text, "", ""),
    ("None is empty text", parse_text, None, ""),
    ("a date cell is shown in ISO form", parse_text, dt.date(2024, 3, 5), "2024-03-05"),
    ("a midnight datetime is shown as its date", parse_text, dt.datetime(2024, 3, 5), "2024-03-05"),
]


@pytest.mark.parametrize(("fn", "value", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_cell(fn, value, expected):
    if expected is ERROR:
        with pytest.raises(CellError) as info:
            fn(value)
        assert info.value.message and str(info.value) == info.value.message
    else:
        got = fn(value)
        assert got == expected
        assert type(got) is type(expected)


def test_amount_result_always_has_two_decimals():
    assert str(parse_amount(7)) == "7.00"
    assert str(parse_amount("1.2万")) == "12000.00"


def test_messages_are_chinese_and_name_the_value():
    with pytest.raises(CellError, match="“2024-02-30”不存在"):
        parse_date("2024-02-30")
    with pytest.raises(CellError, match="“五十万”不是有效的金额"):
        parse_amount("五十万")
    with pytest.raises(CellError, match="负数"):
        parse_amount("-3")
    with pytest.raises(CellError, match="超过满分100分"):
        parse_score("101")
    with pytest.raises(CellError, match="“可能”不是有效的是/否值"):
        parse_bool("可能")


def test_blank_detection_covers_full_width_space():
    assert is_blank("") and is_blank(None) and is_blank(" \u3000\t")
    assert not is_blank(0) and not is_blank("0") and not is_blank(False)


def test_cell_text_of_booleans_and_times():
    assert cell_text(True) == "TRUE"
    assert cell_text(dt.datetime(2024, 3, 5, 8, 30)) == "2024-03-05 08:30:00"


def test_column_letters():
    assert [column_letter(i) for i in (0, 25, 26, 27, 701, 702)] == ["A", "Z", "AA", "AB", "ZZ", "AAA"]


def test_a_whole_score_from_a_number_cell_reads_without_a_decimal_point():
    from subsidy.workbook.cells import parse_score

    assert str(parse_score(85.0)) == "85" and str(parse_score("79.50")) == "79.50"


def test_a_score_read_again_reads_as_the_first_time_and_zero_keeps_its_sign_apart():
    """parse_score remembers the scores it read (issue 12); 0 and -0.0 are equal keys that read differently, so
    neither is remembered: each reads as it would alone, in any order."""
    from subsidy.workbook.cells import _parse_score

    values = [85, 85.0, "85", "85分", 92.5, "79.50", -3.0, -3, "0", "-0", 0, -0.0, 0.0, -0.0, 0]
    for v in values * 2:
        assert str(parse_score(v)) == str(_parse_score(v)), v
    assert str(parse_score(-0.0)) == "-0" and str(parse_score(0)) == "0"


def test_the_template_amount_columns_prompt_but_never_refuse_what_the_reader_reads(tmp_path):
    """12.5万 and 1.2亿 are amounts for the reader (and 填表说明 says so): no blocking number-only rule on them."""
    import openpyxl

    from factory import code
    from policies import get_pack
    from subsidy.workbook.reader import read_workbook
    from subsidy.workbook.schema import SHEETS
    from subsidy.workbook.template import write_template

    path = tmp_path / "申报汇总表.xlsx"
    write_template(path, pack=get_pack("jdz-2023"))
    wb = openpyxl.load_workbook(path)
    checked = 0
    for sheet in SHEETS:
        ws = wb[sheet.name]
        for j, col in enumerate(sheet.columns, start=1):
            if col.kind != "amount":
                continue
            letter = openpyxl.utils.get_column_letter(j)
            [dv] = [dv for dv in ws.data_validations.dataValidation if f"{letter}2:" in str(dv.sqref)]
            assert dv.type is None and not dv.showErrorMessage, (sheet.name, col.header)
            assert dv.showInputMessage and "12.5万" in dv.prompt and "1.2亿" in dv.prompt
            checked += 1
    assert checked >= 5
    guide = " ".join(str(c.value) for row in wb["填表说明"].iter_rows() for c in row if c.value)
    assert "“12.5万”“1.2亿”" in guide
    ws = wb["企业"]
    headers = [c.value for c in ws[1]]
    row = {"统一社会信用代码": code(1), "企业名称": "甲建设", "注册地": "珠山区", "地方留成税收(元)": "0.35亿元"}
    for j, h in enumerate(headers, start=1):
        ws.cell(row=2, column=j, value=row.get(h))
    wb.save(path)
    batch = read_workbook(path, pack=get_pack("jdz-2023"))
    assert batch.companies[0].local_retained_tax == D("35000000.00")
