"""`subsidy compare` (issue 10): one batch under two sets of 口径, and a sweep of one numeric parameter.

Each side must be exactly what `subsidy assess` gives with that 口径, and the comparison must reconcile to the fen.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from policies import get_pack
from subsidy import compare as C
from subsidy import engine, params
from subsidy.cli import main
from subsidy.workbook.reader import read_workbook

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "申报汇总表-2024.xlsx"
PACK = get_pack("jdz-2023")
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PDFTOTEXT = shutil.which("pdftotext")


@pytest.fixture(scope="module")
def batch():
    return read_workbook(EXAMPLE, pack=PACK)


def toml(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def run(args, capsys) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def assess_json(tmp_path: Path, capsys, *extra) -> dict:
    out = tmp_path / f"assess-{len(list(tmp_path.iterdir()))}.json"
    code, _, err = run(["assess", EXAMPLE, "--year", "2024", "-o", out.with_suffix(".xlsx"), "--json", out, *extra],
                       capsys)
    assert code == 0, err
    return json.loads(out.read_text(encoding="utf-8"))


def compare_json(tmp_path: Path, capsys, *extra) -> dict:
    out = tmp_path / "比较.json"
    code, _, err = run(["compare", EXAMPLE, "--year", "2024", "-o", tmp_path / "比较.xlsx", "--json", out, *extra],
                       capsys)
    assert code == 0, err
    return json.loads(out.read_text(encoding="utf-8"))


def same_money(side: dict, totals: dict) -> None:
    """A side of the comparison is the assessment's total and treasuries to the fen (0.00 where one pays nothing)."""
    assert side["total"] == totals["payable"]
    assert {k: v for k, v in side["by_payer"].items() if Decimal(v)} == totals["by_payer"]


# --------------------------------------------------------------------------- each side is `subsidy assess`


@pytest.mark.parametrize("alternative", [
    pytest.param("min_credit_score = 75\n", id="credit threshold 75 (the issue's case)"),
    pytest.param("min_credit_score = 90\n", id="credit threshold 90 (money moves)"),
    pytest.param('tier_upgrade = "full"\nhistory_scope = "all"\n', id="upgrades in full, all history"),
    pytest.param('[city_share]\n"昌南新区" = 0.2\n"高新区" = 1\n', id="city share of two districts"),
])
def test_compare_on_the_example_equals_two_assess_runs_to_the_fen_in_total_and_per_treasury(
        tmp_path, capsys, alternative):
    alt = toml(tmp_path, "alt.toml", alternative)
    base = assess_json(tmp_path, capsys)
    other = assess_json(tmp_path, capsys, "--config", alt)
    c = compare_json(tmp_path, capsys, "--config", alt)
    same_money(c["base"], base["totals"])
    same_money(c["alternative"], other["totals"])
    assert c["base"]["config"] == base["parameters"]
    assert c["alternative"]["config"] == other["parameters"]
    assert c["difference"]["total"] == f"{Decimal(other['totals']['payable']) - Decimal(base['totals']['payable']):.2f}"
    assert c["base"]["clawback"] == base["totals"]["clawback"]
    assert c["alternative"]["clawback"] == other["totals"]["clawback"]


def test_with_min_credit_score_75_the_example_costs_the_same_and_with_90_two_million_less(tmp_path, capsys):
    # leping's score is exactly 75: 不低于 75 still pays. These numbers are quoted in the README.
    c75 = compare_json(tmp_path, capsys, "--config", toml(tmp_path, "a.toml", "min_credit_score = 75\n"))
    assert (c75["base"]["total"], c75["alternative"]["total"], c75["lines"]) == ("7370000.00", "7370000.00", [])
    c90 = compare_json(tmp_path, capsys, "--config", toml(tmp_path, "b.toml", "min_credit_score = 90\n"))
    assert (c90["alternative"]["total"], c90["difference"]["total"]) == ("5350000.00", "-2020000.00")
    assert c90["difference"]["by_payer"] == {
        "珠山区财政": "-500000.00", "昌江区财政": "-100000.00", "浮梁县财政": "0.00", "乐平市财政": "-120000.00",
        "高新区财政": "-650000.00", "昌南新区财政": "0.00", "市财政": "-650000.00"}


def test_the_base_can_be_a_config_file_too(tmp_path, capsys):
    b = toml(tmp_path, "base.toml", "min_credit_score = 80\n")
    a = toml(tmp_path, "alt.toml", "min_credit_score = 85\n")
    c = compare_json(tmp_path, capsys, "--base", b, "--config", a)
    same_money(c["base"], assess_json(tmp_path, capsys, "--config", b)["totals"])
    same_money(c["alternative"], assess_json(tmp_path, capsys, "--config", a)["totals"])
    assert c["changed_parameters"] == ["min_credit_score"]
    assert c["base"]["config_file"] == str(b)


def test_compare_reads_history_from_the_ledger_like_assess(tmp_path, capsys):
    from test_ledger import make_ledger

    url = make_ledger("sqlite", tmp_path)
    first = tmp_path / "first.json"
    assert main(["assess", str(EXAMPLE), "--year", "2024", "-o", str(tmp_path / "f.xlsx"), "--json", str(first)]) == 0
    assert main(["ledger", "record", str(first), "--ledger", url, "--approved-by", "张三",
                 "--paid-on", "2025-01-15"]) == 0
    capsys.readouterr()
    alt = toml(tmp_path, "alt.toml", "min_credit_score = 85\n")
    c = compare_json(tmp_path, capsys, "--config", alt, "--ledger", url)
    same_money(c["base"], assess_json(tmp_path, capsys, "--ledger", url)["totals"])
    same_money(c["alternative"], assess_json(tmp_path, capsys, "--config", alt, "--ledger", url)["totals"])
    assert Decimal(c["base"]["total"]) < Decimal("7370000.00")  # the recorded payouts count: the ledger was read


# --------------------------------------------------------------------------- the comparison reconciles


def check_reconciles(c: C.Comparison) -> None:
    assert sum(c.difference_by_payer.values()) == c.difference_total
    assert sum(c.difference_by_measure.values()) == c.difference_total
    assert sum(x.difference for x in c.lines) == c.difference_total
    assert sum(x.difference for x in c.companies) == c.difference_total
    assert sum(x.base for x in c.companies) == c.base.total
    assert sum(x.alternative for x in c.companies) == c.alternative.total
    for t in c.treasuries:  # the lines listed carry every fen that moves between treasuries
        moved = sum(x.alternative_payers.get(t, 0) - x.base_payers.get(t, 0) for x in c.lines)
        assert moved == c.difference_by_payer[t]
    assert sum(c.base.by_payer.values()) == c.base.total
    assert sum(c.alternative.by_payer.values()) == c.alternative.total


def test_the_lines_listed_are_exactly_those_whose_payable_status_or_treasury_split_differ(batch):
    base = params.defaults(PACK)
    alt = params.apply(base, {"min_credit_score": 85, "city_share": {"昌南新区": Decimal("0.3")}}, PACK)
    c = C.compare(batch, year=2024, pack=PACK, base=base, alternative=alt)
    b = engine.assess(batch, year=2024, pack=PACK, params=base)
    a = engine.assess(batch, year=2024, pack=PACK, params=alt)
    expected = {x.claim_id for x, y in zip(b.lines, a.lines)
                if (x.payable, x.status, x.payers) != (y.payable, y.status, y.payers)}
    assert {x.claim_id for x in c.lines} == expected
    assert any(x.base_payable == x.alternative_payable for x in c.lines)  # a split-only change is listed too
    assert any(x.base_status != x.alternative_status for x in c.lines)
    for x in c.lines:
        y = next(ln for ln in a.lines if ln.claim_id == x.claim_id)
        assert (x.alternative_payable, x.alternative_status, x.alternative_reasons) == (y.payable, y.status, y.reasons)
    check_reconciles(c)


def test_identical_configs_give_zero_difference_and_no_lines(batch, tmp_path, capsys):
    prm = params.defaults(PACK)
    c = C.compare(batch, year=2024, pack=PACK, base=prm, alternative=prm)
    assert c.difference_total == 0 and not c.lines and not c.changed_parameters
    assert set(c.difference_by_payer.values()) == {Decimal("0.00")}
    same = toml(tmp_path, "same.toml", "min_credit_score = 70\n")  # the default, written down
    code, out, _ = run(["compare", EXAMPLE, "--year", "2024", "--config", same, "-o", tmp_path / "c.xlsx"], capsys)
    assert code == 0
    assert "两种口径相同：差额为 0。" in out and "金额或状态变化的申报 0 条，金额变化的企业 0 家" in out


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(score=st.integers(min_value=55, max_value=100),
       share=st.decimals(min_value=0, max_value=1, places=2),
       region=st.sampled_from(["珠山区", "昌江区", "浮梁县", "乐平市", "高新区", "昌南新区"]),
       full=st.booleans(), priority=st.booleans())
def test_any_two_sets_of_kou_jing_reconcile_to_the_fen(batch, score, share, region, full, priority):
    base = params.defaults(PACK)
    alt = params.apply(base, {"min_credit_score": score, "city_share": {region: share},
                              "tier_upgrade": "full" if full else "top_up",
                              "cap_allocation": "priority" if priority else "proportional"}, PACK)
    c = C.compare(batch, year=2024, pack=PACK, base=base, alternative=alt)
    check_reconciles(c)
    r = engine.assess(batch, year=2024, pack=PACK, params=alt)
    assert c.alternative.total == r.totals.payable
    assert {k: v for k, v in c.alternative.by_payer.items() if v} == r.totals.by_payer


# --------------------------------------------------------------------------- sweep


def test_a_sweep_of_seven_values_runs_and_each_row_equals_an_assess_with_that_value(tmp_path, capsys):
    s = compare_json(tmp_path, capsys, "--sweep", "min_credit_score=60:90:5")
    assert s["schema"] == "subsidy.sweep/1"
    assert [r["value"] for r in s["rows"]] == ["60", "65", "70", "75", "80", "85", "90"]
    totals = []
    for row in s["rows"]:
        one = assess_json(tmp_path, capsys, "--config", toml(tmp_path, "v.toml", f"min_credit_score = {row['value']}\n"))
        same_money(row, one["totals"])
        assert row["difference"] == f"{Decimal(one['totals']['payable']) - Decimal(s['base']['total']):.2f}"
        totals.append(row["total"])
    assert len(set(totals)) > 2  # the threshold moves money on the example: the test can tell rows apart


def test_a_sweep_value_overrides_the_same_parameter_of_config_and_keeps_the_others(tmp_path, capsys):
    alt = toml(tmp_path, "alt.toml", 'min_credit_score = 95\ntier_upgrade = "full"\n')
    s = compare_json(tmp_path, capsys, "--config", alt, "--sweep", "min_credit_score=80:85:5")
    for row in s["rows"]:
        one = assess_json(tmp_path, capsys, "--config", toml(
            tmp_path, "v.toml", f'min_credit_score = {row["value"]}\ntier_upgrade = "full"\n'))
        same_money(row, one["totals"])
    assert s["start"]["config"]["tier_upgrade"] == "full"
    assert s["base"]["config"]["tier_upgrade"] == "top_up"


def test_a_city_share_sweep_moves_money_between_treasuries_and_keeps_the_total(batch):
    spec = C.parse_sweep("city_share=0:1:0.25", PACK)
    prm = params.defaults(PACK)
    sw = C.sweep(batch, year=2024, pack=PACK, base=prm, start=prm, spec=spec)
    assert {r.total for r in sw.rows} == {sw.base.total}
    assert len({r.by_payer["市财政"] for r in sw.rows}) == 5
    for r in sw.rows:
        one = engine.assess(batch, year=2024, pack=PACK, params=params.apply(
            prm, {"city_share": {x: r.value for x in PACK.regions if x != "市本级"}}, PACK))
        assert {k: v for k, v in r.by_payer.items() if v} == one.totals.by_payer
        assert (r.changed_lines == 0) == (r.value == Decimal("0.5"))  # 0.5 is the default share


def test_decimal_steps_are_exact_with_no_float_drift():
    assert C.parse_sweep("city_share=0.1:0.9:0.1", PACK).values == tuple(
        Decimal(f"0.{i}") for i in range(1, 10))
    assert [str(v) for v in C.parse_sweep("min_credit_score=60:61:0.25", PACK).values] == [
        "60.00", "60.25", "60.50", "60.75", "61.00"]
    assert [str(v) for v in C.parse_sweep("city_share.珠山区=0.3:0.7:0.2", PACK).values] == ["0.3", "0.5", "0.7"]
    assert C.parse_sweep("min_credit_score=60:70:7", PACK).values == (Decimal(60), Decimal(67))  # never past TO


def test_two_hundred_values_are_allowed_and_the_parameter_may_be_named_in_chinese():
    assert len(C.parse_sweep("min_credit_score=-99:100:1", PACK).values) == 200
    assert C.parse_sweep("信用评价分下限＝60：90：10", PACK).key == "min_credit_score"  # full-width signs too


def test_more_than_200_values_are_refused_naming_the_count(tmp_path, capsys):
    code, _, err = run(["compare", EXAMPLE, "--year", "2024", "--sweep", "min_credit_score=0:100:0.5",
                        "-o", tmp_path / "c.xlsx"], capsys)
    assert code == 2
    assert err == ("错误：--sweep 共有 201 个取值，超过上限 200 个（每个取值都要重新核定一遍），"
                   "请加大步长或缩小范围\n")
    assert not (tmp_path / "c.xlsx").exists()


# --------------------------------------------------------------------------- errors: one Chinese line, exit 2


BAD = [
    pytest.param(["--sweep", "min_credit_score"],
                 "错误：--sweep 的写法“min_credit_score”有误，应为 参数=起:止:步长，如 min_credit_score=60:90:5",
                 id="sweep without a range"),
    pytest.param(["--sweep", "min_credit_score=60:90"],
                 "错误：--sweep 的写法“min_credit_score=60:90”有误，应为 参数=起:止:步长，如 min_credit_score=60:90:5",
                 id="sweep without a step"),
    pytest.param(["--sweep", "frob=1:2:1"],
                 "错误：--sweep 中没有这个口径参数：“frob”（可扫描：min_credit_score、city_share、city_share.区县名）",
                 id="unknown parameter"),
    pytest.param(["--sweep", "tier_upgrade=1:2:1"],
                 "错误：口径参数 升级奖励兑现方式（tier_upgrade）不是数值，不能扫描；可扫描：min_credit_score"
                 "（信用评价分下限）、city_share（全部区县的市财政承担比例）、city_share.区县名（如 city_share.珠山区）",
                 id="a parameter that is not a number"),
    pytest.param(["--sweep", "min_credit_score=6O:90:5"],
                 "错误：--sweep 的起值“6O”不是数字（应为 参数=起:止:步长，如 min_credit_score=60:90:5）",
                 id="a value that is not a number"),
    pytest.param(["--sweep", "min_credit_score=60:90:0"], "错误：--sweep 的步长“0”应大于 0", id="zero step"),
    pytest.param(["--sweep", "min_credit_score=90:60:5"], "错误：--sweep 的止值 60 小于起值 90", id="backwards"),
    pytest.param(["--sweep", "min_credit_score=60:120:5"],
                 "错误：--sweep 的止值 120 超出信用评价分下限的范围（不超过 100）", id="score above 100"),
    pytest.param(["--sweep", "city_share=0.5:1.5:0.5"],
                 "错误：--sweep 的止值 1.5 超出受益财政中市财政承担比例（全部区县）的范围（0 到 1）",
                 id="share above 1"),
    pytest.param(["--sweep", "city_share.市本级=0:1:0.5"],
                 "错误：--sweep 不能扫描 city_share.市本级：市本级企业的受益财政就是市财政，该比例只能为 1",
                 id="the city's own share"),
    pytest.param(["--sweep", "city_share.南昌=0:1:0.5"],
                 "错误：--sweep 的注册地“南昌”不是本市的区县（可用：珠山区、昌江区、浮梁县、乐平市、高新区、昌南新区）",
                 id="a region outside the city"),
    pytest.param([], "错误：缺少备选口径：请用 --config 给出备选口径的配置文件，或用 --sweep 扫描一个参数",
                 id="neither config nor sweep"),
]


@pytest.mark.parametrize("extra, message", BAD)
def test_a_bad_argument_is_one_chinese_line_and_exit_2(tmp_path, capsys, extra, message):
    code, out, err = run(["compare", EXAMPLE, "--year", "2024", "-o", tmp_path / "c.xlsx", *extra], capsys)
    assert (code, err) == (2, message + "\n")
    assert not (tmp_path / "c.xlsx").exists()


def test_an_output_that_would_overwrite_an_input_or_the_other_output_is_refused(tmp_path, capsys):
    src = tmp_path / "申报.xlsx"
    src.write_bytes(EXAMPLE.read_bytes())
    alt = toml(tmp_path, "alt.toml", "min_credit_score = 80\n")
    ledger = tmp_path / "ledger.db"
    ledger.write_bytes(b"")
    before = src.read_bytes()
    c = tmp_path / "c.xlsx"
    cases = [
        (["-o", src], f"错误：-o 的输出文件“{src}”就是输入文件（IN.xlsx），写出会覆盖输入，请换一个文件名"),
        (["-o", c, "--json", src], f"错误：--json 的输出文件“{src}”就是输入文件（IN.xlsx），写出会覆盖输入，请换一个文件名"),
        (["-o", c, "--json", alt], f"错误：--json 的输出文件“{alt}”就是输入文件（--config），写出会覆盖输入，请换一个文件名"),
        (["-o", c, "--json", ledger, "--ledger", f"sqlite:///{ledger}"],
         f"错误：--json 的输出文件“{ledger}”就是输入文件（--ledger），写出会覆盖输入，请换一个文件名"),
        (["-o", c, "--json", c], f"错误：-o 与 --json 是同一个文件“{c}”，后写的会覆盖先写的，请分别指定"),
        (["-o", tmp_path / "c.pdf"], f"错误：-o 的输出文件“{tmp_path / 'c.pdf'}”应以 .xlsx 结尾（输出的是 Excel 工作簿）"),
    ]
    for extra, message in cases:
        code, _, err = run(["compare", src, "--year", "2024", "--config", alt, *extra], capsys)
        assert (code, err) == (2, message + "\n")
    assert src.read_bytes() == before and alt.read_text(encoding="utf-8") == "min_credit_score = 80\n"
    assert ledger.read_bytes() == b"" and not c.exists()


def test_the_workbook_and_the_json_appear_together_or_not_at_all(tmp_path, capsys):
    c = tmp_path / "c.xlsx"
    code, _, err = run(["compare", EXAMPLE, "--year", "2024", "--config",
                        toml(tmp_path, "a.toml", "min_credit_score = 80\n"), "-o", c,
                        "--json", tmp_path / "没有这个目录" / "c.json"], capsys)
    assert code == 2 and err.startswith("错误：无法写入文件") and err.count("\n") == 1
    assert not c.exists()


# --------------------------------------------------------------------------- outputs


MONEY = r"-?\d+\.\d{2}"


def test_the_json_has_the_comparison_schema_shape(tmp_path, capsys):
    c = compare_json(tmp_path, capsys, "--config", toml(tmp_path, "a.toml", "min_credit_score = 85\n"))
    assert list(c)[:8] == ["schema", "policy", "year", "input", "notices", "base", "alternative", "difference"]
    assert (c["schema"], c["year"]) == ("subsidy.comparison/1", 2024)
    for side in ("base", "alternative"):
        assert {"config", "total", "by_payer"} <= set(c[side])
        assert c[side]["config"]["min_credit_score"] == {"base": "70", "alternative": "85"}[side]
        assert list(c[side]["by_payer"]) == list(c["difference"]["by_payer"])
    assert list(c["difference"]["by_payer"]) == sorted(c["difference"]["by_payer"], key=PACK.treasury_rank)
    assert {"total", "by_payer"} <= set(c["difference"])
    assert c["lines"]
    for ln in c["lines"]:
        assert {"claim_id", "credit_code", "base_payable", "alternative_payable", "difference", "base_status",
                "alternative_status"} <= set(ln)
        assert ln["base_reasons"] or ln["alternative_reasons"]
    money = [c[s]["total"] for s in ("base", "alternative", "difference")]
    money += [v for s in ("base", "alternative", "difference") for v in c[s]["by_payer"].values()]
    money += [ln[k] for ln in c["lines"] for k in ("base_payable", "alternative_payable", "difference")]
    assert all(isinstance(m, str) and re.fullmatch(MONEY, m) for m in money)


def test_notices_of_the_run_are_carried_like_assess_does(tmp_path, capsys):
    from openpyxl import load_workbook as load

    wb = load(EXAMPLE)
    del wb["已兑现奖励"]  # without history (and without a ledger) repeat payments could not be checked
    src = tmp_path / "无已兑现.xlsx"
    wb.save(src)
    one = tmp_path / "a.json"
    assert main(["assess", str(src), "--year", "2024", "-o", str(tmp_path / "a.xlsx"), "--json", str(one)]) == 0
    expected = json.loads(one.read_text(encoding="utf-8"))["notices"]
    assert [n["code"] for n in expected] == ["ABSENT_SHEET", "NO_HISTORY"]
    out = tmp_path / "c.json"
    code, text, _ = run(["compare", src, "--year", "2024", "--config", toml(tmp_path, "x.toml", "min_credit_score = 80\n"),
                         "-o", tmp_path / "c.xlsx", "--json", out], capsys)
    assert code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["notices"] == expected
    flat = "".join(text.split())
    assert all(f"注意：{n['message']}".replace(" ", "") in flat for n in expected)
    summary = [r for r in load(tmp_path / "c.xlsx")["汇总"].iter_rows(values_only=True) if r[0] == "注意"]
    assert [r[1] for r in summary] == [n["message"] for n in expected]


def test_json_to_stdout_keeps_the_terminal_summary_off_stdout(tmp_path, capsys):
    code, out, err = run(["compare", EXAMPLE, "--year", "2024", "--config",
                          toml(tmp_path, "a.toml", "min_credit_score = 85\n"), "-o", tmp_path / "c.xlsx",
                          "--json", "-"], capsys)
    assert code == 0
    assert json.loads(out)["schema"] == "subsidy.comparison/1"
    assert "口径比较" in err


def test_the_comparison_workbook_is_print_ready_with_a_chart_per_treasury(tmp_path, capsys):
    out = tmp_path / "比较.xlsx"
    code, _, err = run(["compare", EXAMPLE, "--year", "2024", "--config",
                        toml(tmp_path, "a.toml", "min_credit_score = 90\n"), "-o", out], capsys)
    assert code == 0, err
    wb = load_workbook(out)
    assert wb.sheetnames == ["汇总", "按出资财政", "按条款", "按企业", "变化明细", "口径对照", "图表-出资财政", "图表-差额"]
    ws = wb["按出资财政"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("出资财政", "基准口径（元）", "备选口径（元）", "差额（元）")
    assert rows[-1] == ("合计", 7370000, 5350000, -2020000)
    assert [r[0] for r in rows[1:-1]] == sorted((r[0] for r in rows[1:-1]), key=PACK.treasury_rank)
    assert ws["B2"].number_format == "#,##0.00" and isinstance(ws["B2"].value, (int, float))
    for name in ("按出资财政", "按条款", "按企业", "变化明细", "口径对照"):
        s = wb[name]
        assert s.page_setup.orientation == "landscape" and s.page_setup.paperSize == 9
        assert s.print_title_rows == "$1:$1"
        assert s.oddFooter.center.text == "第 &P 页 共 &N 页"
        assert all(c.font.sz >= 9 for row in s.iter_rows() for c in row if c.value is not None)
    diff = wb["口径对照"]
    changed = [r for r in diff.iter_rows(min_row=2, values_only=True) if r[3] == "不同"]
    assert changed == [("信用评价分下限（min_credit_score）", "70 分", "90 分", "不同", changed[0][4])]
    for name in ("图表-出资财政", "图表-差额"):
        chart = wb[name]._charts[0]
        assert chart.title is not None and chart.x_axis.title is not None and chart.y_axis.title is not None
    assert wb["汇总"]["A1"].value == "口径比较表"


def test_the_sweep_workbook_has_one_row_per_value_and_line_charts(tmp_path, capsys):
    out = tmp_path / "扫描.xlsx"
    code, _, err = run(["compare", EXAMPLE, "--year", "2024", "--sweep", "city_share=0.1:0.3:0.1", "-o", out],
                       capsys)
    assert code == 0, err
    wb = load_workbook(out)
    assert wb.sheetnames == ["汇总", "逐值结果", "口径", "图表-核定总额", "图表-各出资财政"]
    rows = list(wb["逐值结果"].iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == [0.1, 0.2, 0.3, "基准口径"]
    assert wb["逐值结果"]["A2"].number_format == "0.0"
    assert type(wb["图表-核定总额"]._charts[0]).__name__ == "LineChart"


def test_the_terminal_summary_fits_80_columns(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = run(["compare", EXAMPLE, "--year", "2024", "--config",
                        toml(tmp_path, "a.toml", "min_credit_score = 90\n"), "-o", tmp_path / "c.xlsx"], capsys)
    assert code == 0
    assert max(len(line.encode("gbk")) for line in out.splitlines()) <= 80  # GBK: a Chinese character is 2 wide
    assert "合计          7,370,000.00  5,350,000.00  -2,020,000.00" in out


def test_text_that_looks_like_a_formula_stays_text_in_the_workbook(tmp_path):
    from openpyxl import Workbook

    from subsidy.workbook.comparison import Sheet

    wb = Workbook()
    s = Sheet(wb, "表", (20, 20), ("企业", "金额"), first=True)
    s.append(["=HYPERLINK(\"http://x\")", Decimal("1.50")], money=(2,))
    wb.save(tmp_path / "t.xlsx")
    ws = load_workbook(tmp_path / "t.xlsx")["表"]
    assert (ws["A2"].value, ws["A2"].data_type) == ("=HYPERLINK(\"http://x\")", "s")
    assert (ws["B2"].value, ws["B2"].number_format) == (1.5, "#,##0.00")


@pytest.mark.skipif(not (SOFFICE and PDFTOTEXT), reason="LibreOffice 或 pdftotext 未安装")
def test_libreoffice_prints_the_comparison_with_its_totals_and_page_numbers(tmp_path, capsys):
    out = tmp_path / "比较.xlsx"
    assert main(["compare", str(EXAMPLE), "--year", "2024", "--config",
                 str(toml(tmp_path, "a.toml", "min_credit_score = 90\n")), "-o", str(out)]) == 0
    capsys.readouterr()
    p = subprocess.run([SOFFICE, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo-profile",
                        "--convert-to", "pdf", "--outdir", str(tmp_path), str(out)],
                       capture_output=True, text=True, timeout=240)
    pdf = tmp_path / "比较.pdf"
    assert pdf.exists(), p.stderr
    text = subprocess.run([PDFTOTEXT, "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "口径比较表" in text and "7,370,000.00" in text and "5,350,000.00" in text and "-2,020,000.00" in text
    pages = [int(n) for n in re.findall(r"第 (\d+) 页 共 \d+ 页", text)]
    assert pages == list(range(1, len(pages) + 1)) and f"共 {len(pages)} 页" in text
    assert len(pages) >= 8  # six tables and two chart pages, each on its own page
    assert "2024 年度各出资财政的差额" in text  # the chart sheet printed its title (the PDF spaces the year)
