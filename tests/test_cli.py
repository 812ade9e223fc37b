"""The CLI through its real entry point: help for every command, exit codes, one Chinese line on errors."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from subsidy.cli import app, main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "申报汇总表-2024.xlsx"
EXE = shutil.which("subsidy", path=str(Path(sys.executable).parent)) or "subsidy"


def all_commands(group=app, prefix=()):
    import typer.main

    cmd = typer.main.get_command(group)
    stack = [(prefix, cmd)]
    while stack:
        path, c = stack.pop()
        yield path
        for name, sub in getattr(c, "commands", {}).items():
            stack.append((path + (name,), sub))


@pytest.mark.parametrize("path", sorted(all_commands()), ids=lambda p: " ".join(p) or "subsidy")
def test_every_command_has_chinese_help(path, capsys):
    assert main([*path, "--help"]) == 0
    out = capsys.readouterr().out
    assert "显示本帮助并退出" in out
    assert any("\u4e00" <= ch <= "\u9fff" for ch in out.split("Usage")[-1][:400])


def run_cli(args, capsys):
    code = main([str(a) for a in args])
    cap = capsys.readouterr()
    return code, cap.out, cap.err


BAD_ARGS = [
    pytest.param(["assess"], "错误：缺少参数 IN.xlsx（用 --help 查看用法）", id="assess without a file"),
    pytest.param(["assess", "x.xlsx"], "错误：缺少参数 --year（用 --help 查看用法）", id="assess without a year"),
    pytest.param(["assess", "x.xlsx", "--year", "abc"], "错误：参数 --year 的值“abc”无效，应为整数",
                 id="a year that is not a number"),
    pytest.param(["assess", "x.xlsx", "--year", "1800"], "错误：核定年度“1800”无效（应为 2000–2100 之间的年份）",
                 id="a year out of range"),
    pytest.param(["assess", "x.xlsx", "--year", "2024", "--frob"], "错误：没有这个选项：--frob（用 --help 查看用法）",
                 id="an unknown option"),
    pytest.param(["frob"], "错误：没有这个命令：frob（用 subsidy --help 查看全部命令）", id="an unknown command"),
    pytest.param(["assess", "/nonexistent/申报.xlsx", "--year", "2024"], "错误：找不到申报汇总表：/nonexistent/申报.xlsx",
                 id="a missing input file"),
]


@pytest.mark.parametrize("args, message", BAD_ARGS)
def test_bad_arguments_give_exit_2_and_one_chinese_line(args, message, capsys):
    code, out, err = run_cli(args, capsys)
    assert code == 2
    assert err.strip() == message
    assert "Traceback" not in err + out


def test_a_bad_config_file_gives_exit_2_and_writes_nothing(tmp_path, capsys):
    cfg = tmp_path / "口径.toml"
    cfg.write_text('cap_allocation = "random"\n', encoding="utf-8")
    out = tmp_path / "out.xlsx"
    code, _, err = run_cli(["assess", EXAMPLE, "--year", "2024", "-o", out, "--config", cfg], capsys)
    assert code == 2
    assert err.strip() == "错误：配置项 cap_allocation 的值“random”无效（可选：proportional、priority）"
    assert not out.exists()


def test_an_unwritable_output_gives_exit_2(tmp_path, capsys):
    code, _, err = run_cli(["assess", EXAMPLE, "--year", "2024", "-o", tmp_path / "no" / "out.xlsx"], capsys)
    assert code == 2
    assert err.strip() == f"错误：无法写入文件 {tmp_path / 'no' / 'out.xlsx'}：目录不存在"


def test_assess_the_example_writes_a_schedule_and_json_that_agree(tmp_path, capsys):
    out, js = tmp_path / "奖励明细表.xlsx", tmp_path / "r.json"
    code, stdout, err = run_cli(["assess", EXAMPLE, "--year", "2024", "-o", out, "--json", js], capsys)
    assert code == 0, err
    res = json.loads(js.read_text(encoding="utf-8"))
    wb = load_workbook(out, read_only=True)
    assert wb.sheetnames == ["汇总", "奖励明细", "企业汇总", "出资汇总", "质量保证金", "追缴清单", "数据问题", "口径说明"]
    rows = list(wb["奖励明细"].iter_rows(min_row=2, values_only=True))
    assert len([r for r in rows if r[0]]) == len(res["lines"])
    header = [c for c in next(wb["奖励明细"].iter_rows(max_row=1, values_only=True))]
    paid = header.index("核定金额")
    assert sum(Decimal(str(r[paid])) for r in rows if r[0]) == Decimal(res["totals"]["payable"])
    assert Decimal(res["totals"]["payable"]) == sum(Decimal(c["payable"]) for c in res["companies"])
    assert Decimal(res["totals"]["payable"]) == sum(Decimal(v) for v in res["totals"]["by_payer"].values())
    assert "核定总额" in stdout


def test_json_to_stdout_keeps_the_summary_off_stdout(tmp_path, capsys):
    code, stdout, _ = run_cli(["assess", EXAMPLE, "--year", "2024", "-o", tmp_path / "o.xlsx", "--json", "-"], capsys)
    assert code == 0
    assert json.loads(stdout)["schema"] == "subsidy.assessment/1"


def test_template_assessed_unchanged_gives_no_issues_and_no_lines(tmp_path, capsys):
    tpl = tmp_path / "申报汇总表.xlsx"
    assert run_cli(["template", tpl], capsys)[0] == 0
    wb = load_workbook(tpl)
    assert {"企业", "申报事项", "总部迁入", "质量保证金", "已兑现奖励", "填表说明"} <= set(wb.sheetnames)
    assert wb["申报事项"].data_validations.dataValidation, "奖励类别 has a dropdown"
    js = tmp_path / "r.json"
    assert run_cli(["assess", tpl, "--year", "2024", "-o", tmp_path / "o.xlsx", "--json", js], capsys)[0] == 0
    res = json.loads(js.read_text(encoding="utf-8"))
    assert res["lines"] == [] and res["issues"] == []


def test_the_console_script_reports_a_bad_file_without_traceback(tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a workbook at all")
    p = subprocess.run([EXE, "assess", str(bad), "--year", "2024", "-o", str(tmp_path / "o.xlsx")],
                       capture_output=True, text=True)
    assert p.returncode == 2
    assert len(p.stderr.strip().splitlines()) == 1 and p.stderr.startswith("错误：")
    assert "Traceback" not in p.stderr
    assert not (tmp_path / "o.xlsx").exists()


def test_the_console_script_assesses_the_example(tmp_path):
    p = subprocess.run([EXE, "assess", str(EXAMPLE), "--year", "2024", "-o", str(tmp_path / "o.xlsx"),
                        "--json", str(tmp_path / "o.json")], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert json.loads((tmp_path / "o.json").read_text(encoding="utf-8"))["totals"]["payable"] == "7370000.00"
