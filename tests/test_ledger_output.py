"""Files the ledger writes (issue 8): `ledger export`, `ledger clawback -o` and the ledger audit go through
subsidy.atomic — ordinary permissions, one Chinese line for a read-only folder, a full disk or a folder in the way,
and no temporary file left behind, beside the target or in TMPDIR.

A real read-only folder and a real full disk need a mount (tmpfs) when the tests run as root, whom permission bits
do not stop; where mounting is not allowed those tests are skipped, and the full disk is also simulated."""
from __future__ import annotations

import contextlib
import errno
import gc
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from factory import code
from subsidy.workbook.schema import SHEETS
from test_ledger import make_ledger, ln, rec, result, run
from workbooks import workbook_bytes

A = code(101)
HEADERS = {s.name: [c.header for c in s.columns] for s in SHEETS}


@pytest.fixture
def url(tmp_path) -> str:
    u = make_ledger("sqlite", tmp_path)
    rec(u, tmp_path, result(2023, *[ln(f"A-{i}", "method_national", 50000, subject=f"工法{i}") for i in range(40)]))
    return u


@pytest.fixture
def fraud_app(tmp_path) -> Path:
    row = {"统一社会信用代码": A, "企业名称": "甲", "注册地": "珠山区", "弄虚作假": "是"}
    p = tmp_path / "app.xlsx"
    p.write_bytes(workbook_bytes({"企业": [HEADERS["企业"], [row.get(h) for h in HEADERS["企业"]]]}))
    return p


@pytest.fixture
def own_tmpdir(tmp_path, monkeypatch) -> Path:
    """TMPDIR for this test alone, to see that nothing is left there."""
    d = tmp_path / "TMPDIR"
    d.mkdir()
    monkeypatch.setenv("TMPDIR", str(d))
    monkeypatch.setattr(tempfile, "tempdir", str(d))
    return d


@contextlib.contextmanager
def tmpfs(where: Path, options: str):
    where.mkdir()
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("需要 root 才能挂载 tmpfs")
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True)
    if p.returncode != 0:
        pytest.skip("本机不允许挂载 tmpfs")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=True)


@contextlib.contextmanager
def read_only_folder(tmp_path: Path):
    where = tmp_path / "只读"
    if os.geteuid() != 0:  # permission bits stop everyone but root
        where.mkdir()
        where.chmod(0o555)
        try:
            yield where
        finally:
            where.chmod(0o755)
    else:
        with tmpfs(where, "ro,size=64k") as d:
            yield d


def commands(url: str, app: Path, target: Path) -> dict[str, list]:
    return {
        "ledger export": ["ledger", "export", "-o", target, "--ledger", url],
        "ledger clawback -o": ["ledger", "clawback", "--applications", app, "-o", target, "--ledger", url],
        "audit --ledger -o": ["audit", "--ledger", url, "-o", target],
    }


COMMANDS = ["ledger export", "ledger clawback -o", "audit --ledger -o"]


@pytest.mark.parametrize("command", COMMANDS)
def test_a_new_file_gets_ordinary_permissions_subject_to_the_umask(url, fraud_app, tmp_path, capsys, command):
    old = os.umask(0o022)
    try:
        run(*commands(url, fraud_app, tmp_path / "a.xlsx")[command], capsys=capsys)
        os.umask(0o077)
        run(*commands(url, fraud_app, tmp_path / "b.xlsx")[command], capsys=capsys)
    finally:
        os.umask(old)
    assert (tmp_path / "a.xlsx").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "b.xlsx").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("command", COMMANDS)
def test_a_read_only_folder_is_one_chinese_line_and_leaves_nothing(url, fraud_app, tmp_path, own_tmpdir, capsys,
                                                                  command):
    with read_only_folder(tmp_path) as d:
        target = d / "out.xlsx"
        rc, out, err = run(*commands(url, fraud_app, target)[command], capsys=capsys)
        assert os.listdir(d) == []
    assert rc == 2 and err == f"错误：无法写入文件 {target}：没有写入权限\n"
    assert os.listdir(own_tmpdir) == []


@pytest.mark.parametrize("command", COMMANDS)
def test_a_full_disk_is_one_chinese_line_without_a_traceback_and_leaves_nothing(url, fraud_app, tmp_path, own_tmpdir,
                                                                               capsys, command):
    with tmpfs(tmp_path / "满", "size=4k") as d:
        target = d / "out.xlsx"
        rc, out, err = run(*commands(url, fraud_app, target)[command], capsys=capsys)
        gc.collect()  # a half-written zip left to the collector would print its traceback now
        err += capsys.readouterr().err
        assert os.listdir(d) == []
    assert rc == 2 and err == f"错误：无法写入文件 {target}：磁盘空间不足\n"
    assert os.listdir(own_tmpdir) == []


@pytest.mark.parametrize("command", COMMANDS)
def test_a_disk_that_fills_up_while_writing_keeps_the_previous_file(url, fraud_app, tmp_path, own_tmpdir, capsys,
                                                                   monkeypatch, command):
    """The same without a mount: the disk fills up as the file is flushed to it (fsync reports ENOSPC)."""
    target = tmp_path / "out" / "out.xlsx"
    target.parent.mkdir()
    target.write_bytes(b"previous")

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    rc, out, err = run(*commands(url, fraud_app, target)[command], capsys=capsys)
    gc.collect()
    err += capsys.readouterr().err
    assert rc == 2 and err == f"错误：无法写入文件 {target}：磁盘空间不足\n"
    assert target.read_bytes() == b"previous" and os.listdir(target.parent) == ["out.xlsx"]
    assert os.listdir(own_tmpdir) == []


@pytest.mark.parametrize("command", COMMANDS)
def test_a_folder_in_the_way_is_one_chinese_line(url, fraud_app, tmp_path, capsys, command):
    target = tmp_path / "已是文件夹.xlsx"
    target.mkdir()
    rc, out, err = run(*commands(url, fraud_app, target)[command], capsys=capsys)
    assert rc == 2 and err == f"错误：无法写入文件 {target}：同名目录已存在\n"
    assert os.listdir(target) == []


@pytest.mark.parametrize("command", COMMANDS)
def test_a_missing_folder_is_one_chinese_line(url, fraud_app, tmp_path, capsys, command):
    target = tmp_path / "没有" / "out.xlsx"
    rc, out, err = run(*commands(url, fraud_app, target)[command], capsys=capsys)
    assert rc == 2 and err == f"错误：无法写入文件 {target}：目录不存在\n"


def test_the_clawback_list_never_replaces_the_applications_it_read(url, fraud_app, tmp_path, capsys):
    before = fraud_app.read_bytes()
    rc, out, err = run("ledger", "clawback", "--applications", fraud_app, "-o", fraud_app, "--ledger", url,
                       capsys=capsys)
    assert (rc, out) == (2, "")
    assert err == f"错误：--output 的输出文件“{fraud_app}”就是输入文件（--applications），写出会覆盖输入，请换一个文件名\n"
    assert fraud_app.read_bytes() == before


def test_an_export_never_replaces_the_ledger_file(tmp_path, capsys):
    f = tmp_path / "账本.xlsx"  # an SQLite ledger, oddly named
    url = f"sqlite:///{f}"
    assert run("ledger", "init", "--ledger", url, capsys=capsys)[0] == 0
    before = f.read_bytes()
    rc, out, err = run("ledger", "export", "-o", f, "--ledger", url, capsys=capsys)
    assert (rc, out) == (2, "")
    assert err == f"错误：--output 的输出文件“{f}”就是输入文件（--ledger），写出会覆盖输入，请换一个文件名\n"
    assert f.read_bytes() == before


def test_an_export_that_is_not_xlsx_is_refused(url, tmp_path, capsys):
    rc, out, err = run("ledger", "export", "-o", tmp_path / "x.csv", "--ledger", url, capsys=capsys)
    assert (rc, out, err) == (2, "", f"错误：--output 的输出文件“{tmp_path / 'x.csv'}”应以 .xlsx 结尾（输出的是 Excel 工作簿）\n")
    assert not (tmp_path / "x.csv").exists()
