"""Fuzzing the reader: generated workbooks (any value of any type in any column) and mutated ones (truncated,
bit-flipped, overwritten zips; damaged sheet XML) either read into a Batch or raise UnreadableInput — nothing
else — and the command line answers them with exit 0 or 2, never a traceback."""
from __future__ import annotations

import datetime as dt
import io
import os
import zipfile
from decimal import Decimal

import pytest
from helpers_uscc import uscc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from workbooks import complete, workbook_bytes

from policies import get_pack
from subsidy.cli import main
from subsidy.errors import UnreadableInput
from subsidy.models import Batch
from subsidy.workbook import read_bytes
from subsidy.workbook.reader import COLUMNS

PACK = get_pack()
#: SUBSIDY_FUZZ_EXAMPLES=5000 for a long hunt; the default keeps the file at a few seconds
FUZZ = settings(max_examples=int(os.environ.get("SUBSIDY_FUZZ_EXAMPLES", "150")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow])
A, B = uscc(1), uscc(2)

TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=30)
CELL = st.one_of(
    st.none(),
    TEXT,
    st.sampled_from([A, B, A.lower(), f" {A} ", "鲁班奖", "省级工法", "总部迁入", "珠山区", "市外", "是", "否", "Y",
                     "2024-03-15", "2024/3/15", "2024年3月15日", "2024-02-30", "12.5万", "1,234.56", "-5", "1e400",
                     "=1+1", "+1", "@SUM(A1)", "无", "较大", "施工总承包一级", "100分", "2024年", "NaN", "∞"]),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.dates(dt.date(1900, 3, 1), dt.date(2100, 1, 1)),
    st.datetimes(dt.datetime(1900, 3, 1), dt.datetime(2100, 1, 1)),
    st.times(),
    st.decimals(allow_nan=False, allow_infinity=False, places=4, min_value=-10**9, max_value=10**9),
)


xlsx = workbook_bytes


@st.composite
def workbooks(draw) -> bytes:
    """Every sheet of SPEC 4 (some left out), its columns in any order (one missing now and then, an extra one),
    any cells."""
    sheets = {}
    for sheet, every in COLUMNS.items():
        if sheet != "企业" and draw(st.integers(0, 4)) == 0:
            continue
        columns = list(every)
        if draw(st.integers(0, 9)) == 0:
            columns.pop(draw(st.integers(0, len(columns) - 1)))  # a required column missing now and then
        columns = draw(st.permutations(columns))
        if draw(st.booleans()):
            columns = [*columns, "备注"]
        rows = [list(columns)] + [[draw(CELL) for _ in columns] for _ in range(draw(st.integers(0, 6)))]
        sheets[sheet] = rows
    return xlsx(sheets)


def read(data: bytes) -> Batch | None:
    """The reader's contract: a Batch, or UnreadableInput (returned as None) — any other exception fails."""
    try:
        return read_bytes(data, pack=PACK, name="fuzz.xlsx")
    except UnreadableInput as e:
        assert str(e) and "\n" not in str(e)
        return None


@FUZZ
@given(workbooks())
def test_generated_workbooks_with_any_value_in_any_column_read_or_are_refused_cleanly(data):
    batch = read(data)
    if batch is not None:
        # every claim row read is either a claim or a rejected row (one line of the output each)
        for issue in batch.issues:
            assert issue.sheet and issue.message


BASE = xlsx(complete({
    "企业": [["统一社会信用代码", "企业名称", "注册地", "信用评价分", "地方留成税收(元)"],
           [A, "甲建设", "珠山区", 92, 3_000_000], [B, "乙建设", "昌江区", "85", "12.5万"]],
    "申报事项": [["申报编号", "统一社会信用代码", "奖励类别", "项目或证书名称", "获批日期"],
             ["2024-001", A, "鲁班奖", "瓷都大厦", dt.date(2024, 11, 20)],
             ["2024-002", B, "省级工法", "叠合板工法", "2024/3/15"]],
    "已兑现奖励": [["统一社会信用代码", "奖励类别", "项目或证书名称", "奖励年度", "兑现日期", "兑现金额(元)"],
              [A, "省级企业技术中心", "", 2023, "2023-12-20", 200000]],
}))


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(["flip", "cut", "zero", "dup"]), st.integers(0, len(BASE) - 1),
                          st.integers(0, 255)), min_size=1, max_size=6))
def test_truncated_bit_flipped_and_overwritten_zips_read_or_are_refused_cleanly(mutations):
    data = bytearray(BASE)
    for kind, at, x in mutations:
        if not data:
            break
        at %= len(data)
        if kind == "flip":
            data[at] ^= 1 << (x % 8)
        elif kind == "cut":
            del data[at:]
        elif kind == "zero":
            data[at:at + x] = bytes(len(data[at:at + x]))
        else:
            data[at:at] = data[at:at + x]
    read(bytes(data))


def _sheet_parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def _rezip(parts: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, body in parts.items():
            z.writestr(name, body)
    return buf.getvalue()


XML_PARTS = [n for n in _sheet_parts(BASE) if n.endswith(".xml")]
SNIPPETS = [b"<", b">", b"</row>", b'<c r="A1">', b'<c r="XFD1048576"><v>1</v></c>', b"&amp;", b"&bogus;",
            b"\xff\xfe", b'<row r="0">', b'<c r="A1" t="s"><v>99</v></c>', b'<c r="B2" t="e"><v>#N/A</v></c>',
            b'<c r="C3" t="d"><v>not a date</v></c>', b'<c r="D4" t="n"><v>1e999</v></c>', b"]]>", b"\x00"]


@FUZZ
@given(st.sampled_from(XML_PARTS), st.lists(st.tuples(st.integers(0, 10**6), st.sampled_from(SNIPPETS),
                                                     st.booleans()), min_size=1, max_size=4))
def test_damaged_xml_inside_a_sound_zip_reads_or_is_refused_cleanly(part, edits):
    parts = _sheet_parts(BASE)
    body = bytearray(parts[part])
    for at, snippet, replace in edits:
        at %= len(body) + 1
        body[at:at + (len(snippet) if replace else 0)] = snippet
    parts[part] = bytes(body)
    read(_rezip(parts))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(st.integers(0, len(BASE) - 1), st.integers(0, 7), st.booleans())
def test_the_cli_answers_a_damaged_workbook_with_exit_0_or_2_and_never_a_traceback(tmp_path, capsys, at, bit, cut):
    data = bytearray(BASE)
    if cut:
        del data[at:]
    else:
        data[at] ^= 1 << bit
    src = tmp_path / "in.xlsx"
    src.write_bytes(bytes(data))
    out = tmp_path / "out.xlsx"
    out.unlink(missing_ok=True)
    code = main(["assess", str(src), "--year", "2024", "-o", str(out)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    assert code in (0, 2), captured.err
    if code == 2:
        assert len(captured.err.splitlines()) == 1 and captured.err.startswith("错误：")
        assert not out.exists()


def test_the_base_workbook_of_the_fuzzers_reads_cleanly():
    batch = read(BASE)
    assert batch is not None
    assert [c.claim_id for c in batch.claims] == ["2024-001", "2024-002"]
    assert batch.companies[1].local_retained_tax == Decimal("125000.00")


@pytest.mark.parametrize("cell", ["=1+1", 1e308, -1e-308, dt.time(23, 59), True, "\u3000", "１２．５万"])
def test_odd_but_legal_cells_in_amount_columns_become_issues_not_crashes(cell):
    data = xlsx(complete({"企业": [["统一社会信用代码", "企业名称", "注册地", "地方留成税收(元)"], [A, "甲", "珠山区", cell]]}))
    batch = read(data)
    assert batch is not None
