"""Outputs never destroy data (issue 8, item 3): paths checked before anything runs, one atomic writer for every
file, Chinese errors for a read-only folder, a full disk or a folder in the way, no temporary file left behind."""
from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from workbooks import ROOT

from subsidy import atomic
from subsidy.cli import main

EXAMPLE = ROOT / "examples" / "申报汇总表-2024.xlsx"


@pytest.fixture()
def src(tmp_path) -> Path:
    p = tmp_path / "申报.xlsx"
    shutil.copy(EXAMPLE, p)
    return p


def run(capsys, *argv) -> tuple[int, str]:
    code = main([str(a) for a in argv])
    return code, capsys.readouterr().err


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# --------------------------------------------------------------------------- paths refused before anything runs


def test_assess_refuses_to_write_the_schedule_over_its_own_input(src, capsys):
    before = src.read_bytes()
    code, err = run(capsys, "assess", src, "--year", 2024, "-o", src)
    assert code == 2
    assert err == f"错误：-o 的输出文件“{src}”就是输入文件（IN.xlsx），写出会覆盖输入，请换一个文件名\n"
    assert src.read_bytes() == before


def test_assess_refuses_the_input_reached_through_another_spelling_of_its_path(src, capsys, monkeypatch):
    monkeypatch.chdir(src.parent)
    code, err = run(capsys, "assess", src, "--year", 2024, "-o", f"./sub/../{src.name}")
    assert code == 2 and "就是输入文件" in err


def test_assess_refuses_a_json_path_equal_to_the_schedule(src, capsys, tmp_path):
    out = tmp_path / "out.xlsx"
    code, err = run(capsys, "assess", src, "--year", 2024, "-o", out, "--json", out)
    assert code == 2
    assert err == f"错误：-o 与 --json 是同一个文件“{out}”，后写的会覆盖先写的，请分别指定\n"
    assert not out.exists()


def test_assess_refuses_a_json_path_equal_to_the_input(src, capsys, tmp_path):
    code, err = run(capsys, "assess", src, "--year", 2024, "-o", tmp_path / "o.xlsx", "--json", src)
    assert code == 2 and "--json 的输出文件" in err and "就是输入文件（IN.xlsx）" in err


def test_assess_refuses_a_schedule_path_that_is_not_an_xlsx(src, capsys, tmp_path):
    code, err = run(capsys, "assess", src, "--year", 2024, "-o", tmp_path / "x.csv")
    assert code == 2
    assert err == f"错误：-o 的输出文件“{tmp_path / 'x.csv'}”应以 .xlsx 结尾（输出的是 Excel 工作簿）\n"
    assert not (tmp_path / "x.csv").exists()


def test_assess_refuses_to_write_over_the_config_file(src, capsys, tmp_path):
    cfg = tmp_path / "口径.toml"
    cfg.write_text("min_credit_score = 75\n", encoding="utf-8")
    code, err = run(capsys, "assess", src, "--year", 2024, "--config", cfg, "-o", tmp_path / "o.xlsx",
                    "--json", cfg)
    assert code == 2 and "就是输入文件（--config）" in err
    assert cfg.read_text(encoding="utf-8") == "min_credit_score = 75\n"


def test_template_refuses_to_overwrite_an_existing_workbook_without_force(src, capsys):
    before = src.read_bytes()
    code, err = run(capsys, "template", src)
    assert code == 2
    assert err == f"错误：文件“{src}”已存在，未覆盖（确需覆盖请加 --force）\n"
    assert src.read_bytes() == before


def test_template_with_force_replaces_the_file(tmp_path, capsys):
    out = tmp_path / "空白.xlsx"
    out.write_bytes(b"old")
    code, _ = run(capsys, "template", out, "--force")
    assert code == 0 and out.read_bytes()[:2] == b"PK"


def test_audit_refuses_a_report_path_equal_to_the_schedule(src, capsys, tmp_path):
    sched = tmp_path / "s.xlsx"
    assert main(["assess", str(src), "--year", "2024", "-o", str(sched)]) == 0
    capsys.readouterr()
    before = sched.read_bytes()
    code, err = run(capsys, "audit", sched, "--applications", src, "-o", sched)
    assert code == 2 and "就是输入文件（SCHEDULE.xlsx）" in err
    assert sched.read_bytes() == before


def test_check_refuses_a_json_path_equal_to_the_input(src, capsys):
    code, err = run(capsys, "check", src, "--company", "91360203MA0001018A", "--year", 2024, "--json", src)
    assert code == 2 and "就是输入文件（IN.xlsx）" in err


# --------------------------------------------------------------------------- the schedule and JSON together


def test_when_the_json_cannot_be_written_the_old_schedule_and_json_are_both_kept(src, capsys, tmp_path, monkeypatch):
    out, js = tmp_path / "o.xlsx", tmp_path / "o.json"
    out.write_bytes(b"old schedule")
    js.write_text("old json", encoding="utf-8")
    import subsidy.jsonout as jsonout

    def full_disk(*a, **kw):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(jsonout, "_batched", full_disk)
    code, err = run(capsys, "assess", src, "--year", 2024, "-o", out, "--json", js)
    assert code == 2
    assert err == f"错误：无法写入文件 {out}：磁盘空间不足\n" or err == f"错误：无法写入文件 {js}：磁盘空间不足\n"
    assert out.read_bytes() == b"old schedule" and js.read_text(encoding="utf-8") == "old json"
    assert leftovers(tmp_path) == []


def test_when_the_second_file_cannot_be_put_in_place_the_first_is_put_back(tmp_path, monkeypatch):
    a, b = tmp_path / "a.xlsx", tmp_path / "b.json"
    a.write_bytes(b"old a")
    b.write_bytes(b"old b")
    real = os.replace
    failed = []

    def replace(src, dst):
        if Path(dst) == b and not failed:  # the new b.json cannot be put in place (once)
            failed.append(src)
            raise OSError(errno.EIO, "Input/output error")
        return real(src, dst)

    monkeypatch.setattr(atomic.os, "replace", replace)
    with pytest.raises(atomic.OutputError, match=r"无法写入文件 .*b\.json"):
        with atomic.atomic_paths([a, b]) as (ta, tb):
            ta.write_bytes(b"new a")
            tb.write_bytes(b"new b")
    assert (a.read_bytes(), b.read_bytes()) == (b"old a", b"old b")
    assert leftovers(tmp_path) == []


def test_the_schedule_and_json_are_written_with_the_usual_file_mode(src, capsys, tmp_path):
    old = os.umask(0o022)
    try:
        code, _ = run(capsys, "assess", src, "--year", 2024, "-o", tmp_path / "o.xlsx", "--json", tmp_path / "o.json")
    finally:
        os.umask(old)
    assert code == 0
    assert [(tmp_path / n).stat().st_mode & 0o777 for n in ("o.xlsx", "o.json")] == [0o644, 0o644]


# --------------------------------------------------------------------------- failures of the folder or the disk


def test_a_read_only_folder_is_one_chinese_line(src, capsys, tmp_path, monkeypatch):
    def denied(*a, **kw):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(atomic.tempfile, "mkstemp", denied)
    code, err = run(capsys, "assess", src, "--year", 2024, "-o", tmp_path / "o.xlsx")
    assert (code, err) == (2, f"错误：无法写入文件 {tmp_path / 'o.xlsx'}：没有写入权限\n")


def test_an_output_path_that_is_a_folder_is_one_chinese_line(src, capsys, tmp_path):
    (tmp_path / "o.xlsx").mkdir()
    code, err = run(capsys, "assess", src, "--year", 2024, "-o", tmp_path / "o.xlsx")
    assert (code, err) == (2, f"错误：无法写入文件 {tmp_path / 'o.xlsx'}：同名目录已存在\n")


def test_an_output_path_that_is_a_device_is_never_replaced(src, capsys, tmp_path):
    os.mkfifo(tmp_path / "o.xlsx")
    code, err = run(capsys, "assess", src, "--year", 2024, "-o", tmp_path / "o.xlsx")
    assert code == 2 and "不是普通文件" in err


@pytest.fixture()
def tiny_disk(tmp_path):
    """A 16 KB tmpfs (root only, where mount is allowed): the disk really fills up."""
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(mnt)],
                                           capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root): the full disk is simulated in other tests")
    yield mnt
    subprocess.run(["umount", str(mnt)], capture_output=True)


def test_a_full_disk_is_one_chinese_line_without_traceback_and_leaves_nothing(src, tiny_disk):
    exe = Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin" / "subsidy"
    if not exe.exists():
        exe = ROOT / ".venv" / "bin" / "subsidy"
    p = subprocess.run([str(exe), "assess", str(src), "--year", "2024", "-o", str(tiny_disk / "o.xlsx"),
                        "--json", str(tiny_disk / "o.json")], capture_output=True, text=True)
    assert p.returncode == 2
    assert p.stderr.splitlines() == [f"错误：无法写入文件 {tiny_disk / 'o.xlsx'}：磁盘空间不足"]
    assert "Traceback" not in p.stdout + p.stderr
    assert list(tiny_disk.iterdir()) == []


# --------------------------------------------------------------------------- temporary files


def test_a_temporary_file_left_by_a_killed_run_is_removed_by_the_next_run(src, capsys, tmp_path):
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = tmp_path / f".o.xlsx.subsidy-{dead.pid}-abcd1234.tmp"
    stale.write_bytes(b"half a schedule")
    alive = tmp_path / f".o.xlsx.subsidy-{os.getppid()}-efgh5678.tmp"  # a run still going on: left alone
    alive.write_bytes(b"being written")
    code, _ = run(capsys, "assess", src, "--year", 2024, "-o", tmp_path / "o.xlsx")
    assert code == 0
    assert not stale.exists() and alive.exists()


def test_nothing_is_left_behind_in_the_output_folder_after_a_run(src, capsys, tmp_path):
    code, _ = run(capsys, "assess", src, "--year", 2024, "-o", tmp_path / "o.xlsx", "--json", tmp_path / "o.json")
    assert code == 0 and leftovers(tmp_path) == []
    json.loads((tmp_path / "o.json").read_text(encoding="utf-8"))


def test_the_schedules_scratch_files_are_written_beside_it_and_never_left_in_tmpdir(src, capsys, tmp_path,
                                                                                   monkeypatch):
    tmpdir = tmp_path / "tmpdir"
    tmpdir.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmpdir))
    monkeypatch.setattr("tempfile.tempdir", None)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    seen: list[str] = []
    import subsidy.workbook.writer as writer

    real = writer._scratch

    def spy(suffix=""):
        path = real(suffix)
        seen.append(path)
        return path

    monkeypatch.setattr(writer._openpyxl_writer, "create_temporary_file", spy)
    code, _ = run(capsys, "assess", src, "--year", 2024, "-o", out_dir / "o.xlsx")
    assert code == 0 and seen
    assert all(Path(p).parent == out_dir and ".subsidy-" in Path(p).name for p in seen)
    assert list(tmpdir.iterdir()) == [] and leftovers(out_dir) == []
