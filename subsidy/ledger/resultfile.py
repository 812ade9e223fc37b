"""Reading an assessment's RESULT.json (schema subsidy.assessment/1, SPEC 5) for the ledger.

Only what a payout needs is read; anything missing or malformed makes the whole file unreadable
(BadResultFile), never a half-recorded batch.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from ..money import fen
from .errors import BadResultFile

SCHEMA = "subsidy.assessment/1"


@dataclass(frozen=True)
class ResultLine:
    claim_id: str
    credit_code: str
    company_name: str
    category: str
    measure: int | None
    subject: str
    payable: Decimal
    payers: dict[str, Decimal]
    hq: "HqLineFacts | None" = None  # 第5条 lines of results written since the ledger keeps them


@dataclass(frozen=True)
class HqLineFacts:
    """The extra ``hq`` key of a 第5条 line: what the reward was computed from."""

    recognised_on: dt.date  # 落户认定日期
    reward_year_index: int  # k
    fiscal_contribution: Decimal  # 地方财政贡献 of the reward year


@dataclass(frozen=True)
class ResultCompany:
    credit_code: str
    company_name: str
    region: str
    local_retained_tax: Decimal | None


@dataclass(frozen=True)
class ResultFile:
    policy_id: str
    year: int
    input_sha256: str
    lines: tuple[ResultLine, ...]  # the lines with payable > 0: what a record writes
    companies: dict[str, ResultCompany] = field(default_factory=dict)


def _bad(where: str, what: str) -> BadResultFile:
    return BadResultFile(f"核定结果文件 {where} 无法读取：{what}（应为 subsidy assess --json 输出的 {SCHEMA} 格式）")


def _money(v, where: str, name: str) -> Decimal:
    if isinstance(v, bool) or not isinstance(v, (str, int)):
        raise _bad(where, f"{name} 应为金额文本，实为“{v}”")
    try:
        d = Decimal(str(v).strip())
    except InvalidOperation:
        raise _bad(where, f"{name} 的值“{v}”不是金额") from None
    if not d.is_finite() or d < 0 or fen(d) != d:
        raise _bad(where, f"{name} 的值“{v}”不是以分为单位的非负金额")
    return d


def _text(obj: dict, key: str, where: str, *, required: bool = True) -> str:
    v = obj.get(key)
    if v is None and not required:
        return ""
    if not isinstance(v, str) or (required and not v.strip()):
        raise _bad(where, f"缺少字段 {key}")
    return v


def _hq_facts(raw, where: str, w: str, *, year: int) -> HqLineFacts | None:
    """The ``hq`` key of a 第5条 line (absent in results written before it existed: None)."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise _bad(where, f"{w} 的 hq 应为对象")
    try:
        day = dt.date.fromisoformat(str(raw.get("recognised_on")))
    except ValueError:
        raise _bad(where, f"{w} 的 hq.recognised_on（落户认定日期）“{raw.get('recognised_on')}”不是日期") from None
    k = raw.get("reward_year_index")
    if isinstance(k, bool) or not isinstance(k, int) or k != year - day.year + 1:
        raise _bad(where, f"{w} 的 hq.reward_year_index“{k}”与核定年度 {year} 和落户认定日期 {day} 不符")
    return HqLineFacts(recognised_on=day, reward_year_index=k,
                       fiscal_contribution=_money(raw.get("fiscal_contribution"), where,
                                                  f"{w} 的 hq.fiscal_contribution"))


def parse(data: object, where: str = "") -> ResultFile:
    if not isinstance(data, dict):
        raise _bad(where, "顶层不是 JSON 对象")
    if data.get("schema") != SCHEMA:
        raise _bad(where, f"schema 为“{data.get('schema')}”")
    policy = data.get("policy")
    if not isinstance(policy, dict) or not isinstance(policy.get("id"), str):
        raise _bad(where, "缺少 policy.id")
    year = data.get("year")
    if isinstance(year, bool) or not isinstance(year, int):
        raise _bad(where, f"year 应为整数年度，实为“{year}”")
    inp = data.get("input")
    sha = inp.get("sha256") if isinstance(inp, dict) else None
    if not isinstance(sha, str):
        raise _bad(where, "缺少 input.sha256")
    raw_lines = data.get("lines")
    if not isinstance(raw_lines, list):
        raise _bad(where, "缺少 lines")
    companies: dict[str, ResultCompany] = {}
    raw_companies = data.get("companies", [])
    if not isinstance(raw_companies, list):
        raise _bad(where, "companies 应为列表")
    for i, c in enumerate(raw_companies, 1):
        w = f"companies 第{i}项"
        if not isinstance(c, dict):
            raise _bad(where, f"{w} 不是对象")
        code = c.get("credit_code")
        if not isinstance(code, str) or not code.strip():
            continue  # a company row that could not be read: none of its lines is payable
        tax = c.get("local_retained_tax")
        companies[code] = ResultCompany(
            credit_code=code, company_name=_text(c, "company_name", where, required=False),
            region=_text(c, "region", where, required=False),
            local_retained_tax=None if tax is None else _money(tax, where, f"{w} 的 local_retained_tax"))
    lines = []
    for i, ln in enumerate(raw_lines, 1):
        w = f"lines 第{i}项"
        if not isinstance(ln, dict):
            raise _bad(where, f"{w} 不是对象")
        payable = _money(ln.get("payable"), where, f"{w} 的 payable")
        if payable == 0:  # nothing to record: a rejected row may lack its category or company
            continue
        payers_raw = ln.get("payers", {}) or {}
        if not isinstance(payers_raw, dict):
            raise _bad(where, f"{w} 的 payers 应为对象")
        payers = {str(k): _money(v, where, f"{w} 的出资财政 {k}") for k, v in payers_raw.items()}
        measure = ln.get("measure")
        if measure is not None and (isinstance(measure, bool) or not isinstance(measure, int)):
            raise _bad(where, f"{w} 的 measure 应为整数")
        line = ResultLine(
            claim_id=_text(ln, "claim_id", where), credit_code=_text(ln, "credit_code", where),
            company_name=_text(ln, "company_name", where, required=False),
            category=_text(ln, "category_code", where), measure=measure,
            subject=_text(ln, "subject", where, required=False), payable=payable,
            payers={k: v for k, v in payers.items() if v != 0},
            hq=_hq_facts(ln.get("hq"), where, w, year=year))
        if sum(line.payers.values(), Decimal(0)) != payable:
            raise _bad(where, f"{w}（申报编号 {line.claim_id}）的出资财政合计不等于核定金额 {payable}")
        lines.append(line)
    return ResultFile(policy_id=policy["id"], year=year, input_sha256=sha, lines=tuple(lines), companies=companies)


def load(path: str | Path) -> ResultFile:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BadResultFile(f"核定结果文件不存在：{p}") from None
    except UnicodeDecodeError:
        raise _bad(str(p), "不是 JSON 文本文件") from None
    except OSError as e:
        raise BadResultFile(f"无法读取核定结果文件 {p}：{e.strerror or e.__class__.__name__}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise _bad(str(p), f"不是有效的 JSON（第{e.lineno}行第{e.colno}列）") from None
    return parse(data, str(p))
