"""第6条 鼓励企业创先争优.

> 对当年获得“鲁班奖”的每项奖励 50 万元，获得江西省“杜鹃花奖”的每项奖励 20 万元，获得省优良工程的每项奖励
> 5 万元，对获得市优良工程、市安全文明工地的，给予通报表彰和信用加分。同一项目获多项荣誉奖励的按最高荣誉奖励，
> 奖励资金由企业注册地财政支付。

Encoded as the family project_honor keyed by company and normalised project name: 鲁班奖 tier 3, 杜鹃花奖 tier 2,
省优良工程 tier 1. "按最高荣誉奖励" is the engine's tier step (m6_highest_honour): a lower honour of the same
project is superseded; a higher honour after a lower one was paid is paid the difference (SAME_PROJECT_TOP_UP).
市优良工程 and 市安全文明工地 carry no money (status honor_only).

Not encoded: the 信用加分 itself (it is the credit bureau's record, not money).
"""
CATEGORIES = ("luban", "azalea", "provincial_quality", "city_quality", "city_safety")
TITLE = "鼓励企业创先争优"
MESSAGES = {
    ("SUPERSEDED_BY_HIGHER", 6): "第6条：同一项目获多项荣誉奖励的按最高荣誉奖励（{higher}）",
    ("SAME_PROJECT_TOP_UP", 6): "第6条：同一项目获多项荣誉奖励的按最高荣誉奖励，已兑现 {paid} 元（{payouts}），补差 {amount} 元",
    "HONOR_ONLY": "第6条：对获得市优良工程、市安全文明工地的，给予通报表彰和信用加分（不发奖金）",
}
