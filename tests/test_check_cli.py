"""`subsidy check` through the CLI entry point (and once through the real console script) on the example workbook."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from factory import cli_run as run

ROOT = Path(__file__).resolve().parents[1]
EXE = Path(sys.executable).parent / "subsidy"
CIDUO = "91360203MA0001018A"  # 景德镇瓷都建设集团有限公司 in examples/make_example.py
CHANGJIANG = "91360202MA0001026N"  # 景德镇昌江建工有限公司: its cap binds


def test_check_explains_every_claim_of_the_company_and_gives_computed_advice(example, capsys):
    rc, out, err = run(["check", example, "--company", CIDUO, "--year", "2024"], capsys)
    assert rc == 0 and err == ""
    assert "企业自查结果" in out and "景德镇瓷都建设集团有限公司" in out
    for claim_id in ("2024-001", "2024-002", "2024-003", "2024-004", "2024-005", "2024-006", "2024-029"):
        assert claim_id in out
    assert "✓ 满足 注册地在本市行政区域内" in out
    assert "第6条：同一项目获多项荣誉奖励的按最高荣誉奖励" in out
    assert "核定合计：1,100,000.00 元" in out
    assert "建议" in out and "若在 2028-01-12 前获批施工总承包特级资质，按就高不重复补差可再得 500,000.00 元" in out


def test_check_lists_gains_first_and_notes_apart_with_no_gain_of_zero(example, capsys):
    rc, out, _ = run(["check", example, "--company", CIDUO, "--year", "2024"], capsys)
    gains = out[out.index("建议：可多得或少缴的金额"):out.index("提示")]
    notes = out[out.index("提示"):]
    assert "【500,000.00 元】" in gains and "【0.00 元】" not in out
    assert "申报编号 2024-002（杜鹃花奖“瓷都大厦”）增加奖励 0 元" in notes


def test_check_json_is_the_assessment_schema_for_that_company_plus_advice(example, capsys):
    rc, out, err = run(["check", example, "--company", CHANGJIANG, "--year", "2024", "--json", "-"], capsys)
    assert rc == 0
    data = json.loads(out)
    assert data["schema"] == "subsidy.assessment/1"
    assert {ln["credit_code"] for ln in data["lines"]} == {CHANGJIANG}
    assert [c["credit_code"] for c in data["companies"]] == [CHANGJIANG]
    assert data["companies"][0]["capped"] is True
    assert data["totals"]["payable"] == "100000.00"
    cap = [a for a in data["advice"] if a["code"] == "CAP_BINDS"]
    assert cap and cap[0]["amount"] == "670000.00"
    assert all(set(a) == {"code", "message", "amount"} for a in data["advice"])
    assert all(p["passed"] for p in data["preconditions"])
    assert "企业自查结果" in err  # the report goes to stderr when JSON takes stdout


def test_check_json_to_a_file(example, tmp_path, capsys):
    target = tmp_path / "check.json"
    rc, out, _ = run(["check", example, "-c", CIDUO, "-y", "2024", "--json", target], capsys)
    assert rc == 0 and f"JSON：{target}" in out
    assert json.loads(target.read_text(encoding="utf-8"))["company"] == CIDUO


def test_check_finds_the_company_by_its_name_too(example, capsys):
    rc, out, _ = run(["check", example, "--company", "景德镇昌江建工有限公司", "--year", "2024"], capsys)
    assert rc == 0 and "封顶生效：核减 670,000.00 元" in out


def test_every_valid_company_of_the_example_gets_at_least_one_piece_of_computed_advice(example, capsys):
    from policies import get_pack
    from subsidy.selfcheck import check_workbook
    from subsidy.workbook.reader import read_workbook

    for c in read_workbook(example, pack=get_pack()).companies:
        sc = check_workbook(example, c.credit_code, year=2024)
        assert any(a.amount is not None for a in sc.advice), c.name
        assert len(sc.claims) == len(sc.result.lines)


def test_an_unknown_company_is_one_chinese_line_and_exit_2(example, capsys):
    rc, out, err = run(["check", example, "--company", "91360203MA0009999X", "--year", "2024"], capsys)
    assert rc == 2 and out == ""
    assert err == "错误：申报汇总表中没有统一社会信用代码（或企业名称）为“91360203MA0009999X”的企业（企业表共 17 家企业）\n"


def test_check_without_company_is_a_usage_error(example, capsys):
    rc, _, err = run(["check", example, "--year", "2024"], capsys)
    assert rc == 2 and err == "错误：缺少参数 --company（用 subsidy check --help 查看用法）\n"


def test_check_with_a_bad_year_is_refused(example, capsys):
    rc, _, err = run(["check", example, "--company", CIDUO, "--year", "1800"], capsys)
    assert rc == 2 and err == "错误：核定年度“1800”无效（应为 2000–2100 之间的年份）\n"


def test_check_on_a_missing_file_says_so(capsys):
    rc, _, err = run(["check", "/nonexistent/申报.xlsx", "--company", CIDUO, "--year", "2024"], capsys)
    assert rc == 2 and err == "错误：找不到申报汇总表：/nonexistent/申报.xlsx\n"


def test_check_with_a_bad_config_is_refused(example, tmp_path, capsys):
    cfg = tmp_path / "口径.toml"
    cfg.write_text("frob = 1\n", encoding="utf-8")
    rc, _, err = run(["check", example, "--company", CIDUO, "--year", "2024", "--config", cfg], capsys)
    assert rc == 2 and err.startswith("错误：配置文件中有未知的配置项“frob”")


def test_check_honours_the_config_min_credit_score(example, tmp_path, capsys):
    cfg = tmp_path / "口径.toml"
    cfg.write_text("min_credit_score = 90\n", encoding="utf-8")
    rc, out, _ = run(["check", example, "--company", CHANGJIANG, "--year", "2024", "--config", cfg], capsys)
    assert rc == 0 and "✗ 不满足 信用评价分不低于 90 分" in out and "核定合计：0.00 元" in out


def test_the_real_console_script_runs_check(example):
    p = subprocess.run([str(EXE), "check", str(example), "--company", CIDUO, "--year", "2024", "--json", "-"],
                       capture_output=True, text=True, encoding="utf-8", timeout=120)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["totals"]["payable"] == "1100000.00"
    p = subprocess.run([str(EXE), "check", str(example), "--company", "nobody", "--year", "2024"],
                       capture_output=True, text=True, encoding="utf-8", timeout=120)
    assert p.returncode == 2 and p.stderr.startswith("错误：申报汇总表中没有") and "Traceback" not in p.stderr
