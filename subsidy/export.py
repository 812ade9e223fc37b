"""A company's own application file, from its self-check: `subsidy check --export` and the web's 下载申报表.

The file holds the company's row in 企业, its claims, HQ rows, deposit projects and history, in the template's
format (:mod:`subsidy.workbook.application`), and assesses to the same result as the self-check that made it:

* **申报编号** become ``统一社会信用代码-序号`` (``91360203MA0001018A-01``) so that no two companies' files share
  one when the bureau merges them. They are numbered in the order the engine reads claims (natural order of the
  old 申报编号, 申报事项 before 总部迁入 on a tie), so every rule that looks at that order — the first of two
  duplicates stands, the cap's leftover fen go to the smaller 申报编号 — decides exactly as before. The old and
  new numbers are listed (:attr:`CompanyFile.renumbered`).
* **history** is what the self-check counted: the 已兑现奖励 rows and, when a ledger was read, its payouts
  (the same payout once, the ledger's amount standing, as the engine does).
* **nothing is exported that the self-check could not read**: a company row with an error, a claim, deposit or
  history row that could not be read refuses the export, naming each (the file would otherwise say less than the
  company typed, or the bureau would meet rows that can only be 待补正).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Sequence

from .errors import SubsidyError
from .models import Batch, Claim, HqClaim, Payout
from .policy import PolicyPack
from .text import natural_key
from .workbook.application import ApplicationRows, append_note, application_workbook

PLACEHOLDER_CODE = "（未填写）"  # the web form's stand-in for a blank 统一社会信用代码


class ExportRefused(SubsidyError):
    """The company's rows cannot be exported as they are (the message names each row)."""


@dataclass(frozen=True)
class CompanyFile:
    credit_code: str
    company_name: str
    rows: ApplicationRows
    #: (old 申报编号, new 申报编号) for every claim whose number changed
    renumbered: tuple[tuple[str, str], ...]


def claim_number(code: str, i: int, n: int) -> str:
    """The i-th (1-based) of n 申报编号 of a company: 91360203MA0001018A-01 (at least two digits)."""
    return f"{code}-{i:0{max(2, len(str(n)))}d}"


def company_file(batch: Batch, code: str, *, pack: PolicyPack, extra_history: Sequence[Payout] = ()) -> CompanyFile:
    """The company's rows of ``batch`` (and its payouts in ``extra_history``) ready to write, or ExportRefused."""
    from .engine import merge_history

    if code == PLACEHOLDER_CODE or not code:
        raise ExportRefused("导出申报表须填写统一社会信用代码（申报编号由它生成），请填写后重新自查")
    company = next((c for c in batch.companies if c.credit_code == code), None)
    problems = _unreadable(batch, code)
    if company is None and not problems:
        raise ExportRefused(f"企业表中没有统一社会信用代码为“{code}”的企业，无法导出申报表")
    if problems:
        shown = "；".join(problems[:10]) + (f"；等共 {len(problems)} 处" if len(problems) > 10 else "")
        raise ExportRefused(f"该企业有无法读取的数据，请更正后再导出申报表（否则申报表会少于所填内容）：{shown}")
    assert company is not None

    works: list[Claim | HqClaim] = [c for c in batch.claims if c.credit_code == code]
    works += [h for h in batch.hq_claims if h.credit_code == code]
    # the engine's order (engine.output_order): natural 申报编号, then sheet, then row
    works.sort(key=lambda w: (natural_key(w.claim_id), w.sheet, w.row or 0))
    renumbered: list[tuple[str, str]] = []
    claims: list[Claim] = []
    hqs: list[HqClaim] = []
    for i, w in enumerate(works, start=1):
        new = claim_number(code, i, len(works))
        if new != w.claim_id:
            renumbered.append((w.claim_id, new))
        moved = w.model_copy(update={"claim_id": new, "row": None})
        (claims if isinstance(w, Claim) else hqs).append(moved)  # type: ignore[arg-type]
    history = merge_history([p for p in batch.history if p.credit_code == code],
                            [p for p in extra_history if p.credit_code == code], pack=pack, issues=[])
    history.sort(key=lambda p: (p.reward_year, p.paid_on, p.category, p.subject, p.amount))
    rows = ApplicationRows(
        companies=(company,),
        claims=tuple(claims),
        hq_claims=tuple(hqs),
        deposits=tuple(d for d in batch.deposits if d.credit_code == code),
        history=tuple(history),
        history_sheet=batch.history_given or bool(history),
    )
    return CompanyFile(credit_code=code, company_name=company.name, rows=rows, renumbered=tuple(renumbered))


def _unreadable(batch: Batch, code: str) -> list[str]:
    """Each row of the company the reader could not use, named with its problems."""
    return unreadable_rows(batch, lambda c: c == code)


def unreadable_rows(batch: Batch, whose=lambda c: True, *, prefix: str = "") -> list[str]:
    """Each row the reader could not use (of the companies ``whose`` accepts), named with its problems:
    "“申报事项”表第5行：获批日期：…"."""
    wanted = [(s, r) for s, r, c in batch.bad_rows if whose(c)]
    if not wanted:
        return []
    by_row: dict[tuple[str, int], list[str]] = {k: [] for k in wanted}
    for i in batch.issues:
        if (i.sheet, i.row) in by_row:
            by_row[(i.sheet, i.row)].append(i.message)
    return [f"{prefix}“{s}”表第{r}行：{'；'.join(dict.fromkeys(m)) or '无法读取'}" for (s, r), m in by_row.items()]


# --------------------------------------------------------------------------- the workbook


def export_workbook(cf: CompanyFile, *, pack: PolicyPack, year: int, payable: Decimal | None = None,
                    when: dt.datetime | None = None):
    """The company's application workbook (not saved), with a line on 填表说明 saying where it came from."""
    from .money import yuan_text

    wb = application_workbook(cf.rows, pack=pack)
    when = when or dt.datetime.now()
    total = f"，自查核定合计 {yuan_text(payable)} 元（仅供参考，以主管部门核定为准）" if payable is not None else ""
    append_note(wb, [
        "本申报表由企业自查导出",
        f"企业：{cf.company_name}（统一社会信用代码 {cf.credit_code}）；核定年度 {year}{total}；"
        f"导出时间 {when:%Y-%m-%d %H:%M}。",
        f"申报编号为“统一社会信用代码-序号”（如 {cf.credit_code}-01），各企业的申报表可用 subsidy merge 合并为申报汇总表。",
    ])
    return wb


def export_bytes(cf: CompanyFile, *, pack: PolicyPack, year: int, payable: Decimal | None = None) -> bytes:
    import io

    buf = io.BytesIO()
    export_workbook(cf, pack=pack, year=year, payable=payable).save(buf)
    return buf.getvalue()
