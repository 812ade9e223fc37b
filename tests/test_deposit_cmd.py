"""`subsidy deposit`: 第18条 for one project, the worked examples of SPEC 6."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest

from subsidy.cli import main


def deposit_json(capsys, *args):
    rc = main(["deposit", *args, "--json"])
    cap = capsys.readouterr()
    assert rc == 0, cap.err
    return json.loads(cap.out)


@pytest.mark.parametrize("score, rate, deposit", [
    ("92", "0.0075", "75000.00"),
    ("85", "0.0105", "105000.00"),
    ("80", "0.0105", "105000.00"),
    ("79.5", "0.015", "150000.00"),
    ("90", "0.0075", "75000.00"),
    ("-5", "0.015", "150000.00"),
])
def test_the_deposit_on_ten_million_follows_the_credit_score(capsys, score, rate, deposit):
    f = deposit_json(capsys, "--amount", "10000000", "--credit-score", score)
    assert (f["rate"], f["deposit"]) == (rate, deposit)
    assert f["base_deposit"] == "150000.00" and f["old_deposit"] == "300000.00"
    assert Decimal(f["saving"]) == Decimal("150000.00") - Decimal(deposit)


def test_without_a_score_the_base_rate_applies_and_the_next_cuts_are_priced(capsys):
    f = deposit_json(capsys, "--amount", "1000万")
    assert f["credit_score"] is None and f["rate"] == "0.015" and f["saving"] == "0.00"
    assert f["saving_vs_old"] == "150000.00"
    assert f["next_cuts"] == [{"credit_score": 80, "rate": "0.0105", "saving": "45000.00"},
                              {"credit_score": 90, "rate": "0.0075", "saving": "75000.00"}]


@pytest.mark.parametrize("text, amount", [("1,234.56", "1234.56"), ("12.5万", "125000.00"), ("¥3000元", "3000.00"),
                                          ("100.005", "100.01")])
def test_amounts_are_read_like_workbook_cells(capsys, text, amount):
    assert deposit_json(capsys, "--amount", text)["settlement_amount"] == amount


def test_rounding_is_half_up_to_the_fen(capsys):
    f = deposit_json(capsys, "--amount", "333.33", "--credit-score", "95")
    assert f["deposit"] == "2.50"  # 333.33 × 0.0075 = 2.499975 → 2.50


def test_the_terminal_report_names_rate_deposit_base_old_and_saving(capsys):
    assert main(["deposit", "--amount", "10,000,000", "--credit-score", "85"]) == 0
    out = capsys.readouterr().out
    for text in ("预留比例：1.05%", "质量保证金：105,000.00 元", "基准比例 1.5% 时：150,000.00 元，少缴 45,000.00 元",
                 "原比例 3% 时：300,000.00 元，少缴 195,000.00 元", "信用评价分达到 90 分及以上：比例 0.75%，可再少缴 30,000.00 元",
                 "保函"):
        assert text in out


@pytest.mark.parametrize("args, message", [
    (["--amount", "abc"], "错误：参数 --amount 的值“abc”无效：“abc”不是有效的金额（应为不小于0的数字，如 1,234.56 或 12.5万）"),
    (["--amount", "-5"], "错误：参数 --amount 的值“-5”无效：金额“-5”为负数，金额不能为负"),
    (["--amount", "100", "--credit-score", "101"], "错误：参数 --credit-score 的值“101”无效：信用评价分“101”超过满分100分"),
    (["--amount", "100", "--credit-score", "好"], "错误：参数 --credit-score 的值“好”无效：“好”不是有效的分数（应为数字，如 85 或 92.5）"),
    ([], "错误：缺少参数 --amount（用 subsidy deposit --help 查看用法）"),
])
def test_bad_input_is_one_chinese_line_and_exit_2(capsys, args, message):
    assert main(["deposit", *args]) == 2
    cap = capsys.readouterr()
    assert cap.out == "" and cap.err == message + "\n"
