"""`subsidy policy`: every measure of the document, computed or not and why, amounts with articles, 口径 in force."""
from __future__ import annotations

import json

from subsidy.cli import main


def policy_json(capsys, *args):
    assert main(["policy", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_all_24_measures_and_the_general_clause_are_listed(capsys):
    data = policy_json(capsys)
    assert [m["article"] for m in data["measures"]] == [f"第{n}条" for n in range(1, 25)] + ["通用条款"]
    computed = {m["article"] for m in data["measures"] if m["computed"]}
    assert computed == {"第2条", "第5条", "第6条", "第7条", "第18条", "第24条", "通用条款"}
    assert all(m["why"] for m in data["measures"])


def test_amounts_carry_their_article_references(capsys):
    by_article = {m["article"]: m for m in policy_json(capsys)["measures"]}
    m2 = {a["label"]: a for a in by_article["第2条"]["amounts"]}
    assert m2["施工总承包特级资质"]["amount"] == "1,000,000.00 元"
    assert m2["施工总承包特级资质"]["reference"].startswith("第2条：")
    m6 = {a["label"]: a["amount"] for a in by_article["第6条"]["amounts"]}
    assert m6 == {"鲁班奖": "500,000.00 元", "杜鹃花奖": "200,000.00 元", "省优良工程": "50,000.00 元",
                  "市优良工程": "通报表彰和信用加分（不发奖金）", "市安全文明工地": "通报表彰和信用加分（不发奖金）"}
    m5 = [a["amount"] for a in by_article["第5条"]["amounts"]]
    assert m5 == ["当年地方财政贡献的 100%", "当年地方财政贡献的 50%"]
    m18 = [(a["label"], a["amount"]) for a in by_article["第18条"]["amounts"]]
    assert m18 == [("无信用评价分或未满足前提条件", "质量保证金比例 1.5%"),
                   ("信用评价分 80 分及以上", "质量保证金比例 1.05%（基准下调30%）"),
                   ("信用评价分 90 分及以上", "质量保证金比例 0.75%（基准下调50%）")]
    assert "鲁班奖" in by_article["第6条"]["text"]


def test_the_interpretation_parameters_in_force_follow_the_config(capsys, tmp_path):
    default = {p["name"]: p["value"] for p in policy_json(capsys)["interpretations"]}
    assert default["min_credit_score"] == "70" and default["cap_allocation"] == "proportional"
    cfg = tmp_path / "口径.toml"
    cfg.write_text('min_credit_score = 75\ncap_allocation = "priority"\n[city_share]\n"珠山区" = 0.3\n',
                   encoding="utf-8")
    changed = {p["name"]: p["value"] for p in policy_json(capsys, "--config", str(cfg))["interpretations"]}
    assert changed["min_credit_score"] == "75" and changed["cap_allocation"] == "priority"
    assert "珠山区 0.3" in changed["city_share"]


def test_the_terminal_listing_says_why_a_measure_is_not_computed(capsys):
    assert main(["policy"]) == 0
    out = capsys.readouterr().out
    assert "第19条 完善建设工程价款结算  不核算" in out
    assert "原因：进度款支付比例（不低于80%）约束发包方，不是对企业的奖励" in out
    assert "· 信用评价分下限（min_credit_score）：70 分。" in out


def test_a_bad_config_is_one_chinese_line_and_exit_2(capsys, tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text('tier_upgrade = "sometimes"\n', encoding="utf-8")
    assert main(["policy", "--config", str(cfg)]) == 2
    assert capsys.readouterr().err == "错误：配置项 tier_upgrade 的值“sometimes”无效（可选：top_up、full）\n"
