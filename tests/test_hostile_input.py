"""Whatever lands in the bureau's inbox: every hostile input is refused through the real command line with exit 2,
exactly one Chinese line on stderr, no traceback and no output file left behind (SPEC 5, issue 5)."""
from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from helpers_uscc import uscc
from workbooks import complete, workbook_bytes

from subsidy.cli import main
from subsidy.workbook import guard

A = uscc(1)
SUBSIDY = Path(sys.executable).with_name("subsidy")
SHEET1 = "xl/worksheets/sheet1.xml"
CJK = re.compile(r"[\u4e00-\u9fff]")


# --------------------------------------------------------------------------- building hostile files


def workbook(path: Path, sheets: dict[str, list[list]] | None = None) -> Path:
    """A small valid application workbook (or the given sheets), written by openpyxl."""
    if sheets is None:
        sheets = {
            "企业": [["统一社会信用代码", "企业名称", "注册地", "地方留成税收(元)"], [A, "甲建设", "珠山区", 1_000_000]],
            "申报事项": [["申报编号", "统一社会信用代码", "奖励类别", "项目或证书名称", "获批日期"],
                     ["2024-001", A, "省优良工程", "瓷都大厦", "2024-05-01"]],
        }
    path.write_bytes(workbook_bytes(complete(sheets)))
    return path


def rezip(src: Path, dst: Path, parts: dict[str, bytes | None] | None = None, *,
          edit: dict | None = None) -> Path:
    """Copy the zip ``src`` to ``dst``, replacing parts (None drops one) or editing them with a function."""
    parts, edit = parts or {}, edit or {}
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename in parts:
                data = parts.pop(item.filename)
                if data is None:
                    continue
            if item.filename in edit:
                data = edit[item.filename](data)
            zout.writestr(item.filename, data)
        for name, data in parts.items():
            zout.writestr(name, data)
    return dst


def bomb(src: Path, dst: Path, *, inflated: int, lie: bool) -> Path:
    """The workbook with its 企业 sheet padded by white space to ``inflated`` bytes (a few hundred KB deflated),
    written in streamed chunks; with ``lie`` the zip directory and the local header declare 1 KB instead."""
    with zipfile.ZipFile(src) as zin:
        sheet = zin.read(SHEET1)
        others = [(i.filename, zin.read(i)) for i in zin.infolist() if i.filename != SHEET1]
    head, end = sheet.rsplit(b"</worksheet>", 1)
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in others:
            zout.writestr(name, data)
        with zout.open(SHEET1, "w") as f:
            f.write(head)
            pad = b" " * (1 << 20)
            left = inflated - len(head) - len(b"</worksheet>")
            while left > 0:
                f.write(pad[:left])
                left -= len(pad)
            f.write(b"</worksheet>" + end)
    if lie:
        raw = bytearray(dst.read_bytes())
        name = SHEET1.encode()
        local = raw.index(b"PK\x03\x04")
        while raw[local + 30:local + 30 + len(name)] != name:
            local = raw.index(b"PK\x03\x04", local + 4)
        raw[local + 22:local + 26] = (1024).to_bytes(4, "little")
        central = raw.index(b"PK\x01\x02")
        while raw[central + 46:central + 46 + len(name)] != name:
            central = raw.index(b"PK\x01\x02", central + 4)
        raw[central + 24:central + 28] = (1024).to_bytes(4, "little")
        dst.write_bytes(bytes(raw))
    return dst


BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10))
    + b"]>"
)


def entity_expansion(src: Path, dst: Path) -> Path:
    return rezip(src, dst, edit={SHEET1: lambda d: BILLION_LAUGHS + re.sub(rb"^<\?xml[^>]*\?>", b"", d).replace(
        b"<t>\xe7\x94\xb2\xe5\xbb\xba\xe8\xae\xbe</t>", b"<t>&lol9;</t>")})


def claimed_dimension(src: Path, dst: Path) -> Path:
    return rezip(src, dst, edit={SHEET1: lambda d: re.sub(rb'<dimension ref="[^"]*"\s*/>',
                                                         b'<dimension ref="A1:XFD1048576"/>', d)})


def far_cell(src: Path, dst: Path) -> Path:
    return rezip(src, dst, edit={SHEET1: lambda d: d.replace(
        b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>')})


def _ole(payload: bytes) -> bytes:
    """A compound-file header followed by a directory entry name: what Office writes for encrypted/legacy files."""
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + payload + b"\0" * 512


# --------------------------------------------------------------------------- the cases

AREA = f"{guard.MAX_AREA_CELLS:,}"
BOMB = "“in.xlsx”中的“xl/worksheets/sheet1.xml”解压后超过 200 MB，可能是恶意构造的压缩包（zip 炸弹），已拒绝读取"
ENTITY = ("“in.xlsx”中的“xl/worksheets/sheet1.xml”含有 DOCTYPE 或 ENTITY 声明（可能是 XML 实体扩展攻击），"
          "正常的 Excel 工作簿不会有，已拒绝读取")


def _case(kind: str, tmp: Path) -> tuple[Path, str]:
    """(the input file, the exact message after 错误：) of each hostile case."""
    path = tmp / "in.xlsx"
    if kind == "empty file":
        path.write_bytes(b"")
        return path, "“in.xlsx”是空文件（0字节），不是 Excel 工作簿"
    if kind == "random bytes":
        path.write_bytes(b"\x00" + random.Random(5).randbytes(4095))
        return path, "“in.xlsx”不是 Excel 工作簿（.xlsx）文件"
    if kind == "a CSV renamed .xlsx":
        path.write_text("统一社会信用代码,企业名称,注册地\n" f"{A},甲建设,珠山区\n", encoding="utf-8")
        return path, "“in.xlsx”不是 Excel 工作簿（.xlsx）文件"
    if kind == "an old .xls renamed .xlsx":
        path.write_bytes(_ole("Workbook".encode("utf-16-le")))
        return path, "“in.xlsx”是旧版 Excel（.xls）等格式，不是 .xlsx 工作簿，请在 Excel 中另存为 .xlsx 后再提交"
    if kind == "a zip that is not a workbook":
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("readme.txt", "hello")
        return path, "“in.xlsx”不是 Excel 工作簿（.xlsx）文件"
    if kind == "an encrypted workbook":
        path.write_bytes(_ole("EncryptionInfo\0EncryptedPackage".encode("utf-16-le")))
        return path, "“in.xlsx”设有打开密码（已加密），请取消密码后再提交"
    if kind == "a workbook without the 企业 sheet":
        workbook(path, {"Sheet1": []})
        return path, "“in.xlsx”中没有“企业”工作表（现有工作表：“Sheet1”）"
    if kind == "a missing path":
        return tmp / "没有这个文件.xlsx", f"找不到申报汇总表：{tmp / '没有这个文件.xlsx'}"
    if kind == "a zip bomb":
        bomb(workbook(tmp / "ok.xlsx"), path, inflated=guard.MAX_PART_BYTES + (1 << 20), lie=False)
        (tmp / "ok.xlsx").unlink()
        return path, BOMB
    if kind == "a zip bomb whose directory lies about its size":
        bomb(workbook(tmp / "ok.xlsx"), path, inflated=guard.MAX_PART_BYTES + (1 << 20), lie=True)
        (tmp / "ok.xlsx").unlink()
        return path, BOMB
    if kind == "an entity-expansion part":
        entity_expansion(workbook(tmp / "ok.xlsx"), path)
        (tmp / "ok.xlsx").unlink()
        return path, ENTITY
    if kind == "a value cell at XFD1048576":
        far_cell(workbook(tmp / "ok.xlsx"), path)
        (tmp / "ok.xlsx").unlink()
        return path, (f"“in.xlsx”的工作表“企业”数据区域过大（A1:XFD1048576，1048576 行 × 16384 列，"
                      f"超过 {AREA} 个单元格的上限），请删除远处多余的单元格后再提交")
    if kind == "a truncated workbook":
        data = workbook(tmp / "ok.xlsx").read_bytes()
        (tmp / "ok.xlsx").unlink()
        path.write_bytes(data[: len(data) // 2])
        return path, "“in.xlsx”已损坏，无法作为 Excel 工作簿读取"
    raise AssertionError(kind)


CASES = [
    "empty file",
    "random bytes",
    "a CSV renamed .xlsx",
    "an old .xls renamed .xlsx",
    "a zip that is not a workbook",
    "an encrypted workbook",
    "a workbook without the 企业 sheet",
    "a missing path",
    "a zip bomb",
    "a zip bomb whose directory lies about its size",
    "an entity-expansion part",
    "a value cell at XFD1048576",
    "a truncated workbook",
]


def assert_refused_cleanly(code: int, stderr: str, stdout: str, expected: str, tmp: Path, before: set[str]) -> None:
    assert code == 2
    assert stderr.splitlines() == [f"错误：{expected}"]
    assert CJK.search(stderr)
    assert "Traceback" not in stderr + stdout
    assert set(os.listdir(tmp)) == before  # no output file, no temporary file


@pytest.mark.parametrize("kind", CASES)
def test_each_hostile_input_is_refused_by_the_cli_with_one_chinese_line_and_no_output(kind, tmp_path, capsys):
    path, expected = _case(kind, tmp_path)
    before = set(os.listdir(tmp_path))
    code = main(["assess", str(path), "--year", "2024", "-o", str(tmp_path / "out.xlsx"),
                 "--json", str(tmp_path / "out.json")])
    out, err = capsys.readouterr()
    assert_refused_cleanly(code, err, out, expected, tmp_path, before)


@pytest.mark.parametrize("kind", ["random bytes", "an encrypted workbook", "a missing path",
                                  "a zip bomb whose directory lies about its size", "an entity-expansion part",
                                  "a value cell at XFD1048576"])
def test_the_console_script_refuses_hostile_input_in_bounded_memory_without_a_traceback(kind, tmp_path,
                                                                                       tmp_path_factory):
    path, expected = _case(kind, tmp_path)
    before = set(os.listdir(tmp_path))
    logs = tmp_path_factory.mktemp("logs")
    started = time.monotonic()
    with open(logs / "out", "wb") as out, open(logs / "err", "wb") as err:
        proc = subprocess.Popen([str(SUBSIDY), "assess", str(path), "--year", "2024", "-o", str(tmp_path / "out.xlsx")],
                                stdout=out, stderr=err, env={**os.environ, "SUBSIDY_LEDGER": ""})
        status = proc.wait()
    elapsed = time.monotonic() - started
    stdout, stderr = (logs / "out").read_text(), (logs / "err").read_text()
    assert_refused_cleanly(status, stderr, stdout, expected, tmp_path, before)
    assert stdout == ""
    assert elapsed < 20


PEAK = """
import atexit, re, sys
OUT = sys.argv[1]
def peak():
    with open("/proc/self/status") as f:
        kb = int(re.search(r"VmHWM:\\s+(\\d+)", f.read()).group(1))
    with open(OUT, "w") as f:
        f.write(str(kb))
atexit.register(peak)
sys.argv = ["subsidy", *sys.argv[2:]]
from subsidy.cli import run
run()
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="VmHWM is read from /proc")
@pytest.mark.parametrize("kind", ["a zip bomb", "a zip bomb whose directory lies about its size",
                                  "a value cell at XFD1048576"])
def test_a_zip_bomb_or_a_far_cell_is_refused_in_bounded_memory(kind, tmp_path, tmp_path_factory):
    # the bomb inflates past 200 MB (in 1 MB chunks); the far cell would make calamine allocate 512 GB.
    # VmHWM, not ru_maxrss: on Linux a child's ru_maxrss starts from its parent's (pytest's) peak
    path, expected = _case(kind, tmp_path)
    peak = tmp_path_factory.mktemp("peak") / "kb"
    proc = subprocess.run([sys.executable, "-c", PEAK, str(peak), "assess", str(path), "--year", "2024",
                           "-o", str(tmp_path / "out.xlsx")], capture_output=True, text=True, timeout=120)
    assert (proc.returncode, proc.stderr) == (2, f"错误：{expected}\n")
    assert int(peak.read_text()) < 150 * 1024


def test_a_sheet_claiming_the_whole_grid_as_its_dimension_is_read_quickly_and_assessed(tmp_path, capsys):
    path = claimed_dimension(workbook(tmp_path / "ok.xlsx"), tmp_path / "in.xlsx")
    with zipfile.ZipFile(path) as z:
        assert b'<dimension ref="A1:XFD1048576"/>' in z.read(SHEET1)
    started = time.monotonic()
    code = main(["assess", str(path), "--year", "2024", "-o", str(tmp_path / "out.xlsx")])
    assert time.monotonic() - started < 5
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    assert (tmp_path / "out.xlsx").exists()


def test_a_far_blank_formatted_cell_does_not_count_as_data(tmp_path, capsys):
    src = workbook(tmp_path / "ok.xlsx")
    path = rezip(src, tmp_path / "in.xlsx", edit={SHEET1: lambda d: d.replace(
        b"</sheetData>", b'<row r="1048576" ht="20" customHeight="1"><c r="XFD1048576" s="0"/></row></sheetData>')})
    code = main(["assess", str(path), "--year", "2024", "-o", str(tmp_path / "out.xlsx")])
    assert (code, capsys.readouterr().err) == (0, "")


def test_a_far_cell_in_a_sheet_the_tool_does_not_read_is_left_alone(tmp_path, capsys):
    src = workbook(tmp_path / "ok.xlsx", {
        "企业": [["统一社会信用代码", "企业名称", "注册地"], [A, "甲建设", "珠山区"]],
        "填表说明": [["说明"]],
    })
    path = rezip(src, tmp_path / "in.xlsx", edit={"xl/worksheets/sheet2.xml": lambda d: d.replace(
        b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>')})
    assert main(["assess", str(path), "--year", "2024", "-o", str(tmp_path / "out.xlsx")]) == 0


def test_a_far_row_of_cells_without_references_counts_as_data(tmp_path, capsys):
    src = workbook(tmp_path / "ok.xlsx")
    path = rezip(src, tmp_path / "in.xlsx", edit={SHEET1: lambda d: d.replace(
        b"</sheetData>", b'<row r="1048576">' + b"<c><v>1</v></c>" * 12 + b"</row></sheetData>")})
    # calamine would place the 12 cells in A1048576:L1048576: 1048576 rows × (10 + 12) columns at most
    assert main(["assess", str(path), "--year", "2024", "-o", str(tmp_path / "out.xlsx")]) == 2
    assert capsys.readouterr().err == (
        f"错误：“in.xlsx”的工作表“企业”数据区域过大（A1:V1048576，1048576 行 × 22 列，超过 {AREA} 个单元格的上限），"
        "请删除远处多余的单元格后再提交\n")


def test_an_input_file_larger_than_the_limit_is_refused_before_it_is_read(tmp_path, capsys, monkeypatch):
    path = workbook(tmp_path / "in.xlsx")
    monkeypatch.setattr(guard, "MAX_FILE_BYTES", 1024)
    code = main(["assess", str(path), "--year", "2024", "-o", str(tmp_path / "out.xlsx")])
    assert code == 2
    size = path.stat().st_size
    assert capsys.readouterr().err == f"错误：“in.xlsx”过大（{size / 1024:.0f} KB，上限 1 KB），不像是申报汇总表\n"


def test_a_zip_with_too_many_parts_is_refused(tmp_path, capsys, monkeypatch):
    path = workbook(tmp_path / "in.xlsx")
    monkeypatch.setattr(guard, "MAX_PARTS", 5)
    code = main(["assess", str(path), "--year", "2024", "-o", str(tmp_path / "out.xlsx")])
    assert code == 2
    parts = len(zipfile.ZipFile(path).namelist())
    assert capsys.readouterr().err == f"错误：“in.xlsx”包含的文件过多（{parts} 个），不是正常的 Excel 工作簿\n"


def test_a_part_declared_larger_than_the_limit_is_refused_without_inflating_it(tmp_path, capsys, monkeypatch):
    path = workbook(tmp_path / "in.xlsx")
    monkeypatch.setattr(guard, "MAX_PART_BYTES", 100)
    monkeypatch.setattr(guard, "_scan", lambda *a, **k: pytest.fail("inflated"))
    code = main(["assess", str(path), "--year", "2024", "-o", str(tmp_path / "out.xlsx")])
    assert code == 2
    assert "解压后超过 0 MB，可能是恶意构造的压缩包（zip 炸弹），已拒绝读取" in capsys.readouterr().err


def test_parts_that_together_inflate_past_the_total_limit_are_refused(tmp_path, capsys, monkeypatch):
    path = workbook(tmp_path / "in.xlsx")
    monkeypatch.setattr(guard, "MAX_TOTAL_BYTES", 2 * 1024)
    code = main(["assess", str(path), "--year", "2024", "-o", str(tmp_path / "out.xlsx")])
    assert code == 2
    assert capsys.readouterr().err == ("错误：“in.xlsx”解压后的总大小超过 0 MB，可能是恶意构造的压缩包（zip 炸弹），"
                                       "已拒绝读取\n")


def test_an_existing_output_is_left_untouched_when_the_input_is_refused(tmp_path, capsys):
    path, _ = _case("an entity-expansion part", tmp_path)
    (tmp_path / "out.xlsx").write_bytes(b"previous schedule")
    assert main(["assess", str(path), "--year", "2024", "-o", str(tmp_path / "out.xlsx")]) == 2
    assert (tmp_path / "out.xlsx").read_bytes() == b"previous schedule"
