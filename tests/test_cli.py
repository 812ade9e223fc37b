"""The CLI through its real entry point: help for every command, exit codes, one Chinese line on errors."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from subsidy.cli import command, main, zh

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "申报汇总表-2024.xlsx"
EXE = shutil.which("subsidy", path=str(Path(sys.executable).parent)) or "subsidy"


def all_commands():
    """Every command and group of the CLI, walked from the click tree the CLI runs: a new command is covered."""
    return [path for path, _cmd in zh.walk(command())]


#: ASCII words --help may show besides option names, metavars and command names (taken from the tree itself):
#: file formats and products a clerk must type or recognise, the ledger's environment variable and URL forms,
#: policy ids and the TOML keys of 口径 files
FORMAT_WORDS = {"JSON", "TOML", "xlsx", "SQLite", "PostgreSQL", "SQLAlchemy", "URL", "SUBSIDY_LEDGER",
                "sqlite:///ledger.db", "postgresql+psycopg", "subsidy", "SHA-256"}
_ASCII_WORD = re.compile(r"(?<![\w-])-{0,2}[A-Za-z][\w.+:/|@*-]*")


def help_allowlist() -> set[str]:
    from policies import PACKS, get_pack
    from subsidy.params import KEYS

    allowed = set(FORMAT_WORDS) | set(PACKS) | set(KEYS)
    allowed |= {f"city_share.{r}" for r in get_pack().regions}  # one district's share (compare --sweep)
    for path, cmd in zh.walk(command()):
        allowed.update(path)
        for p in cmd.params + [cmd.get_help_option(command().make_context("subsidy", [], resilient_parsing=True))]:
            allowed.update(p.opts)
            allowed.update(p.secondary_opts)
            if p.metavar:
                allowed.update(re.split(r"[|\s]", p.metavar))
    return {w for w in allowed if w}


def english_words(text: str, allowed: set[str]) -> list[str]:
    return [w for w in (t.rstrip(".:/") for t in _ASCII_WORD.findall(text)) if w not in allowed]


def help_text(path, capsys, monkeypatch) -> str:
    monkeypatch.setenv("COLUMNS", "80")
    assert main([*path, "--help"]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("path", all_commands(), ids=lambda p: " ".join(p) or "subsidy")
def test_every_command_and_group_has_help_in_chinese_from_the_first_word(path, capsys, monkeypatch):
    out = help_text(path, capsys, monkeypatch)
    assert out.strip().startswith(f"用法：{' '.join(('subsidy',) + path)} [选项]")
    assert "显示本帮助并退出" in out
    assert english_words(out, help_allowlist()) == []
    for tag in ("<", ">", "{", "}", "[[", "Usage", "OPTIONS", "TEXT", "INTEGER", "…\n"):
        assert tag not in out, tag


def test_the_help_check_catches_english(capsys, monkeypatch):
    """The checker itself: English words and type tags are found, the allowed names pass."""
    allowed = help_allowlist()
    assert english_words("用法：subsidy assess [选项] IN.xlsx --year 年度 URL", allowed) == []
    assert english_words("Usage: subsidy [OPTIONS] <int> TEXT Show this message", allowed) == [
        "Usage", "OPTIONS", "int", "TEXT", "Show", "this", "message"]


def test_usage_lines_name_arguments_without_braces_and_optional_ones_in_brackets(capsys, monkeypatch):
    assert help_text(["assess"], capsys, monkeypatch).strip().startswith("用法：subsidy assess [选项] IN.xlsx")
    assert help_text(["audit"], capsys, monkeypatch).strip().startswith("用法：subsidy audit [选项] [SCHEDULE.xlsx]")
    assert help_text([], capsys, monkeypatch).strip().startswith("用法：subsidy [选项] 命令 [参数]…")


def test_help_at_80_columns_folds_long_chinese_text_instead_of_cutting_it(capsys, monkeypatch):
    out = help_text(["assess"], capsys, monkeypatch)
    flat = re.sub(r"[\s│]", "", out)
    assert "奖励明细表输出路径（默认：输入文件名-奖励明细表-年度.xlsx）" in flat
    assert "…" not in out.replace("[参数]…", "")


def run_cli(args, capsys):
    code = main([str(a) for a in args])
    cap = capsys.readouterr()
    return code, cap.out, cap.err


BAD_ARGS = [
    pytest.param(["assess"], "错误：缺少参数 IN.xlsx（用 subsidy assess --help 查看用法）", id="assess without a file"),
    pytest.param(["assess", "x.xlsx"], "错误：缺少参数 --year（用 subsidy assess --help 查看用法）", id="assess without a year"),
    pytest.param(["assess", "x.xlsx", "--year", "abc"], "错误：参数 --year 的值“abc”无效，应为整数",
                 id="a year that is not a number"),
    pytest.param(["assess", "x.xlsx", "--year", "1800"], "错误：核定年度“1800”无效（应为 2000–2100 之间的年份）",
                 id="a year out of range"),
    pytest.param(["assess", "x.xlsx", "--year", "2024", "--frob"],
                 "错误：没有这个选项“--frob”（用 subsidy assess --help 查看用法）", id="an unknown option"),
    pytest.param(["assess", "x.xlsx", "--yaer", "2024"], "错误：没有这个选项“--yaer”，是否要用“--year”？",
                 id="a mistyped option"),
    pytest.param(["frob"], "错误：没有这个命令“frob”（用 subsidy --help 查看用法）", id="an unknown command"),
    pytest.param(["asses"], "错误：没有这个命令“asses”，是否要用“assess”？", id="a mistyped command"),
    pytest.param(["ledger", "recrod"], "错误：没有这个命令“recrod”，是否要用“record”？", id="a mistyped subcommand"),
    pytest.param(["ledger", "frob"], "错误：没有这个命令“frob”（用 subsidy ledger --help 查看用法）",
                 id="an unknown subcommand"),
    pytest.param(["assess", "x.xlsx", "--year"], "错误：选项 --year 需要一个值", id="an option without its value"),
    pytest.param(["assess", "x.xlsx", "y.xlsx", "--year", "2024"],
                 "错误：多余的参数：y.xlsx（用 subsidy assess --help 查看用法）", id="an extra argument"),
    pytest.param(["deposit", "--json=yes", "--amount", "1"], "错误：选项 --json 不带值", id="a flag given a value"),
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
    # the process ends without the interpreter's teardown (cli.exit_now): what it printed still arrives whole,
    # and nothing but the two outputs is left in the folder (openpyxl's scratch files are removed)
    assert p.stdout.rstrip().endswith(f"JSON：{tmp_path / 'o.json'}")
    assert sorted(f.name for f in tmp_path.iterdir()) == ["o.json", "o.xlsx"]


def test_the_fast_exit_still_runs_the_exit_handlers_and_flushes_what_was_printed(tmp_path):
    script = ("import atexit, sys\n"
              "from subsidy import cli\n"
              "atexit.register(lambda: open(sys.argv[1], 'w').write('ran'))\n"
              "sys.stdout.write('printed, not yet flushed')\n"
              "cli.exit_now(3)\n")
    p = subprocess.run([sys.executable, "-c", script, str(tmp_path / "handler")], capture_output=True, text=True)
    assert p.returncode == 3
    assert p.stdout == "printed, not yet flushed"
    assert (tmp_path / "handler").read_text() == "ran"


TOML_ERRORS = [
    pytest.param("cap_allocation = priority\n",
                 "第1行第18列：值无效（文字须加英文引号，如 cap_allocation = \"priority\"；数字和日期不加引号）",
                 id="an unquoted word"),
    pytest.param("min_credit_score = 70 75\n", "第1行第23列：一项配置之后应换行（一行只能写一项）", id="two values"),
    pytest.param("[city_share]\n珠山区 = 0.3\n",
                 "第2行第1列：无法识别的语句（每行应为 名称 = 值，或 [表名]；含中文的名称须加引号，如 \"珠山区\" = 0.3）",
                 id="an unquoted Chinese key"),
    pytest.param('cap_allocation = "priority\n', "第1行第27列：字符串缺少结尾的引号（字符串不能跨行）",
                 id="an unterminated string"),
    pytest.param("min_credit_score = 70\nmin_credit_score = 75\n", "第2行第22列：同一配置项写了两次", id="a key twice"),
    pytest.param("min_credit_score =", "第1行第19列：值无效（文字须加英文引号，如 cap_allocation = \"priority\"；数字和日期不加引号）",
                 id="a value missing at the end of the file"),
    pytest.param("[city_share\n", "第1行第12列：表名之后缺少“]”", id="an unclosed table name"),
]


@pytest.mark.parametrize("text, where_and_why", TOML_ERRORS)
def test_a_bad_toml_is_explained_in_chinese_with_line_and_column(text, where_and_why, tmp_path, capsys):
    cfg = tmp_path / "口径.toml"
    cfg.write_text(text, encoding="utf-8")
    code, out, err = run_cli(["policy", "--config", cfg], capsys)
    assert code == 2 and out == ""
    assert err == f"错误：配置文件 {cfg} {where_and_why}\n"


def test_every_tomllib_message_has_a_chinese_translation():
    """Messages tomllib can raise (from its source) all match an entry; none falls through to 格式有误."""
    from subsidy.tomlerrors import translate

    english = ["Invalid statement", "Expected newline or end of document after a statement", "Expected ']'",
               "Found invalid character '\\x01'", "Cannot declare ('a',) twice", "Cannot overwrite a value",
               "Expected ']' at the end of a table declaration", "Cannot mutate immutable namespace ('a',)",
               "Expected ']]' at the end of an array declaration", "Cannot redefine namespace ('a',)",
               "Expected '=' after a key in a key/value pair", "Invalid initial character for a key part",
               "Unclosed array", "Duplicate inline table key 'a'", "Unclosed inline table",
               "Unescaped '\\' in a string", "Invalid hex value", "Escaped character is not a Unicode scalar value",
               "Unterminated string", "Illegal character '\\n'", "Illegal character '\\x00'",
               "Invalid date or datetime", "Invalid value"]
    for msg in english:
        zh_text = translate(msg)
        assert zh_text != "格式有误" and not re.search(r"[A-Za-z]{4,}", zh_text.replace("cap_allocation", "")
                                                        .replace("priority", "")), msg
    assert translate("Something new") == "格式有误"


def test_typers_help_module_is_loaded_only_for_help_and_then_speaks_chinese():
    # typer.rich_utils (a sixth of the start-up) is imported when help is first drawn, and worded in Chinese then
    script = ("import sys\n"
              "from subsidy.cli import main\n"
              "main(['policy'])\n"
              "print('loaded before help:', 'typer.rich_utils' in sys.modules)\n"
              "main(['assess', '--help'])\n")
    p = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                       env={**os.environ, "COLUMNS": "80"})
    assert p.returncode == 0, p.stderr
    assert "loaded before help: False" in p.stdout
    help_text = p.stdout.split("loaded before help: False", 1)[1]
    assert "用法：subsidy assess" in help_text and "选项" in help_text and "Options" not in help_text


def test_a_batch_too_large_to_sum_exactly_is_one_chinese_line_naming_its_rows(tmp_path, capsys):
    """100 总部迁入 rows of 10^15 元 (the reader's largest amount: digits typed twice): refused by name, exit 2."""
    from factory import cli_run, code
    wb = load_workbook(EXAMPLE)
    companies, hq = wb["企业"], wb["总部迁入"]
    company_heads, hq_heads = [c.value for c in companies[1]], [c.value for c in hq[1]]
    for k in range(100):
        firm = code(500 + k)
        values = {"统一社会信用代码": firm, "企业名称": f"测试企业{k}", "注册地": "珠山区", "信用评价分": 90,
                  "地方留成税收(元)": 10 ** 15}
        companies.append([values.get(h) for h in company_heads])
        values = {"申报编号": f"HQ-9{k:03d}", "统一社会信用代码": firm, "迁入方式": "总部迁入", "资质等级": "施工总承包一级",
                  "落户认定日期": "2023-06-01", "地方财政贡献(元)": 10 ** 15}
        hq.append([values.get(h) for h in hq_heads])
    wb.save(tmp_path / "huge.xlsx")
    code_, out, err = cli_run(["assess", str(tmp_path / "huge.xlsx"), "--year", "2024", "-o",
                               str(tmp_path / "out.xlsx")], capsys)
    assert code_ == 2 and out == "" and "Traceback" not in err and not (tmp_path / "out.xlsx").exists()
    assert err.startswith("错误：申报金额合计 ") and "“总部迁入”表第5行 1,000,000,000,000,000.00 元" in err
    assert err.rstrip().endswith("请检查金额是否多写了位数") and err.count("\n") == 1
