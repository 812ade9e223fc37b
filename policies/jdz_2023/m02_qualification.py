"""第2条 鼓励建筑业企业资质升级.

> 对获批施工总承包特级资质（综合资质）的一次性奖励 100 万元，对施工企业获批总承包一级（甲级资质）、监理企业
> 获批综合资质、设计单位获批行业综合甲级资质的一次性奖励 50 万元，奖励资金由企业注册地财政支付。

Encoded as three families keyed by company (一次性: once per company): qual_construction (一级 tier 1, 特级
tier 2: an upgrade is paid as a top-up under 就高不重复), qual_supervision, qual_design. Amounts:
parameters.yaml, categories qual_*. Paid by the 注册地 treasury.

Not encoded: "成立专班进行一对一帮扶" (a service, no money).
"""
CATEGORIES = ("qual_special", "qual_grade1", "qual_supervision", "qual_design")
TITLE = "鼓励建筑业企业资质升级"
MESSAGES: dict = {}
