"""The terminal at 80 columns: no amount cut or split, no location broken, nothing wider than the screen."""
from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len

from subsidy.cli import main
from subsidy.money import yuan_text
from subsidy.output import wrap_text

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "申报汇总表-2024.xlsx"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
AMOUNT = re.compile(r"\d{1,3}(?:,\d{3})*\.\d\d")
ZHUSHAN = "91360203MA0001018A"  # 景德镇瓷都建设集团有限公司 in the example


@pytest.fixture
def terminal(monkeypatch):
    """stdout behaves as an 80-column terminal for rich (the path a clerk sees)."""
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("NO_COLOR", "1")


def screen(args, capsys) -> list[str]:
    code = main([str(a) for a in args])
    out = ANSI.sub("", capsys.readouterr().out)
    assert code in (0, 1), out
    lines = out.splitlines()
    wide = [ln for ln in lines if cell_len(ln.rstrip()) > 80]
    assert wide == [], "lines wider than 80 columns"
    assert not re.search(r"(?<!…)…(?!…)", out), "something was cut with an ellipsis (…… is a quotation's elision)"
    return lines


def whole(amount: Decimal | str, lines: list[str]) -> bool:
    text = yuan_text(Decimal(amount))
    return any(text in AMOUNT.findall(ln) for ln in lines)


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    d = tmp_path_factory.mktemp("layout")
    assert main(["assess", str(EXAMPLE), "--year", "2024", "-o", str(d / "o.xlsx"), "--json", str(d / "r.json")]) == 0
    return d, json.loads((d / "r.json").read_text(encoding="utf-8"))


def test_the_assess_summary_holds_at_80_columns_with_amounts_and_locations_whole(terminal, result, capsys, tmp_path):
    _, res = result
    lines = screen(["assess", EXAMPLE, "--year", "2024", "-o", tmp_path / "o.xlsx"], capsys)
    for payer, amount in res["totals"]["by_payer"].items():
        assert any(payer in ln and yuan_text(Decimal(amount)) in ln for ln in lines), payer
    shown = [i for i in res["issues"]][:5]
    for i in shown:
        assert any(ln.startswith(f"{i['sheet']} 第{i['row']}行") for ln in lines), i


def test_the_self_check_holds_at_80_columns_with_every_amount_whole(terminal, result, capsys):
    lines = screen(["check", EXAMPLE, "--company", ZHUSHAN, "--year", "2024"], capsys)
    _, res = result
    for d in (d for d in res["deposits"] if d["credit_code"] == ZHUSHAN):
        for key in ("settlement_amount", "deposit", "base_deposit", "old_deposit", "saving"):
            assert whole(d[key], lines), (d["project"], key)
    for ln in (x for x in res["lines"] if x["credit_code"] == ZHUSHAN):
        assert whole(ln["payable"], lines) and whole(ln["standard_amount"], lines)


def test_the_deposit_calculator_holds_at_80_columns(terminal, capsys):
    lines = screen(["deposit", "--amount", "1,250,000,000", "--credit-score", "85"], capsys)
    assert whole("13125000.00", lines) and whole("1250000000.00", lines)


def test_the_policy_overview_holds_at_80_columns(terminal, capsys):
    lines = screen(["policy"], capsys)
    assert any("500,000.00 元" in ln for ln in lines)


def test_the_ledger_listing_and_audit_hold_at_80_columns(terminal, result, capsys, tmp_path):
    d, res = result
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    assert main(["ledger", "init", "--ledger", url]) == 0
    assert main(["ledger", "record", str(d / "r.json"), "--ledger", url, "--approved-by", "张三",
                 "--paid-on", "2025-01-15"]) == 0
    capsys.readouterr()
    lines = screen(["ledger", "list", "--ledger", url], capsys)
    paid = [x for x in res["lines"] if Decimal(x["payable"]) > 0]
    for x in paid:
        assert whole(x["payable"], lines), x["claim_id"]
        assert any(x["credit_code"] in ln for ln in lines)
    lines = screen(["audit", "--ledger", url], capsys)
    order = [ln.split()[0] for ln in lines if ln.split() and ln.split()[0] in res["totals"]["by_payer"]]
    assert order == list(res["totals"]["by_payer"]), "treasuries in the pack's order, as in the assessment"


def test_piped_output_keeps_one_line_per_paragraph_for_grep(result, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["check", str(EXAMPLE), "--company", ZHUSHAN, "--year", "2024"]) == 0
    out = capsys.readouterr().out
    assert any(ln.startswith("地方留成税收 3,000,000.00 元；") and ln.endswith("核定合计 1,100,000.00 元")
               for ln in out.splitlines())


# --------------------------------------------------------------------------- wrap_text

WORDS = st.sampled_from(["企业", "奖励", "第6条", "，", "。", "（", "）", "“瓷都大厦”", "500,000.00", "元", " ", "  ",
                         "2024-001", "91360203MA0001018A", "信用评价分", "【", "】", "0.75%", "abc"])


@given(st.lists(WORDS, max_size=40).map("".join), st.integers(min_value=20, max_value=100))
def test_wrapped_lines_fit_keep_every_character_and_never_split_an_amount_or_code(text, width):
    lines = wrap_text(text, width)
    assert all(cell_len(ln) <= width for ln in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    for token in re.findall(r"[^\s\u3000-\u9fff\uff00-\uffef“”【】（），。]+", text):
        assert len(token) > width or any(token in ln for ln in lines), token


def test_a_mark_glued_to_an_amount_that_fits_a_line_comes_off_rather_than_the_amount_being_cut():
    assert wrap_text("（500,000.002024-0010.75%abc", 26) == ["（", "500,000.002024-0010.75%abc"]
    assert wrap_text("企业 （500,000.00）", 12) == ["企业 （", "500,000.00）"]
    assert wrap_text("企业 （500,000.00）", 11) == ["企业 （", "500,000.00", "）"]
    assert wrap_text("500,000.00）", 10) == ["500,000.00", "）"]


def test_a_line_never_begins_with_a_closing_mark():
    text = "申报编号 2024-002（杜鹃花奖“瓷都大厦”）增加奖励 0 元：同一项目获多项荣誉奖励的按最高荣誉奖励（第6条），" * 3
    for width in range(10, 81):
        assert not any(ln[:1] in "，。；：）”" for ln in wrap_text(text, width)), width


def test_a_percent_sign_stays_with_its_amount_when_only_the_comma_after_it_does_not_fit():
    """Found by the property above: '0.75%' is one run of characters; the full-width comma glued after it comes off,
    the % does not."""
    assert wrap_text("91360203MA0001018A0.75%，", 23) == ["91360203MA0001018A0.75%", "，"]
