"""A hand-built, realistic Result for presenter tests (no engine involved). Reusable by other tests.

``sample_result()`` follows the worked examples of SPEC 6: a 珠山区 company with the 鲁班奖/杜鹃花奖 supersession,
a capped company (66,666.67 / 26,666.67 / 6,666.66), an HQ relocation split between 市财政 and 高新区财政,
a company that moved out (ineligible, with a clawback), an unreadable row (pending), an honour-only claim,
deposits at 0.75%, 1.05% and 1.5%, and data issues. ``totals_of`` derives Totals from lines the way the engine must.
``big_result(n)`` repeats lines to n for timing; ``hostile_result()`` carries formula-looking text.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal as D

from policies.jdz_2023 import PACK
from subsidy.models import (STATUSES, Clawback, CompanySummary, DepositLine, Issue, Line, PolicyRef, Reason,
                            Result, Totals)
from subsidy.money import fen
from subsidy.params import defaults, interpretations
from subsidy.uscc import check_char


def code(first17: str) -> str:
    return first17 + check_char(first17)


A = code("91360200MA35AAAA0")  # 瓷都建工 (珠山区)
B = code("91360200MA35BBBB0")  # 昌江建设 (昌江区, capped)
C = code("91360200MA35CCCC0")  # 高新建工 (高新区, HQ)
F = code("91360200MA35FFFF0")  # 迁出建设 (moved out)

POLICY = PolicyRef(id=PACK.id, number=PACK.number, title=PACK.title, issued=PACK.issued,
                   validity_start=PACK.validity_start, validity_end=PACK.validity_end)


def r(code_: str, message: str) -> Reason:
    return Reason(code=code_, message=message)


def line(claim_id, credit, company, cat, label, measure, subject, status, std, ent, pay, payers=None,
         reasons=(), row=None, sheet="申报事项") -> Line:
    return Line(claim_id=claim_id, sheet=sheet, row=row, credit_code=credit, company_name=company,
                category_code=cat, category_label=label, measure=measure,
                article=f"第{measure}条" if measure else "", subject=subject, status=status,
                standard_amount=D(std), entitlement=D(ent), payable=D(pay),
                payers={k: D(v) for k, v in (payers or {}).items()}, reasons=tuple(reasons))


def sample_lines() -> tuple[Line, ...]:
    zs, cj, gx = "珠山区财政", "昌江区财政", "高新区财政"
    a, b, c, f = "景德镇瓷都建工集团有限公司", "景德镇昌江建设有限公司", "景德镇高新建工有限公司", "景德镇迁出建设有限公司"
    return (
        line("2024-001", A, a, "luban", "鲁班奖", 6, "瓷都大厦", "awarded", "500000", "500000", "500000",
             {zs: "500000"}, row=2),
        line("2024-002", A, a, "azalea", "杜鹃花奖", 6, "瓷都大厦", "ineligible", "200000", "0", "0",
             reasons=[r("SUPERSEDED_BY_HIGHER", "第6条：同一项目获多项荣誉按最高荣誉奖励（鲁班奖）")], row=3),
        line("2024-003", A, a, "provincial_quality", "省优良工程", 6, "昌南大桥", "awarded", "50000", "50000",
             "50000", {zs: "50000"}, row=4),
        line("2024-004", A, a, "method_national", "国家级工法", 24, "高支模施工工法", "awarded", "50000", "50000",
             "50000", {zs: "50000"}, row=5),
        line("2024-005", A, a, "qual_grade1", "施工总承包一级资质", 2, "", "awarded", "500000", "500000",
             "500000", {zs: "500000"}, row=6),
        line("2024-006", A, a, "city_quality", "市优良工程", 6, "陶溪川二期", "honor_only", "0", "0", "0", row=7),
        line("2024-007", B, b, "tech_national", "国家级企业技术中心", 24, "", "reduced", "500000", "500000",
             "66666.67", {cj: "66666.67"}, reasons=[Reason(code="CAP_REDUCED", message="通用条款：企业所得奖励资金总额"
                                                           "不得超过该企业缴纳税收地方留成部分，按比例核减")], row=8),
        line("2024-008", B, b, "azalea", "杜鹃花奖", 6, "御窑博物馆", "reduced", "200000", "200000", "26666.67",
             {cj: "26666.67"}, reasons=[Reason(code="CAP_REDUCED", message="通用条款：按地方留成税收封顶，按比例核减")],
             row=9),
        line("2024-009", B, b, "provincial_quality", "省优良工程", 6, "浮梁中学", "reduced", "50000", "50000",
             "6666.66", {cj: "6666.66"}, reasons=[Reason(code="CAP_REDUCED", message="通用条款：按地方留成税收封顶，按比例核减")],
             row=10),
        line("HQ-001", C, c, "hq_relocation", "总部迁入", 5, "2024年度", "awarded", "800000", "800000", "800000",
             {"市财政": "400000", gx: "400000"}, sheet="总部迁入", row=2),
        line("2024-010", C, c, "tech_provincial", "省级企业技术中心", 24, "", "reduced", "200000", "100000",
             "100000", {gx: "100000"}, reasons=[Reason(code="OTHER_POLICY_TOP_UP",
                                                       message="通用条款：就高不重复，已享受其他政策100,000.00元，补差兑现")],
             row=11),
        line("2024-011", F, f, "prefab_provincial", "省级装配式建筑产业基地", 7, "", "ineligible", "500000", "0",
             "0", reasons=[Reason(code="MOVED_OUT", message="通用条款：企业已迁出本市，不予奖励")], row=12),
        line("申报事项:13", "", "", "", "国家级金奖", None, "某项目", "pending", "0", "0", "0",
             reasons=[Reason(code="INVALID_ROW", message="奖励类别“国家级金奖”不是本政策的奖励类别")], row=13),
    )


def totals_of(lines, clawbacks=()) -> Totals:
    by_payer: dict[str, D] = defaultdict(lambda: D("0"))
    by_measure: dict[str, D] = defaultdict(lambda: D("0"))
    by_pm: dict[str, dict[str, D]] = defaultdict(lambda: defaultdict(lambda: D("0")))
    by_status = {s: 0 for s in STATUSES}
    total = D("0")
    for ln in lines:
        by_status[ln.status] += 1
        total += ln.payable
        if ln.payable and ln.measure is not None:
            by_measure[str(ln.measure)] += ln.payable
        for payer, amount in ln.payers.items():
            by_payer[payer] += amount
            by_pm[payer][str(ln.measure)] += amount
    return Totals(payable=fen(total), by_payer={k: fen(v) for k, v in by_payer.items()},
                  by_measure={k: fen(v) for k, v in sorted(by_measure.items(), key=lambda kv: int(kv[0]))},
                  by_status=by_status,
                  by_payer_measure={p: {m: fen(v) for m, v in sorted(ms.items(), key=lambda kv: int(kv[0]))}
                                    for p, ms in by_pm.items()},
                  clawback=fen(sum((c.amount for c in clawbacks), D("0"))))


def sample_companies() -> tuple[CompanySummary, ...]:
    return (
        CompanySummary(credit_code=A, company_name="景德镇瓷都建工集团有限公司", region="珠山区",
                       local_retained_tax=D("3000000"), requested=D("1300000"), entitled=D("1100000"),
                       payable=D("1100000"), capped=False),
        CompanySummary(credit_code=B, company_name="景德镇昌江建设有限公司", region="昌江区",
                       local_retained_tax=D("100000"), requested=D("750000"), entitled=D("750000"),
                       payable=D("100000"), capped=True),
        CompanySummary(credit_code=C, company_name="景德镇高新建工有限公司", region="高新区",
                       local_retained_tax=D("5000000"), paid_in_year=D("0"), requested=D("1000000"),
                       entitled=D("900000"), payable=D("900000"), capped=False),
        CompanySummary(credit_code=F, company_name="景德镇迁出建设有限公司", region="浮梁县",
                       local_retained_tax=None, requested=D("500000"), entitled=D("0"), payable=D("0"),
                       capped=False, preconditions=(Reason(code="MOVED_OUT", message="通用条款：企业已迁出本市"),
                                                    Reason(code="WAGE_ARREARS", message="通用条款：存在拖欠农民工工资")),
                       ),
    )


GUARANTEE = "可以保函方式缴纳，且保函持续有效（第18条），不改变金额"


def deposit(credit, company, project, amount, score, rate, row, status="ok", note=None) -> DepositLine:
    if status == "pending":
        return DepositLine(credit_code=credit, company_name=company, project=project, settlement_amount=None,
                           credit_score=None, rate=None, base_deposit=None, old_deposit=None, deposit=None,
                           saving=None, status="pending", note=note or "结算总额无法识别", row=row)
    amt = D(amount)
    base, old, dep = fen(amt * D("0.015")), fen(amt * D("0.03")), fen(amt * D(rate))
    return DepositLine(credit_code=credit, company_name=company, project=project, settlement_amount=amt,
                       credit_score=None if score is None else D(score), rate=D(rate), base_deposit=base,
                       old_deposit=old, deposit=dep, saving=base - dep,
                       note=note or f"第18条：按信用评价分核定比例；{GUARANTEE}", row=row)


def sample_deposits() -> tuple[DepositLine, ...]:
    return (
        deposit(A, "景德镇瓷都建工集团有限公司", "瓷都大厦", "10000000", "92", "0.0075", 2),
        deposit(B, "景德镇昌江建设有限公司", "御窑博物馆", "10000000", "85", "0.0105", 3),
        deposit(C, "景德镇高新建工有限公司", "高新产业园", "10000000", "79.5", "0.015", 4),
        deposit(F, "景德镇迁出建设有限公司", "浮梁中学", "2345678.91", "95", "0.015", 5,
                note=f"第18条：企业不满足前提条件，不下调比例；{GUARANTEE}"),
        deposit(A, "景德镇瓷都建工集团有限公司", "无名工程", None, None, None, 6, status="pending"),
    )


def sample_clawbacks() -> tuple[Clawback, ...]:
    return (
        Clawback(credit_code=F, company_name="景德镇迁出建设有限公司", category_code="tech_provincial",
                 category_label="省级企业技术中心", subject="", reward_year=2023, paid_on=dt.date(2023, 11, 20),
                 amount=D("200000"), payers={"浮梁县财政": D("200000")}, reason_code="MOVED_OUT",
                 message="通用条款：企业迁出本市，五年内已兑现的奖励应予追回"),
    )


def sample_issues() -> tuple[Issue, ...]:
    return (
        Issue(sheet="申报事项", row=13, column="奖励类别", value="国家级金奖", message="奖励类别“国家级金奖”不是本政策的奖励类别"),
        Issue(sheet="质量保证金", row=6, column="工程价款结算总额(元)", value="约一千万", message="金额“约一千万”无法识别"),
    )


def make_result(lines, *, companies=None, deposits=None, clawbacks=None, issues=None, year=2024) -> Result:
    params = defaults(PACK)
    clawbacks = sample_clawbacks() if clawbacks is None else clawbacks
    return Result(
        policy=POLICY,
        year=year,
        input_sha256="3f5a0c1d9e8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a29",
        parameters=params.as_json(),
        lines=tuple(lines),
        companies=sample_companies() if companies is None else companies,
        deposits=sample_deposits() if deposits is None else deposits,
        clawbacks=clawbacks,
        totals=totals_of(lines, clawbacks),
        issues=sample_issues() if issues is None else issues,
        interpretations=interpretations(params, PACK),
    )


def sample_result() -> Result:
    return make_result(sample_lines())


def hostile_result() -> Result:
    """Text an attacker (or a careless clerk) could type: must stay text in the workbook."""
    base = sample_lines()
    evil = (
        base[0].model_copy(update={"subject": "=1+1", "company_name": "@SUM(A1)"}),
        base[2].model_copy(update={"subject": "+cmd|' /C calc'!A0", "claim_id": "-2+3"}),
        base[3].model_copy(update={"subject": "\t=HYPERLINK(\"http://x\")", "claim_id": "\r=1"}),
    )
    issues = (Issue(sheet="企业", row=3, column="企业名称", value="=WEBSERVICE(\"http://x\")", message="测试"),)
    return make_result(evil + base[4:], issues=issues)


def big_result(n: int = 100_000) -> Result:
    """n lines (the sample's lines repeated with new ids and rows), for timing the presenters."""
    base = sample_lines()
    lines = [base[i % len(base)].model_copy(update={"claim_id": f"B-{i:06d}", "row": i + 2}) for i in range(n)]
    return make_result(lines)
