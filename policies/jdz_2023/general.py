"""通用条款 (G): scope, preconditions, 就高不重复, the cap, who pays, clawback.

> 上述措施适用于注册地在本市行政区域内的各类建筑业企业。本文件所涉及奖励条款及优惠政策，均以企业信用等级、
> 未拖欠民工工资、未发生较大以上质量安全事故等为前提条件。涉及的奖励扶持资金，已有明确渠道的，由原明确渠道
> 安排；没有明确渠道的，奖励经费由市、县区受益财政分级分担，企业所得奖励资金总额不得超过该企业缴纳税收地方
> 留成部分。对现行有效奖励扶持政策与本措施重复的，按就高不重复原则享受扶持资金。
>
> 严禁申报企业及人员弄虚作假，骗取套取奖励（补助）资金及其它虚假申报行为。……凡是与实际不符，有伪造、错漏、
> 虚报相关数据及证明材料行为的，认定为弄虚作假，一经查实立即停止申报并收回已发放奖励资金……
>
> 建筑企业外迁离开本市的，应当缴回近 5 年内按本措施所享受的全部奖励资金后，才予办理迁出手续。
>
> 本措施自发布之日起实施，有效期 5 年。

The engine (subsidy.engine) runs the generic mechanisms (就高, cap, payer split); this module says which
facts of a company fail the preconditions and which payouts a company must return.

Deliberately not encoded:
- "已有明确渠道的，由原明确渠道安排" — which channel already pays is outside the workbook; the 出资财政 column
  names the treasury this policy designates.
- "依法依规严肃处理，涉嫌犯罪的，依法移送司法机关" — not a computation.
- "企业信用等级" is read as the Jiangxi credit-evaluation score against ``min_credit_score`` (SPEC 3).
"""
from __future__ import annotations

from functools import lru_cache

from subsidy.models import AccidentLevel, Company, Reason
from subsidy.params import Parameters

#: 较大以上 (较大, 重大, 特别重大) fail the precondition; 一般 does not.
MAJOR_ACCIDENTS = (AccidentLevel.larger, AccidentLevel.major, AccidentLevel.extraordinary)

MESSAGES = {
    "INVALID_ROW": "数据有误，待补正后核定：{detail}",
    "UNKNOWN_COMPANY": "企业表中没有统一社会信用代码为 {code} 的企业，待补正后核定",
    "INVALID_COMPANY": "该企业在企业表中的信息有误，待补正后核定：{detail}",
    "INVALID_HISTORY": "该企业的已兑现奖励记录有误（{detail}），无法确认已兑现金额，待补正后核定",
    "NOT_REGISTERED_LOCALLY": "通用条款：本措施适用于注册地在本市行政区域内的建筑业企业（该企业注册地：{region}）",
    "BLACKLISTED": "通用条款：奖励以企业信用等级为前提，该企业已列入黑名单",
    "CREDIT_BELOW_MIN": "通用条款：奖励以企业信用等级为前提，信用评价分 {score} 分低于 {min} 分",
    "WAGE_ARREARS": "通用条款：奖励以未拖欠民工工资为前提，该企业拖欠农民工工资",
    "MAJOR_ACCIDENT": "通用条款：奖励以未发生较大以上质量安全事故为前提，该企业发生{level}质量安全事故",
    "FRAUD": "通用条款：严禁弄虚作假，一经查实立即停止申报并收回已发放奖励资金",
    "MOVED_OUT": "通用条款：建筑企业外迁离开本市的，应当缴回近5年内按本措施所享受的全部奖励资金（迁出日期 {date}）",
    "OUTSIDE_VALIDITY": "通用条款：本措施自发布之日起实施，有效期5年（{start} 至 {end}），{what} {date} 不在有效期内",
    "NOT_ASSESSMENT_YEAR": "{article}：奖励按获得当年核定，获批日期 {date} 不在核定年度 {year} 年",
    "DUPLICATE_CLAIM": "{article}：同一企业同一奖励事项重复申报，以申报编号 {first} 为准",
    "SUPERSEDED_BY_HIGHER": "{article}及通用条款：按就高不重复原则，同类奖励只按最高等级兑现（{higher}）",
    "ALREADY_PAID": "{article}：该奖励已兑现 {paid} 元（{payouts}），不重复兑现",
    "UPGRADE_TOP_UP": "{article}及通用条款：就高不重复，已兑现同类较低等级奖励 {paid} 元（{payouts}），补差 {amount} 元",
    "UPGRADE_FULL": "{article}：按口径“升级奖励兑现方式：全额”，升级后全额奖励（已兑现的较低等级奖励 {paid} 元不扣减：{payouts}）",
    "OTHER_POLICY_TOP_UP": "通用条款：与现行有效奖励扶持政策重复的，按就高不重复原则享受；已按{name}兑现 {other} 元，补差 {amount} 元",
    "OTHER_POLICY_HIGHER": "通用条款：就高不重复，{name}金额 {other} 元不低于本措施应得 {amount} 元，按{name}享受",
    "OTHER_POLICY_EXCLUDED": "通用条款：就高不重复，按本措施享受 {amount} 元，{name}（{other} 元）不得再兑现",
    "CAP_REDUCED": "通用条款：企业所得奖励资金总额不得超过该企业缴纳税收地方留成部分（地方留成税收 {tax} 元，{year} 年度已兑现 {paid} 元{payouts}，尚可奖励 {cap} 元），按{method}核减为 {amount} 元",
    "CO_WINNERS": "{article}：按“每项”奖励，“{subject}”的{label}另有企业申报或已兑现（{others}），是否分享一项奖励由住建局认定后再核",
    "MISSING_LOCAL_TAX": "通用条款：企业所得奖励资金总额不得超过其缴纳税收地方留成部分，企业表未填地方留成税收，待补正后核定",
    "NO_HISTORY": "未提供“已兑现奖励”表，也未使用兑现账本（--ledger）：无法检查重复兑现和升级补差，已兑现过的奖励可能被再次核定",
    "EMPTY_YEAR": "核定年度 {year} 年没有获批日期在该年度的申报事项，也没有处于奖励期内的总部迁入（申报事项的获批年度：{present}；总部迁入的奖励期：{hq}），请核对 --year 是否填错",
    "CLAWBACK_MOVED_OUT": "通用条款：外迁企业应缴回近5年内按本措施享受的全部奖励资金（迁出日期 {moved}，兑现日期 {paid_on}）",
    "CLAWBACK_FRAUD": "通用条款：弄虚作假一经查实，收回已发放奖励资金（兑现日期 {paid_on}）",
}


def preconditions(company: Company, params: Parameters) -> list[Reason]:
    """Every failing precondition of G, in the order of SPEC 2.2 step 2 (25k companies a batch: a failing one's
    reasons are made of this module's own texts, each distinct reason once — :func:`_reason`)."""
    fails: list[Reason] = []
    if company.region == "市外":
        fails.append(_reason("NOT_REGISTERED_LOCALLY", MESSAGES["NOT_REGISTERED_LOCALLY"].format(region=company.region)))
    if company.blacklisted:
        fails.append(_reason("BLACKLISTED", MESSAGES["BLACKLISTED"]))
    if company.credit_score is not None and company.credit_score < params.min_credit_score:
        fails.append(_reason("CREDIT_BELOW_MIN", MESSAGES["CREDIT_BELOW_MIN"].format(
            score=company.credit_score, min=params.min_credit_score)))
    if company.wage_arrears:
        fails.append(_reason("WAGE_ARREARS", MESSAGES["WAGE_ARREARS"]))
    if company.accident in MAJOR_ACCIDENTS:
        fails.append(_reason("MAJOR_ACCIDENT", MESSAGES["MAJOR_ACCIDENT"].format(level=company.accident.value)))
    if company.fraud:
        fails.append(_reason("FRAUD", MESSAGES["FRAUD"]))
    if company.moved_out_on is not None:
        fails.append(_reason("MOVED_OUT", MESSAGES["MOVED_OUT"].format(date=company.moved_out_on)))
    return fails


@lru_cache(maxsize=4096)
def _reason(code: str, message: str) -> Reason:
    """One frozen reason per distinct (code, text), shared by every company it applies to (built without
    re-validation)."""
    return Reason.trusted(code=code, message=message)


def clawback_reasons(company: Company, params: Parameters) -> tuple[str, ...]:
    """Why a company must return payouts: FRAUD (all under this policy), MOVED_OUT (the last 5 years)."""
    out = []
    if company.fraud:
        out.append("FRAUD")
    if company.moved_out_on is not None:
        out.append("MOVED_OUT")
    return tuple(out)
