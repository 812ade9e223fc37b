"""第7条 打造装配式建筑产业基地.

> ……支持装配式部件生产企业申报国家、省装配式建筑产业基地，对获批国家、省装配式建筑产业基地的企业，由受益
> 财政分别给予 100 万元、50 万元的奖励。

Encoded as the family prefab_base keyed by company: 国家级 tier 2, 省级 tier 1. Paid by the 受益财政, split between
市财政 and the 注册地 treasury by ``city_share`` (通用条款：市、县区受益财政分级分担).

Not encoded: the planning targets (钢结构、PC 结构、木结构基地) — no money.
"""
CATEGORIES = ("prefab_national", "prefab_provincial")
TITLE = "打造装配式建筑产业基地"
MESSAGES: dict = {}
