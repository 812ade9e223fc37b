"""The shipped example: its schedule and JSON are committed, and a fresh run must give the same."""
import json
from pathlib import Path

from subsidy.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_the_committed_example_schedule_is_what_the_tool_produces_today(tmp_path, capsys):
    out, js = tmp_path / "s.xlsx", tmp_path / "s.json"
    assert main(["assess", str(EXAMPLES / "申报汇总表-2024.xlsx"), "--year", "2024", "-o", str(out),
                 "--json", str(js)]) == 0
    capsys.readouterr()
    fresh = json.loads(js.read_text(encoding="utf-8"))
    committed = json.loads((EXAMPLES / "奖励明细表-2024.json").read_text(encoding="utf-8"))
    assert fresh == committed, "regenerate: subsidy assess examples/申报汇总表-2024.xlsx --year 2024 -o … --json …"
    assert out.read_bytes() == (EXAMPLES / "奖励明细表-2024.xlsx").read_bytes()


def test_the_example_touches_every_category_status_and_precondition():
    res = json.loads((EXAMPLES / "奖励明细表-2024.json").read_text(encoding="utf-8"))
    codes = {r["code"] for ln in res["lines"] for r in ln["reasons"]}
    assert {ln["category_code"] for ln in res["lines"]} >= {
        "qual_special", "qual_grade1", "qual_supervision", "qual_design", "luban", "azalea", "provincial_quality",
        "city_quality", "city_safety", "prefab_national", "prefab_provincial", "tech_national", "tech_provincial",
        "standard_national", "standard_provincial", "method_national", "method_provincial", "hq_relocation"}
    assert {ln["status"] for ln in res["lines"]} == {"awarded", "reduced", "ineligible", "pending", "honor_only"}
    assert codes >= {"NOT_REGISTERED_LOCALLY", "BLACKLISTED", "CREDIT_BELOW_MIN", "WAGE_ARREARS", "MAJOR_ACCIDENT",
                     "FRAUD", "MOVED_OUT", "CAP_REDUCED", "UPGRADE_TOP_UP", "OTHER_POLICY_TOP_UP",
                     "OTHER_POLICY_EXCLUDED", "OTHER_POLICY_HIGHER", "SUPERSEDED_BY_HIGHER", "DUPLICATE_CLAIM",
                     "MISSING_LOCAL_TAX", "INVALID_ROW", "UNKNOWN_COMPANY", "INVALID_COMPANY", "HQ_QUALIFICATION"}
    assert len(res["companies"]) >= 12 and res["clawbacks"] and res["issues"]
