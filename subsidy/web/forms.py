"""The self-check form read into engine inputs, with the same cell parsers (and messages) as the workbook reader."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Callable

from ..export import PLACEHOLDER_CODE, claim_number
from ..models import AccidentLevel, Batch, Claim, Company, DepositRow, HqClaim, Payout
from ..policy import PolicyPack
from ..uscc import problem
from ..workbook.cells import CellError, is_blank, parse_amount, parse_date, parse_score, parse_year

CLAIM_FIELDS = ("claim_category", "claim_subject", "claim_date", "claim_other_name", "claim_other_amount",
                "claim_other_paid")
DEPOSIT_FIELDS = ("dep_project", "dep_amount")
HISTORY_FIELDS = ("hist_category", "hist_subject", "hist_year", "hist_date", "hist_amount")
COMPANY_FIELDS = ("year", "name", "credit_code", "region", "credit_score", "blacklisted", "wage_arrears", "accident",
                  "fraud", "local_retained_tax", "moved_out_on", "hq_mode", "hq_qualification", "hq_date",
                  "hq_contribution")


@dataclass
class FormData:
    """What the user typed, kept as text so the form can be shown again exactly as filled."""

    values: dict[str, str] = field(default_factory=dict)
    claims: list[dict[str, str]] = field(default_factory=list)
    deposits: list[dict[str, str]] = field(default_factory=list)
    history: list[dict[str, str]] = field(default_factory=list)

    def digest(self) -> str:
        """A fingerprint of what was typed: the download of the application file checks that the form is still
        the one the result on the page was computed from."""
        payload = json.dumps([sorted(self.values.items()), self.claims, self.deposits, self.history],
                             ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]

    @classmethod
    def from_multi(cls, getlist: Callable[[str], list[Any]], get: Callable[[str], Any]) -> "FormData":
        values = {k: str(get(k) or "").strip() for k in COMPANY_FIELDS}
        return cls(values=values, claims=_rows(getlist, CLAIM_FIELDS), deposits=_rows(getlist, DEPOSIT_FIELDS),
                   history=_rows(getlist, HISTORY_FIELDS))


def _rows(getlist: Callable[[str], list[Any]], names: tuple[str, ...]) -> list[dict[str, str]]:
    cols = {n: [str(v).strip() for v in getlist(n)] for n in names}
    n = max((len(v) for v in cols.values()), default=0)
    rows = [{k: (cols[k][i] if i < len(cols[k]) else "") for k in names} for i in range(n)]
    return [r for r in rows if any(v and v != "否" for v in r.values())]


@dataclass
class Parsed:
    batch: Batch | None
    year: int | None
    credit_code: str
    errors: list[str]


def _yes(v: str) -> bool:
    return v in ("是", "on", "1", "true", "Y")


def parse_form(form: FormData, pack: PolicyPack) -> Parsed:
    """FormData → a one-company Batch, or every problem found (in Chinese, naming the field)."""
    errors: list[str] = []
    v = form.values

    def cell(label: str, fn: Callable[[str], Any], raw: str) -> Any:
        try:
            return fn(raw)
        except CellError as e:
            errors.append(f"{label}：{e.message}")
            return None

    year = None
    if is_blank(v.get("year")):
        errors.append("核定年度：必填（成果获批的年度，如 2024）")
    else:
        year = cell("核定年度", parse_year, v["year"])
    name = v.get("name", "") or "自查企业"
    code = v.get("credit_code", "").upper()
    if code:
        why = problem(code)
        if why:
            errors.append(f"统一社会信用代码：{why}")
    else:
        code = PLACEHOLDER_CODE
    region = v.get("region", "")
    if region not in pack.regions and region != pack.outside_region:
        errors.append(f"注册地：请选择（{'、'.join(pack.regions)}或{pack.outside_region}）")
    score = None if is_blank(v.get("credit_score")) else cell("信用评价分", parse_score, v["credit_score"])
    tax = None if is_blank(v.get("local_retained_tax")) else cell("地方留成税收(元)", parse_amount,
                                                                  v["local_retained_tax"])
    moved = None if is_blank(v.get("moved_out_on")) else cell("迁出日期", parse_date, v["moved_out_on"])
    try:
        accident = AccidentLevel(v.get("accident") or "无")
    except ValueError:
        errors.append(f"质量安全事故等级：“{v.get('accident')}”无效（无、一般、较大、重大、特别重大）")
        accident = AccidentLevel.none

    # with a 统一社会信用代码, the 申报编号 are those of the company's application file (export.claim_number):
    # the page and the file the company sends name each claim alike
    numbered = code != PLACEHOLDER_CODE and problem(code) is None
    n_ids = len(form.claims) + (1 if _hq_given(v) else 0)

    def claim_id(i: int) -> str:
        return claim_number(code, i, n_ids) if numbered else f"{i:02d}"

    claims: list[Claim] = []
    for i, r in enumerate(form.claims, 1):
        where = f"第{i}项申报"
        cat = pack.category_by_label(r.get("claim_category", ""))
        if cat is None or cat.computed:
            errors.append(f"{where} · 奖励类别：请选择")
            continue
        subject = r.get("claim_subject", "")
        if cat.key == "subject" and not subject:
            errors.append(f"{where} · 项目或证书名称：必填（“{cat.label}”按项目或证书逐项奖励）")
        on = cell(f"{where} · 获批日期", parse_date, r.get("claim_date", ""))
        other = ZERO_TEXT if is_blank(r.get("claim_other_amount")) else r["claim_other_amount"]
        other_amount = cell(f"{where} · 其他政策金额(元)", parse_amount, other)
        if on is None or other_amount is None:
            continue
        claims.append(Claim(claim_id=claim_id(i), credit_code=code, category=cat.code, subject=subject,
                            approved_on=on, other_policy_name=r.get("claim_other_name", ""),
                            other_policy_amount=other_amount, other_policy_paid=_yes(r.get("claim_other_paid", "")),
                            sheet="申报事项", row=None))

    hq: list[HqClaim] = []
    if _hq_given(v):
        on = cell("总部迁入 · 落户认定日期", parse_date, v.get("hq_date", ""))
        amount = cell("总部迁入 · 地方财政贡献(元)", parse_amount, v.get("hq_contribution", ""))
        if on is not None and amount is not None:
            hq.append(HqClaim(claim_id=claim_id(len(form.claims) + 1) if numbered else "总部迁入", credit_code=code, mode=v.get("hq_mode", ""),
                              qualification=v.get("hq_qualification", ""), recognised_on=on,
                              fiscal_contribution=amount))

    deposits: list[DepositRow] = []
    for i, r in enumerate(form.deposits, 1):
        amount = cell(f"第{i}个质量保证金项目 · 工程价款结算总额(元)", parse_amount, r.get("dep_amount", ""))
        if amount is not None:
            deposits.append(DepositRow(credit_code=code, project=r.get("dep_project", "") or f"项目{i}",
                                       settlement_amount=amount, row=None))

    history: list[Payout] = []
    for i, r in enumerate(form.history, 1):
        where = f"第{i}笔已兑现奖励"
        label = r.get("hist_category", "")
        cat = pack.category_by_label(label)
        if cat is None:
            errors.append(f"{where} · 奖励类别：请选择")
            continue
        ry = cell(f"{where} · 奖励年度", parse_year, r.get("hist_year", ""))
        on = cell(f"{where} · 兑现日期", parse_date, r.get("hist_date", ""))
        amount = cell(f"{where} · 兑现金额(元)", parse_amount, r.get("hist_amount", ""))
        if ry is None or on is None or amount is None:
            continue
        history.append(Payout(credit_code=code, category=cat.code, subject=r.get("hist_subject", ""),
                              reward_year=ry, paid_on=on, amount=amount))

    if errors:
        return Parsed(batch=None, year=year, credit_code=code, errors=errors)
    company = Company(credit_code=code, name=name, region=region, credit_score=score,
                      blacklisted=_yes(v.get("blacklisted", "")), wage_arrears=_yes(v.get("wage_arrears", "")),
                      accident=accident, fraud=_yes(v.get("fraud", "")), local_retained_tax=tax,
                      moved_out_on=moved, row=None)
    batch = Batch(companies=(company,), claims=tuple(claims), hq_claims=tuple(hq), deposits=tuple(deposits),
                  history=tuple(history))
    return Parsed(batch=batch, year=year, credit_code=code, errors=[])


ZERO_TEXT = "0"


def _hq_given(v: dict[str, str]) -> bool:
    return any(v.get(k, "") for k in ("hq_mode", "hq_qualification", "hq_date", "hq_contribution"))


def today() -> dt.date:  # pragma: no cover - trivial, patched in tests when needed
    return dt.date.today()

