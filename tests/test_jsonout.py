"""The JSON presenter (SPEC 5, subsidy.assessment/1), the atomic writes under it, and the terminal summary."""
from __future__ import annotations

import errno
import datetime as dt
import json
import os
import re
import tempfile
from decimal import Decimal

import pytest
from sample_result import big_result, sample_result

from subsidy import atomic
from subsidy.errors import OutputError
from subsidy.jsonout import money_str as fast_money_str
from subsidy.jsonout import to_json, write_json
from subsidy.money import money_str

TWO_DECIMALS = re.compile(r"^-?\d+\.\d{2}$")


@pytest.fixture(scope="module")
def doc():
    return to_json(sample_result())


def test_top_level_keys_follow_the_schema(doc):
    assert list(doc) == ["schema", "policy", "year", "input", "parameters", "notices", "lines", "companies",
                         "deposits", "clawbacks", "totals", "issues"]
    assert doc["schema"] == "subsidy.assessment/1"
    assert doc["policy"] == {"id": "jdz-2023", "number": "景府办字〔2023〕2号",
                             "title": "景德镇市促进建筑业高质量发展的若干措施", "issued": "2023-01-13",
                             "validity": ["2023-01-13", "2028-01-12"]}
    assert doc["year"] == 2024
    assert doc["input"] == {"sha256": sample_result().input_sha256}
    assert doc["parameters"]["tier_upgrade"] == "top_up"


def test_each_record_has_exactly_the_schema_keys(doc):
    assert set(doc["lines"][0]) == {"claim_id", "credit_code", "company_name", "category_code", "category_label",
                                    "measure", "article", "subject", "status", "standard_amount", "entitlement",
                                    "payable", "payers", "reasons", "sheet", "row"}
    assert set(doc["companies"][0]) == {"credit_code", "company_name", "region", "valid", "local_retained_tax",
                                        "paid_in_year", "requested", "entitled", "payable", "capped",
                                        "preconditions"}
    assert set(doc["deposits"][0]) == {"credit_code", "company_name", "project", "settlement_amount",
                                       "credit_score", "rate", "base_deposit", "old_deposit", "deposit", "saving",
                                       "status", "note", "sheet", "row"}
    assert set(doc["clawbacks"][0]) == {"credit_code", "company_name", "category_code", "category_label",
                                        "subject", "reward_year", "paid_on", "amount", "payers", "reason_code",
                                        "message"}
    assert set(doc["totals"]) == {"payable", "by_payer", "by_measure", "by_status", "by_payer_measure", "clawback"}
    assert set(doc["issues"][0]) == {"sheet", "row", "column", "value", "message"}


def test_every_amount_is_a_string_with_exactly_two_decimals(doc):
    amounts = []
    for ln in doc["lines"]:
        amounts += [ln["standard_amount"], ln["entitlement"], ln["payable"], *ln["payers"].values()]
    for c in doc["companies"]:
        amounts += [c["paid_in_year"], c["requested"], c["entitled"], c["payable"]]
    for d in doc["deposits"]:
        amounts += [d[k] for k in ("settlement_amount", "base_deposit", "old_deposit", "deposit", "saving")
                    if d[k] is not None]
    for c in doc["clawbacks"]:
        amounts += [c["amount"], *c["payers"].values()]
    t = doc["totals"]
    amounts += [t["payable"], t["clawback"], *t["by_payer"].values(), *t["by_measure"].values()]
    amounts += [a for ms in t["by_payer_measure"].values() for a in ms.values()]
    assert amounts and all(isinstance(a, str) and TWO_DECIMALS.match(a) for a in amounts)
    assert doc["lines"][0]["payable"] == "500000.00"
    assert doc["totals"]["by_payer"]["市财政"] == "400000.00"
    assert doc["totals"]["by_measure"]["6"] == "583333.33"
    assert doc["totals"]["by_status"] == {"awarded": 5, "reduced": 4, "ineligible": 2, "pending": 1,
                                          "honor_only": 1}


def test_rate_and_score_are_plain_decimal_strings(doc):
    first = doc["deposits"][0]
    assert first["rate"] == "0.0075" and first["credit_score"] == "92" and first["deposit"] == "75000.00"
    assert doc["deposits"][2]["credit_score"] == "79.5"
    pending = doc["deposits"][-1]
    assert pending["status"] == "pending" and pending["rate"] is None and pending["deposit"] is None


def test_nulls_measures_and_reasons_keep_their_types(doc):
    rejected = next(ln for ln in doc["lines"] if ln["status"] == "pending")
    assert rejected["measure"] is None and rejected["reasons"][0]["code"] == "INVALID_ROW"
    assert doc["lines"][0]["measure"] == 6 and doc["lines"][0]["row"] == 2
    moved = next(c for c in doc["companies"] if c["local_retained_tax"] is None)
    assert [p["code"] for p in moved["preconditions"]] == ["MOVED_OUT", "WAGE_ARREARS"]
    assert doc["clawbacks"][0]["paid_on"] == "2023-11-20" and doc["clawbacks"][0]["reward_year"] == 2023


def test_the_fast_money_string_matches_the_money_module():
    values = ("0", "1", "0.005", "-0.005", "1E+5", "123456789.125", "0.015", "66666.666", "-0.00", "0.00", "-0.001",
              "5", "5.00", "5.000", "-5.00")
    for x in values * 2:  # the second time from what money_str remembers
        assert fast_money_str(Decimal(x)) == money_str(Decimal(x)), x
    assert fast_money_str(None) is None


def test_the_compact_encoder_writes_what_the_json_module_writes():
    from subsidy.jsonout import _compact, _default

    rows = [{"a": "景德镇\n\"引号\"", "b": [1, 2.5, None, True, False], "c": {"d": Decimal("0.0075")}},
            "键", 3, {"e": dt.date(2024, 5, 1), "f": float("inf"), "g": []}]
    reference = json.JSONEncoder(ensure_ascii=False, default=_default).encode
    compact = _compact()
    for row in rows:
        assert compact(row) == reference(row)


def test_dash_writes_utf8_json_to_stdout(capsysbinary):
    write_json(sample_result(), "-")
    out = capsysbinary.readouterr().out
    text = out.decode("utf-8")
    assert "景府办字〔2023〕2号" in text  # ensure_ascii=False
    assert text.startswith('{\n  "schema": "subsidy.assessment/1"')  # indent=2
    assert json.loads(text) == json.loads(json.dumps(to_json(sample_result())))


def test_a_file_target_is_written_whole(tmp_path):
    target = tmp_path / "result.json"
    write_json(sample_result(), str(target))
    assert json.loads(target.read_text("utf-8"))["schema"] == "subsidy.assessment/1"
    assert os.listdir(tmp_path) == ["result.json"]


def test_a_missing_directory_is_an_output_error_and_writes_nothing(tmp_path):
    with pytest.raises(OutputError, match="无法写入文件 .*：目录不存在"):
        write_json(sample_result(), str(tmp_path / "nowhere" / "result.json"))
    assert os.listdir(tmp_path) == []


def test_no_permission_is_an_output_error(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(OutputError, match="无法写入文件 .*：没有写入权限"):
        write_json(sample_result(), str(tmp_path / "result.json"))


def test_a_writer_that_fails_leaves_the_old_file_and_no_temp_file(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")

    def half(f):
        f.write(b"half")
        raise ValueError("stop")

    with pytest.raises(ValueError):
        atomic.atomic_write(target, half)
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["out.bin"]


def test_a_full_disk_while_writing_is_an_output_error(tmp_path):
    def full(f):
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OutputError, match="磁盘空间不足"):
        atomic.atomic_write(tmp_path / "out.bin", full)
    assert os.listdir(tmp_path) == []


def test_a_new_file_gets_ordinary_permissions_not_the_temp_files(tmp_path):
    atomic.atomic_write_bytes(tmp_path / "out.bin", b"x")
    mode = (tmp_path / "out.bin").stat().st_mode & 0o777
    assert mode == 0o666 & ~atomic._umask()


def test_every_line_of_a_large_result_is_serialised(tmp_path):
    """Speed is measured by benchmarks/, not here."""
    big = big_result(3_000)
    write_json(big, str(tmp_path / "big.json"))
    assert len(json.loads((tmp_path / "big.json").read_text("utf-8"))["lines"]) == 3_000


def test_the_terminal_summary_names_year_counts_treasuries_total_issues_and_clawbacks():
    from rich.console import Console

    from subsidy.output import print_summary

    console = Console(record=True, width=120, force_terminal=False)
    print_summary(sample_result(), console=console)
    text = console.export_text()
    for expected in ("2024年度", "景府办字〔2023〕2号", "全额核定 5", "核减 4", "待补正 1", "高新区财政", "500,000.00",
                     "核定总额：2,100,000.00 元", "追缴 1 笔，合计 200,000.00 元", "数据问题 2 处", "国家级金奖"):
        assert expected in text, expected


def test_progress_is_silent_for_small_batches_and_off_a_terminal():
    from rich.console import Console

    from subsidy.output import progress

    console = Console(record=True, force_terminal=False)
    with progress(100_000, "核算", console=console) as advance:
        advance()
        advance(10)
    assert console.export_text() == ""
