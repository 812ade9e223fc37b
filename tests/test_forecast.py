"""Issue 10 item 3: `subsidy forecast` — money already promised to relocated headquarters (第5条), per treasury and
year, from the ledger (and --applications for payouts recorded before the ledger kept the facts)."""
from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from policies import get_pack
from subsidy import forecast as F
from subsidy import ledger as L
from test_ledger import make_ledger, run, write

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
EXAMPLE_JSON = EXAMPLES / "奖励明细表-2024.json"
EXAMPLE_IN = EXAMPLES / "申报汇总表-2024.xlsx"
GANDONG = "91360200MA0001034L"  # 赣东建设工程有限公司: 高新区, recognised 2023-06-01, 2024 = k 2, 800,000.00
ZHONGGAN = "91360200MA0001093P"  # 中赣建设集团景德镇有限公司: 昌南新区, recognised 2024-03-01, 2024 = k 1, 1,250,000.00
CHENGTOU = "91360200MA00010697"  # 景德镇城投建设有限公司: 施工总承包二级, not 第5条


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def example_ledger(request, tmp_path) -> str:
    """A ledger with the shipped example's 2024 payouts recorded."""
    url = make_ledger(request.param, tmp_path)
    L.record(url, EXAMPLE_JSON, approved_by="张三", paid_on=dt.date(2025, 1, 15), today=dt.date(2025, 3, 1))
    return url


def forecast_json(url: str, tmp_path: Path, capsys, *extra) -> tuple[dict, str]:
    code, out, err = run("forecast", "--ledger", url, "--from", "2025", "-o", tmp_path / "预测.xlsx",
                         "--json", tmp_path / "预测.json", *extra, capsys=capsys)
    assert code == 0, err
    return json.loads((tmp_path / "预测.json").read_text(encoding="utf-8")), out


def years_of(doc: dict, code: str) -> list[tuple]:
    [c] = [c for c in doc["companies"] if c["credit_code"] == code]
    return [(y["year"], y["reward_year_index"], y["rate"], y["contribution"], y["amount"], y["payers"])
            for y in c["years"]]


def test_forecast_after_recording_the_examples_2024_payouts_lists_each_hqs_remaining_years_per_treasury(
        example_ledger, tmp_path, capsys):
    doc, out = forecast_json(example_ledger, tmp_path, capsys)
    assert doc["schema"] == "subsidy.forecast/1" and doc["from"] == 2025 and doc["to"] == 2028
    # by hand: 赣东 was recognised 2023-06-01 and paid k = 2 for 2024 on 800,000.00 of contribution; k = 3, 4, 5
    # are 2025–2027 at 50% = 400,000.00, half 市财政 and half 高新区财政 (city_share 0.5)
    half = {"市财政": "200000.00", "高新区财政": "200000.00"}
    assert years_of(doc, GANDONG) == [(2025, 3, "0.50", "800000.00", "400000.00", half),
                                      (2026, 4, "0.50", "800000.00", "400000.00", half),
                                      (2027, 5, "0.50", "800000.00", "400000.00", half)]
    # 中赣 recognised 2024-03-01: 2025 is k = 2 at 100%, 2026–2028 at 50%
    assert [(y, k, a) for y, k, _, _, a, _ in years_of(doc, ZHONGGAN)] == [
        (2025, 2, "1250000.00"), (2026, 3, "625000.00"), (2027, 4, "625000.00"), (2028, 5, "625000.00")]
    assert [(y["year"], y["total"], y["by_payer"]) for y in doc["years"]] == [
        (2025, "1650000.00", {"高新区财政": "200000.00", "昌南新区财政": "625000.00", "市财政": "825000.00"}),
        (2026, "1025000.00", {"高新区财政": "200000.00", "昌南新区财政": "312500.00", "市财政": "512500.00"}),
        (2027, "1025000.00", {"高新区财政": "200000.00", "昌南新区财政": "312500.00", "市财政": "512500.00"}),
        (2028, "625000.00", {"高新区财政": "0.00", "昌南新区财政": "312500.00", "市财政": "312500.00"})]
    assert doc["total"] == "4325000.00"
    assert doc["by_payer"] == {"高新区财政": "600000.00", "昌南新区财政": "1562500.00", "市财政": "2162500.00"}
    assert [c["company_name"] for c in doc["years"][0]["companies"]] == ["赣东建设工程有限公司", "中赣建设集团景德镇有限公司"]
    assert doc["missing"] == [] and doc["receivable"] == {"total": "0.00", "by_payer": {}, "clawbacks": []}
    assert "合计已承诺 4,325,000.00 元（未计封顶：以后年度的地方留成税收未知）。" in out


def test_every_total_reconciles_years_treasuries_and_companies(example_ledger, tmp_path, capsys):
    doc, _ = forecast_json(example_ledger, tmp_path, capsys, "--growth", "3.7%")
    total = Decimal(doc["total"])
    assert sum(Decimal(y["total"]) for y in doc["years"]) == total
    assert sum(Decimal(v) for v in doc["by_payer"].values()) == total
    assert sum(Decimal(c["total"]) for c in doc["companies"]) == total
    for y in doc["years"]:
        assert sum(Decimal(v) for v in y["by_payer"].values()) == Decimal(y["total"])
        assert sum(Decimal(c["amount"]) for c in y["companies"]) == Decimal(y["total"])


def test_growth_compounds_per_year_from_the_latest_contribution_and_is_rounded_to_the_fen_once_a_year(
        example_ledger, tmp_path, capsys):
    doc, _ = forecast_json(example_ledger, tmp_path, capsys, "--growth", "5%")
    # 中赣: 1,250,000.00 of 2024; 2027 is three years on: 1,250,000 × 1.05³ = 1,447,031.25, at 50% 723,515.625 → .63
    row = [y for y in years_of(doc, ZHONGGAN) if y[0] == 2027][0]
    assert row[3:5] == ("1447031.25", "723515.63")
    assert row[5] == {"市财政": "361757.82", "昌南新区财政": "361757.81"}
    assert doc["growth"] == "0.05" and doc["growth_form"] == "compound"


@pytest.mark.parametrize("text,value", [("0.05", "0.05"), ("5%", "0.05"), ("-2%", "-0.02"), ("0", "0"), ("100%", "1")])
def test_growth_is_a_fraction_or_a_percentage(text, value):
    assert F.parse_growth(text) == Decimal(value)


@pytest.mark.parametrize("text,message", [
    ("abc", "--growth 的值“abc”不是增长率（应写 0.05 或 5%，负数表示下降）"),
    ("-100%", "--growth 的值“-100%”超出范围：年增长率应大于 -100%、不超过 100%"),
    ("1.5", "--growth 的值“1.5”超出范围：年增长率应大于 -100%、不超过 100%"),
])
def test_a_bad_growth_is_one_chinese_line(example_ledger, tmp_path, capsys, text, message):
    code, _, err = run("forecast", "--ledger", example_ledger, "--from", "2025", "-o", tmp_path / "f.xlsx",
                       "--growth", text, capsys=capsys)
    assert (code, err.strip()) == (2, "错误：" + message)


def test_years_after_the_policy_follow_hq_after_expiry(example_ledger, tmp_path, capsys):
    cfg = tmp_path / "stop.toml"
    cfg.write_text('hq_after_expiry = "stop"\nvalidity = ["2023-01-13", "2026-01-12"]\n', encoding="utf-8")
    doc, out = forecast_json(example_ledger, tmp_path, capsys, "--config", cfg)
    assert [y for y, *_ in years_of(doc, GANDONG)] == [2025, 2026]
    assert [y for y, *_ in years_of(doc, ZHONGGAN)] == [2025, 2026]
    [c] = [c for c in doc["companies"] if c["credit_code"] == GANDONG]
    assert c["notes"] == ["2027年度不计入：按口径“政策到期后的总部迁入奖励：停止兑现”，本措施有效期至 2026-01-12，2027 年度不再兑现"]
    assert "注意：赣东建设工程有限公司（91360200MA0001034L）：2027年度不计入" in out


def test_city_share_of_the_config_in_force_splits_the_promise(example_ledger, tmp_path, capsys):
    cfg = tmp_path / "share.toml"
    cfg.write_text('[city_share]\n"高新区" = 0.3\n', encoding="utf-8")
    doc, _ = forecast_json(example_ledger, tmp_path, capsys, "--config", cfg)
    assert years_of(doc, GANDONG)[0][5] == {"市财政": "120000.00", "高新区财政": "280000.00"}


def _without_hq_facts(path: Path) -> dict:
    data = json.loads(path.read_text(encoding="utf-8"))
    out = copy.deepcopy(data)
    for ln in out["lines"]:
        ln.pop("hq", None)
    return out


def test_payouts_recorded_before_the_ledger_kept_the_facts_are_named_with_why_when_no_applications_are_given(
        tmp_path, capsys):
    url = make_ledger("sqlite", tmp_path)
    L.record(url, write(tmp_path, "old.json", _without_hq_facts(EXAMPLE_JSON)), approved_by="张三",
             paid_on=dt.date(2025, 1, 15), today=dt.date(2025, 3, 1))
    doc, out = forecast_json(url, tmp_path, capsys)
    why = ("账本中该企业 2024 年度的总部迁入兑现是在账本记录落户认定日期和地方财政贡献之前记账（或导入）的，"
           "请用 --applications 给出含该企业“总部迁入”行的申报汇总表：无法预测其以后年度的奖励")
    assert doc["missing"] == [{"credit_code": GANDONG, "company_name": "赣东建设工程有限公司", "reason": why},
                              {"credit_code": ZHONGGAN, "company_name": "中赣建设集团景德镇有限公司", "reason": why}]
    assert doc["total"] == "0.00" and doc["years"] == []
    assert f"未计入预测：赣东建设工程有限公司（{GANDONG}）：{why}" in out
    wb = load_workbook(tmp_path / "预测.xlsx")
    assert [r[2] for r in wb["未计入预测"].iter_rows(min_row=2, values_only=True)] == [why, why]


def test_payouts_recorded_before_take_the_recognition_date_and_contribution_from_the_applications(tmp_path, capsys):
    url = make_ledger("sqlite", tmp_path)
    L.record(url, write(tmp_path, "old.json", _without_hq_facts(EXAMPLE_JSON)), approved_by="张三",
             paid_on=dt.date(2025, 1, 15), today=dt.date(2025, 3, 1))
    doc, _ = forecast_json(url, tmp_path, capsys, "--applications", EXAMPLE_IN)
    assert doc["total"] == "4325000.00"
    [c] = [c for c in doc["companies"] if c["credit_code"] == GANDONG]
    assert (c["source"], c["base_year"], c["recognised_on"], c["paid_years"]) == ("申报汇总表", 2024, "2023-06-01", [2024])
    # 城投 has a 总部迁入 row but a 二级 qualification: not promised, and said so
    assert [(m["credit_code"], m["reason"]) for m in doc["missing"]] == [(CHENGTOU, (
        "申报汇总表中的迁入方式“总部迁入”、资质等级“施工总承包二级”不符合第5条（施工总承包一级（甲级）及以上资质企业将总部"
        "迁入或设立独立法人子公司），账本中也没有兑现：不计入预测"))]
    assert doc["applications"]["year"] == 2024


def test_open_clawbacks_are_money_receivable_per_treasury_and_stop_the_companys_future_years(
        example_ledger, tmp_path, capsys):
    from subsidy import params
    from subsidy.models import Company

    pack = get_pack()
    gandong = Company(credit_code=GANDONG, name="赣东建设工程有限公司", region="高新区", fraud=True)
    dues = L.clawbacks_due(example_ledger, [gandong], pack=pack, params=params.defaults(pack))
    L.record_clawbacks(example_ledger, dues, decided_by="李四", decided_on=dt.date(2025, 2, 1))
    doc, out = forecast_json(example_ledger, tmp_path, capsys)
    # everything 赣东 was paid comes back: 省级装配式建筑产业基地 500,000.00 and 总部迁入 800,000.00, each half and half
    assert doc["receivable"]["total"] == "1300000.00"
    assert doc["receivable"]["by_payer"] == {"高新区财政": "650000.00", "市财政": "650000.00"}
    assert [c["credit_code"] for c in doc["companies"]] == [ZHONGGAN]
    assert doc["missing"][0]["reason"] == "账本中已登记该企业的追缴（外迁或弄虚作假）：以后年度不再兑现，不计入预测"
    assert "应收追缴（未缴回）2 笔，合计 1,300,000.00 元：高新区财政 650,000.00；市财政 650,000.00。" in out


def test_a_reversed_hq_payout_is_not_taken_as_paid(example_ledger, tmp_path, capsys):
    [p] = [p for p in L.payouts(example_ledger) if p.credit_code == GANDONG and p.category == "hq_relocation"]
    L.reverse(example_ledger, p.id, reason="不应兑现", approved_by="李四")
    doc, _ = forecast_json(example_ledger, tmp_path, capsys)
    assert [c["credit_code"] for c in doc["companies"]] == [ZHONGGAN]


def test_the_forecast_workbook_prints_a4_landscape_with_headers_repeated_page_numbers_and_charts(
        example_ledger, tmp_path, capsys):
    forecast_json(example_ledger, tmp_path, capsys)
    wb = load_workbook(tmp_path / "预测.xlsx")
    assert wb.sheetnames == ["汇总", "按年度和出资财政", "企业明细", "未计入预测", "应收追缴", "口径说明",
                             "图表-各年度合计", "图表-各出资财政"]
    for name in wb.sheetnames[:6]:
        ws = wb[name]
        assert (ws.page_setup.paperSize, ws.page_setup.orientation) == (9, "landscape"), name
        assert ws.oddFooter.center.text == "第 &P 页 共 &N 页", name
        if name != "汇总":
            assert ws.print_title_rows.replace("$", "") == "1:1", name
    ws = wb["按年度和出资财政"]
    assert [c.value for c in ws[1]] == ["年度", "高新区财政（元）", "昌南新区财政（元）", "市财政（元）", "合计（元）"]
    assert ws["E2"].value == 1650000 and ws["E2"].number_format == "#,##0.00"
    detail = wb["企业明细"]
    assert all(detail.row_dimensions[r].height for r in range(1, detail.max_row + 1))
    for name in ("图表-各年度合计", "图表-各出资财政"):
        [chart] = wb[name]._charts
        assert chart.title is not None and chart.x_axis.title is not None and chart.y_axis.title is not None
        assert chart.dataLabels is not None and chart.dataLabels.showVal


def test_forecast_refuses_an_output_that_would_replace_its_input(example_ledger, tmp_path, capsys):
    import shutil

    app = tmp_path / "申报.xlsx"
    shutil.copy(EXAMPLE_IN, app)
    before = app.read_bytes()
    code, _, err = run("forecast", "--ledger", example_ledger, "--from", "2025", "-o", app, "--applications", app,
                       capsys=capsys)
    assert code == 2 and err.startswith("错误：") and "--applications" in err
    assert app.read_bytes() == before


def test_forecast_on_an_empty_ledger_says_nothing_is_promised(tmp_path, capsys):
    url = make_ledger("sqlite", tmp_path)
    doc, out = forecast_json(url, tmp_path, capsys)
    assert (doc["total"], doc["years"], doc["companies"]) == ("0.00", [], [])
    assert "没有待兑现的总部迁入奖励。" in out
