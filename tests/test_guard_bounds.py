"""The guard's fast pass (issue 12) bounds a sheet's used rectangle from above, or says it cannot.

The fast pass (guard._QuickArea) reads a few searches per chunk instead of every cell reference. Whatever cells a
sheet holds — far ones, ones inside a row of another number, ones without a reference, prefixed tags, all split
across chunk boundaries — either its bound holds every cell the exact pass (guard._Area) finds, or it is ``loose``
and the exact pass decides. A wrong bound would let calamine allocate what the limit forbids.
"""
from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from subsidy.errors import UnreadableInput
from subsidy.workbook import guard


def letters(n: int) -> str:
    return guard._column_letters(n)


def sheet_xml(rows: int, cols: int, intruders: list[tuple[int, str]]) -> bytes:
    """A worksheet of ``rows`` × ``cols`` value cells, with intruding cell tags inserted after the given rows."""
    out = [b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>']
    extra: dict[int, list[str]] = {}
    for after, tag in intruders:
        extra.setdefault(min(after, rows), []).append(tag)
    for r in range(1, rows + 1):
        cells = "".join(f'<c r="{letters(c)}{r}" t="n"><v>{c}</v></c>' for c in range(1, cols + 1))
        cells += "".join(extra.get(r, ()))
        out.append(f'<row r="{r}">{cells}</row>'.encode())
    out.append(b"</sheetData></worksheet>")
    return b"".join(out)


def scan(xml: bytes, area, chunk: int) -> None:
    """The windows guard._scan gives an area: each chunk after what _split keeps of the window before, the whole tags
    of the window read now."""
    tail = b""
    for i in range(0, len(xml), chunk):
        window = tail + xml[i:i + chunk]
        whole, tail = guard._split(window)
        area.scan(whole, prefixed=guard._PREFIXED.search(window) is not None)


ref = st.tuples(st.integers(1, 16384), st.integers(1, 1_048_576)).map(lambda t: f"{letters(t[0])}{t[1]}")
intruder = st.one_of(
    ref.map(lambda r: f'<c r="{r}"><v>1</v></c>'),  # a value cell anywhere
    ref.map(lambda r: f'<c r="{r}" s="1"/>'),  # a formatted blank cell anywhere
    st.just("<c><v>1</v></c>"),  # a cell without a reference
    st.just('<c s="2" t="n"><v>1</v></c>'),
    ref.map(lambda r: f'<x:c r="{r}"><x:v>1</x:v></x:c>'),  # a prefixed cell
    st.integers(1, 9_999_999).map(lambda n: f'<c r="A{n}"><v>1</v></c>'),
    # long attributes before the reference: a chunk may end inside the tag, far from its reference
    st.tuples(ref, st.integers(60, 600)).map(lambda t: f'<c t="n" x="{"a" * t[1]}" r="{t[0]}"><v>1</v></c>'),
    st.tuples(ref, st.integers(60, 600)).map(lambda t: f'<c r="{t[0]}" x="{"a" * t[1]}" t="n"><v>1</v></c>'),
)


@settings(max_examples=300, deadline=None)
@given(rows=st.integers(1, 60), cols=st.integers(1, 12), intruders=st.lists(st.tuples(st.integers(0, 60), intruder),
                                                                             max_size=3),
       chunk=st.sampled_from([97, 256, 1000, 1 << 20]))
def test_the_fast_bound_holds_every_cell_or_gives_way_to_the_exact_pass(rows, cols, intruders, chunk):
    xml = sheet_xml(rows, cols, intruders)
    quick, exact, exact_in_chunks = guard._QuickArea(), guard._Area(), guard._Area()
    scan(xml, quick, chunk)
    scan(xml, exact, 1 << 20)
    scan(xml, exact_in_chunks, chunk)
    # the farthest referenced cell is seen however the part is cut into chunks (a tag cut far from its reference
    # included); cells without a reference are counted per window, roughly, and are left out here
    if all(' r="' in tag for _, tag in intruders):
        assert (exact_in_chunks.max_row, exact_in_chunks.max_col) == (exact.max_row, exact.max_col)
    if quick.loose:
        return
    q_rows, q_cols = quick.size()
    e_rows, e_cols = exact.size()
    # the exact rectangle starts at its first row and column; the bound at A1
    assert q_rows >= exact.max_row and q_cols >= exact.max_col
    assert q_rows * q_cols >= e_rows * e_cols


def test_a_plain_sheet_is_bounded_closely_without_the_exact_pass():
    quick = guard._QuickArea()
    scan(sheet_xml(12_345, 8, []), quick, 4096)
    assert not quick.loose
    assert quick.size() == (12_999, 8)  # the rows up to 12,345 with the digits after its first two all 9: under 1.1×


def test_a_far_cell_hidden_in_a_row_of_another_number_is_not_missed():
    xml = sheet_xml(100, 8, [(50, '<c r="H1048576"><v>1</v></c>')])
    quick = guard._QuickArea()
    scan(xml, quick, 512)
    assert quick.loose  # the exact pass measures it: A1:H1048576


def package(sheet: bytes) -> tuple[zipfile.ZipFile, bytes]:
    """A workbook whose one sheet (企业) is ``sheet``, stored: its chunks are exactly 1 MB of its XML."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", '<workbook><sheets><sheet name="企业" sheetId="1" r:id="rId1"/></sheets>'
                                      "</workbook>")
        z.writestr("xl/_rels/workbook.xml.rels",
                   '<Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>')
        z.writestr("xl/worksheets/sheet1.xml", sheet, compress_type=zipfile.ZIP_STORED)
    data = out.getvalue()
    return zipfile.ZipFile(io.BytesIO(data)), data


def straddling(pad: int, before: int) -> bytes:
    """A sheet of plain rows whose far cell's tag starts ``before`` bytes ahead of the 1 MB chunk boundary and names
    its reference after ``pad`` bytes of another attribute."""
    head = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    rows, n = [head], 1
    while sum(map(len, rows)) < guard._CHUNK_OUT - before - 200:
        rows.append(f'<row r="{n}"><c r="A{n}" t="n"><v>1</v></c></row>'.encode())
        n += 1
    rows.append(f'<row r="{n}">'.encode())
    rows.append(b" " * (guard._CHUNK_OUT - before - sum(map(len, rows))))
    rows.append(f'<c t="n" x="{"a" * pad}" r="XFD1048576"><v>1</v></c></row></sheetData></worksheet>'.encode())
    return b"".join(rows)


@pytest.mark.parametrize("pad,before", [(200, 100), (5_000, 2_000), (70_000, 1_000)])
def test_a_far_cell_whose_tag_a_chunk_cuts_far_from_its_reference_is_refused(pad, before):
    """Kept whole into the next window, the tag is measured: a fixed 64-byte overlap let it reach calamine, which
    then tried to allocate A1:XFD1048576 and aborted the process."""
    zf, data = package(straddling(pad, before))
    assert zf.read("xl/worksheets/sheet1.xml").index(b"<c t=") == guard._CHUNK_OUT - before
    with pytest.raises(UnreadableInput) as e:
        guard.check_package(zf, data, "a.xlsx")
    assert "（A1:XFD1048576，1048576 行 × 16384 列，超过一次能读取的 16,000,000 个单元格的上限）" in str(e.value)


def test_a_tag_longer_than_any_workbook_has_is_refused_by_name():
    zf, data = package(straddling(80_000, 75_000))
    with pytest.raises(UnreadableInput) as e:
        guard.check_package(zf, data, "a.xlsx")
    assert str(e.value) == ("“a.xlsx”中的工作表“企业”（xl/worksheets/sheet1.xml）有一个长于 64 KB 的 XML 标记，"
                            "正常的 Excel 工作簿不会有，已拒绝读取")


def one_sheet(cell: str) -> bytes:
    return ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            f'<row r="1"><c r="A1" t="inlineStr"><is><t>统一社会信用代码</t></is></c></row><row r="2">{cell}</row>'
            '</sheetData></worksheet>').encode()


#: cell tags calamine reads (quick-xml) but no spreadsheet program writes; every one of them made calamine place the
#: cell at XFD1048576 and abort the process, or put an error value where a blank was read
ODD_TAGS = {
    "a > inside a value, before the reference": '<c x=">" r="XFD1048576" t="inlineStr"><is><t>x</t></is></c>',
    "a < inside a value": '<c x="<" r="XFD1048576" t="inlineStr"><is><t>x</t></is></c>',
    "single quotes": "<c r='XFD1048576' t=\"inlineStr\"><is><t>x</t></is></c>",
    "the reference twice": '<c r="A2" r="XFD1048576" t="inlineStr"><is><t>x</t></is></c>',
    "spaces around =": '<c r = "XFD1048576" t="inlineStr"><is><t>x</t></is></c>',
    "a lower-case reference": '<c r="xfd1048576" t="inlineStr"><is><t>x</t></is></c>',
    "a zero-padded row": '<c r="XFD01048576" t="inlineStr"><is><t>x</t></is></c>',
    "row 0": '<c r="A0" t="inlineStr"><is><t>x</t></is></c>',
    "an entity in the reference": '<c r="&#88;FD1048576" t="inlineStr"><is><t>x</t></is></c>',
    "an error value behind a > in a value": '<c r="B2" x=">" t="e"><v>#N/A</v></c>',
    "a row tag with a > in a value": '<c r="A2" t="n"><v>1</v></c></row><row x=">" r="3"><c t="n"><v>1</v></c>',
}


@pytest.mark.parametrize("cell", ODD_TAGS.values(), ids=ODD_TAGS.keys())
@pytest.mark.parametrize("chunked", [False, True], ids=["whole", "cut at every byte"])
def test_a_cell_tag_no_spreadsheet_program_writes_is_refused_by_name(cell, chunked, monkeypatch):
    """The tag is named and the workbook refused: the guard cannot tell where calamine would place the cell."""
    if chunked:  # every window ends inside a tag now and then: the tag is still judged whole
        monkeypatch.setattr(guard, "_CHUNK_OUT", 7)
    zf, data = package(one_sheet(cell))
    with pytest.raises(UnreadableInput) as e:
        guard.check_package(zf, data, "a.xlsx")
    message = str(e.value)
    where = "第2行之后" if cell.endswith('<row x=">" r="3"><c t="n"><v>1</v></c>') else "第2行"
    assert message.startswith(f"“a.xlsx”中的工作表“企业”（xl/worksheets/sheet1.xml）{where}有写法异常的单元格标记“<"), \
        message
    assert message.endswith("”，Excel、WPS 等软件保存的工作簿不会有，无法确定该单元格的位置，已拒绝读取："
                            "请用 Excel 或 WPS 打开后另存为 .xlsx 再提交")


def test_the_odd_tag_is_quoted_as_it_stands_and_cut_after_60_characters():
    zf, data = package(one_sheet('<c r="A2" r="XFD1048576" t="inlineStr"><is><t>x</t></is></c>'))
    with pytest.raises(UnreadableInput, match='第2行有写法异常的单元格标记“<c r="A2" r="XFD1048576" t="inlineStr">”'):
        guard.check_package(zf, data, "a.xlsx")
    zf, data = package(one_sheet(f'<c x="{"a" * 100}" r=\'A2\'><v>1</v></c>'))
    with pytest.raises(UnreadableInput) as e:
        guard.check_package(zf, data, "a.xlsx")
    assert f'标记“<c x="{"a" * 54}…”' in str(e.value)


@pytest.mark.parametrize("cell", [
    '<c r="B2" s="1" t="s" cm="1" vm="1" ph="1"><v>0</v></c>',  # every attribute Excel gives a cell
    '<c s="1" r="B2" t="n"><v>1</v></c>',  # the reference not first
    '<c r="B2" s="1"/>',  # a formatted blank cell
    '<c t="n"><v>1</v></c>',  # no reference: placed after the previous cell
    '<c\tr="B2"\nt="n"><v>1</v></c>',  # white space of another kind
    '<x:c r="B2" x:foo="1"><x:v>1</x:v></x:c>',  # prefixed
    '<c r="B2" x:r="XFD1048576"><v>1</v></c>',  # a prefixed r: calamine reads the plain r only
])
def test_the_cell_tags_spreadsheet_programs_write_pass(cell):
    zf, data = package(one_sheet(cell))
    guard.check_package(zf, data, "a.xlsx")


def test_a_slash_inside_a_value_does_not_make_a_far_cell_look_self_closing():
    """The old search took a / anywhere after the reference for an empty <c …/>, and let the cell through."""
    zf, data = package(one_sheet('<c r="XFD1048576" x="a/b" t="inlineStr"><is><t>x</t></is></c>'))
    with pytest.raises(UnreadableInput, match="（A1:XFD1048576，1048576 行 × 16384 列"):
        guard.check_package(zf, data, "a.xlsx")


attribute = st.tuples(
    st.sampled_from(["r", "s", "t", "x", "x:r", "R"]),  # name
    st.sampled_from(["XFD1048576", "xfd1048576", "XFD01048576", "&#88;FD1048576", "B2", "1", ">", "<", "a/b",
                     "inlineStr"]),  # value
    st.sampled_from(['"', "'"]),  # quotes
    st.sampled_from(["=", " =", "= ", "\t=\n"]),  # around =
    st.sampled_from([" ", "\t", "  ", "\n"]),  # before the attribute
)


@settings(max_examples=400, deadline=None)
@given(attrs=st.lists(attribute, min_size=1, max_size=4), chunk=st.sampled_from([5, 13, 1 << 20]))
def test_a_far_reference_is_never_let_through_however_the_tag_is_written(attrs, chunk):
    """Whatever the quotes, spacing, case, padding, entities, other attributes or a second r: a cell tag with an r
    attribute that names XFD1048576 — as calamine may read it — is refused, however the part is cut into chunks."""
    import html

    tag = "<c" + "".join(f"{sep}{name}{eq}{q}{value}{q}" for name, value, q, eq, sep in attrs) + "><v>1</v></c>"
    zf, data = package(one_sheet(tag))
    far = any(name == "r" and html.unescape(value).upper().replace("D0", "D") == "XFD1048576"
              for name, value, *_ in attrs)
    old = guard._CHUNK_OUT
    guard._CHUNK_OUT = chunk
    try:
        if far:
            with pytest.raises(UnreadableInput):
                guard.check_package(zf, data, "a.xlsx")
        else:
            try:
                guard.check_package(zf, data, "a.xlsx")
            except UnreadableInput as e:  # an odd tag with a near cell is refused too: never anything else
                assert "写法异常的单元格标记" in str(e)
    finally:
        guard._CHUNK_OUT = old
