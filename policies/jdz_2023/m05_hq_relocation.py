"""第5条 鼓励市外建筑业企业落户本市.

> 鼓励市外施工总承包一级（甲级）及以上资质施工企业将总部迁入景德镇或在景德镇设立施工总承包一级（甲级）及
> 以上资质独立法人子公司的，……自落户认定当年起，前两年由受益财政按地方财政贡献的 100% 进行奖励，后三年
> 按地方财政贡献的 50% 进行奖励。

Encoded (m5_reward_share): reward year k = Y − year(落户认定日期) + 1; k = 1, 2 → 100%, k = 3, 4, 5 → 50% of the
year's 地方财政贡献 (rates: parameters.yaml hq_relocation.rate_by_year). Eligible only for 迁入方式 总部迁入 /
设立子公司 and 资质等级 施工总承包一级 / 特级 / 综合资质 ("一级（甲级）及以上": 综合资质 replaces 特级). Paid by the
受益财政 (split by ``city_share``).

Not encoded: 绿色通道 registration and 工业用地 land policy — services, no money.
"""
from __future__ import annotations

import re
from decimal import Decimal

from subsidy.models import HqClaim, Reason
from subsidy.money import fen
from subsidy.params import Parameters
from subsidy.policy import DatedValue, HqDecision
from subsidy.text import norm_label

CATEGORIES = ("hq_relocation",)
TITLE = "鼓励市外建筑业企业落户本市"
MESSAGES = {
    "HQ_QUALIFICATION": "第5条：限施工总承包一级（甲级）及以上资质企业将总部迁入或设立独立法人子公司（迁入方式：{mode}；资质等级：{qual}）",
    "HQ_PERIOD_OVER": "第5条：奖励期为自落户认定当年起五年，{year} 年为第 {k} 年，已超过",
    "HQ_RATE": "第5条：自落户认定当年起第 {k} 年，按地方财政贡献 {contribution} 元的 {pct} 奖励",
    ("NOT_ASSESSMENT_YEAR", 5): "第5条：落户认定日期 {date} 晚于核定年度 {year} 年",
    ("ALREADY_PAID", 5): "第5条：{year} 年度的总部迁入奖励已兑现 {paid} 元（{payouts}），不重复兑现",
    "HQ_AFTER_EXPIRY_STOP": "按口径“政策到期后的总部迁入奖励：停止兑现”，本措施有效期至 {end}，{year} 年度不再兑现",
}


def _configure(data: dict) -> None:
    global MODES, QUALIFICATIONS, PERIOD, RATES
    MODES = tuple(data["modes"])
    QUALIFICATIONS = tuple(data["qualifications"])
    global _QUALIFIED
    _QUALIFIED = frozenset(_qualification_key(q) for q in QUALIFICATIONS)
    PERIOD = int(data["period_years"])
    RATES = DatedValue.from_yaml(data["rate_by_year"])


_NOTE = re.compile(r"\(.*?\)")  # 施工总承包一级(甲级) — after NFKC the brackets are ASCII


def _qualification_key(text: str) -> str:
    """施工总承包一级（甲级）资质 → 施工总承包一级: NFKC, no spaces, no bracketed note, no trailing 资质."""
    return _NOTE.sub("", norm_label(text)).removesuffix("资质")


def hq_qualifies(mode: str, qualification: str) -> bool:
    """施工总承包一级（甲级）及以上: 一级, 特级 or 综合资质, written with or without 资质 and a bracketed note."""
    return norm_label(mode) in MODES and _qualification_key(qualification) in _QUALIFIED


def hq_decision(claim: HqClaim, year: int, params: Parameters) -> HqDecision:
    """m5_reward_share: the HQ reward for reward year ``year``, or every reason it is not due (reasons made of this
    module's own texts: built without re-validation)."""
    k = year - claim.recognised_on.year + 1
    rates = RATES.at(claim.recognised_on)
    rate = rates.get(k) if 1 <= k <= PERIOD else None
    amount = fen(claim.fiscal_contribution * rate) if rate is not None else Decimal("0.00")
    fails: list[Reason] = []
    if not hq_qualifies(claim.mode, claim.qualification):
        fails.append(Reason.trusted(code="HQ_QUALIFICATION", message=MESSAGES["HQ_QUALIFICATION"].format(
            mode=claim.mode or "（空）", qual=claim.qualification or "（空）")))
    if not params.validity_start <= claim.recognised_on <= params.validity_end:
        from .general import MESSAGES as G
        fails.append(Reason.trusted(code="OUTSIDE_VALIDITY", message=G["OUTSIDE_VALIDITY"].format(
            start=params.validity_start, end=params.validity_end, what="落户认定日期", date=claim.recognised_on)))
    if k < 1:
        fails.append(Reason.trusted(code="NOT_ASSESSMENT_YEAR", message=MESSAGES[("NOT_ASSESSMENT_YEAR", 5)].format(
            date=claim.recognised_on, year=year)))
    elif k > PERIOD:
        fails.append(Reason.trusted(code="HQ_PERIOD_OVER", message=MESSAGES["HQ_PERIOD_OVER"].format(year=year, k=k)))
    elif params.hq_after_expiry == "stop" and year > params.validity_end.year:
        fails.append(Reason.trusted(code="OUTSIDE_VALIDITY", message=MESSAGES["HQ_AFTER_EXPIRY_STOP"].format(
            end=params.validity_end, year=year)))
    notes: tuple[Reason, ...] = ()
    if rate is not None:
        notes = (Reason.trusted(code="HQ_RATE", message=MESSAGES["HQ_RATE"].format(
            k=k, contribution=f"{claim.fiscal_contribution:,.2f}", pct=f"{rate * 100:.0f}%")),)
    return HqDecision(standard_amount=amount, reward_year_index=k, rate=rate, failures=tuple(fails), notes=notes)
