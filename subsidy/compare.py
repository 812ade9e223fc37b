"""What a change of 口径 costs: one batch assessed under two sets of interpretation parameters, or under a range
of values of one numeric parameter (a sweep).

The batch is read once by the caller; each set of 口径 is one run of ``engine.assess`` on it, so each side is
exactly what ``subsidy assess --config …`` gives. The result is frozen and reconciles to the fen: the difference
per treasury sums to the total difference, and so do the differences of the lines listed (every line whose
payable, status or split between treasuries changes) and of the companies.

Presenters: ``subsidy.workbook.comparison`` (xlsx with native charts), ``subsidy.compareout`` (JSON, terminal).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, Sequence

from . import engine
from .errors import SubsidyError
from .models import Batch, Line, Payout, PolicyRef, Reason, Result
from .money import ZERO, fen
from .params import LABELS, Interpretation, Parameters, apply, interpretations
from .policy import PolicyPack

#: at most this many values in one sweep: each value is a whole assessment of the batch
MAX_SWEEP_VALUES = 200


class SweepError(SubsidyError):
    """A --sweep that cannot be run: bad syntax, a parameter that cannot be swept, a bad value, too many values."""


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class ParameterRow:
    """One 口径 parameter on both sides, as users read it."""

    key: str
    title: str  # 信用评价分下限（min_credit_score）
    base: str  # value as users read it
    alternative: str
    why: str
    differs: bool


@dataclass(frozen=True, slots=True)
class Side:
    """One set of 口径 and what the batch costs under it (the same numbers as `subsidy assess`)."""

    name: str  # 基准口径 / 备选口径
    config_file: str | None  # None: the policy's defaults
    parameters: Parameters
    total: Decimal
    by_payer: dict[str, Decimal]  # every treasury of the comparison, 0.00 where this side pays nothing
    by_measure: dict[str, Decimal]  # every measure of the comparison
    by_status: dict[str, int]
    clawback: Decimal
    lines: int


@dataclass(frozen=True, slots=True)
class LineChange:
    """A claim whose payable, status or split between treasuries differs between the two sides: its line on each
    side (the claim's identity — 申报编号, company, category, subject — is the same on both)."""

    base: Line
    alternative: Line

    def __getattr__(self, name: str):  # claim_id, company_name, category_label, article, …: the claim's own
        return getattr(self.base, name)

    @property
    def base_payable(self) -> Decimal:
        return self.base.payable

    @property
    def alternative_payable(self) -> Decimal:
        return self.alternative.payable

    @property
    def difference(self) -> Decimal:
        return self.alternative.payable - self.base.payable

    @property
    def base_status(self) -> str:
        return self.base.status

    @property
    def alternative_status(self) -> str:
        return self.alternative.status

    @property
    def base_payers(self) -> dict[str, Decimal]:
        return self.base.payers

    @property
    def alternative_payers(self) -> dict[str, Decimal]:
        return self.alternative.payers

    @property
    def base_reasons(self) -> tuple[Reason, ...]:
        return self.base.reasons

    @property
    def alternative_reasons(self) -> tuple[Reason, ...]:
        return self.alternative.reasons


@dataclass(frozen=True, slots=True)
class CompanyChange:
    """A company's payable on both sides (companies paid something on at least one side)."""

    credit_code: str
    company_name: str
    region: str
    base: Decimal
    alternative: Decimal
    difference: Decimal


@dataclass(frozen=True, slots=True)
class Comparison:
    policy: PolicyRef
    year: int
    input_sha256: str
    issues: int  # data issues of the batch (the same on both sides)
    notices: tuple[Reason, ...]  # what the run as a whole must say (no history, an empty year): the same on both sides
    base: Side
    alternative: Side
    treasuries: tuple[str, ...]  # the pack's own order
    measures: tuple[str, ...]
    difference_total: Decimal
    difference_by_payer: dict[str, Decimal]
    difference_by_measure: dict[str, Decimal]
    difference_clawback: Decimal
    parameters: tuple[ParameterRow, ...]
    companies: tuple[CompanyChange, ...]
    lines: tuple[LineChange, ...]

    @property
    def changed_parameters(self) -> tuple[ParameterRow, ...]:
        return tuple(p for p in self.parameters if p.differs)


def compare(batch: Batch, *, year: int, pack: PolicyPack, base: Parameters, alternative: Parameters,
            extra_history: Sequence[Payout] = (), ledger_used: bool = False, base_file: str | None = None,
            alternative_file: str | None = None) -> Comparison:
    """``batch`` assessed under ``base`` and under ``alternative``, side by side (``extra_history`` and
    ``ledger_used`` as for ``engine.assess``)."""
    b = engine.assess(batch, year=year, pack=pack, params=base, extra_history=extra_history, ledger_used=ledger_used)
    a = engine.assess(batch, year=year, pack=pack, params=alternative, extra_history=extra_history,
                      ledger_used=ledger_used)
    return compare_results(b, a, pack=pack, base=base, alternative=alternative, base_file=base_file,
                           alternative_file=alternative_file)


def compare_results(b: Result, a: Result, *, pack: PolicyPack, base: Parameters, alternative: Parameters,
                    base_file: str | None = None, alternative_file: str | None = None) -> Comparison:
    """Two results of the same batch and year, side by side."""
    if (b.year, b.input_sha256, len(b.lines)) != (a.year, a.input_sha256, len(a.lines)):
        raise ValueError("the two results are not of the same batch and year")
    treasuries = _ordered_treasuries(pack, b.totals.by_payer, a.totals.by_payer)
    measures = tuple(sorted(set(b.totals.by_measure) | set(a.totals.by_measure), key=int))
    sb = _side("基准口径", base_file, base, b, treasuries, measures)
    sa = _side("备选口径", alternative_file, alternative, a, treasuries, measures)
    return Comparison(
        policy=b.policy, year=b.year, input_sha256=b.input_sha256, issues=len(b.issues),
        notices=_notices(b, a), base=sb, alternative=sa,
        treasuries=treasuries, measures=measures,
        difference_total=sa.total - sb.total,
        difference_by_payer={t: sa.by_payer[t] - sb.by_payer[t] for t in treasuries},
        difference_by_measure={m: sa.by_measure[m] - sb.by_measure[m] for m in measures},
        difference_clawback=sa.clawback - sb.clawback,
        parameters=parameter_rows(b.interpretations, a.interpretations),
        companies=_companies(b, a),
        lines=tuple(changed_lines(b.lines, a.lines)),
    )


def parameter_rows(base: Sequence[Interpretation], alternative: Sequence[Interpretation]) -> tuple[ParameterRow, ...]:
    """Every 口径 parameter with its value on both sides, in the order of 口径说明."""
    out = []
    for x, y in zip(base, alternative, strict=True):
        out.append(ParameterRow(key=x.key, title=x.title, base=x.value_label, alternative=y.value_label, why=x.why,
                                differs=x.value != y.value))
    return tuple(out)


def changed_lines(base: Sequence[Line], alternative: Sequence[Line]):
    """The lines whose payable, status or split between treasuries differ (the engine orders the lines of one
    batch the same way whatever the 口径: by 申报编号, sheet and row)."""
    for x, y in zip(base, alternative, strict=True):
        if (x.claim_id, x.sheet, x.row) != (y.claim_id, y.sheet, y.row):
            raise ValueError(f"lines out of step: {x.claim_id} / {y.claim_id}")
        if x.payable == y.payable and x.status == y.status and x.payers == y.payers:
            continue
        yield LineChange(base=x, alternative=y)


def _notices(*results: Result) -> tuple[Reason, ...]:
    """Every notice of either run, once (they do not depend on the 口径, but nothing is dropped if one did)."""
    return tuple(dict.fromkeys(n for r in results for n in r.notices))


def _companies(b: Result, a: Result) -> tuple[CompanyChange, ...]:
    out = []
    for x, y in zip(b.companies, a.companies, strict=True):
        if x.credit_code != y.credit_code:
            raise ValueError(f"companies out of step: {x.credit_code} / {y.credit_code}")
        if x.payable == 0 and y.payable == 0:
            continue
        out.append(CompanyChange(credit_code=x.credit_code, company_name=x.company_name, region=x.region,
                                 base=fen(x.payable), alternative=fen(y.payable),
                                 difference=fen(y.payable) - fen(x.payable)))
    return tuple(out)


def _ordered_treasuries(pack: PolicyPack, *payers: dict[str, Decimal]) -> tuple[str, ...]:
    names = {t for p in payers for t in p}
    return tuple(sorted(names, key=pack.treasury_rank))


def _side(name: str, config_file: str | None, params: Parameters, r: Result, treasuries: Sequence[str],
          measures: Sequence[str]) -> Side:
    t = r.totals
    return Side(name=name, config_file=config_file, parameters=params, total=fen(t.payable),
                by_payer={k: fen(t.by_payer.get(k, ZERO)) for k in treasuries},
                by_measure={m: fen(t.by_measure.get(m, ZERO)) for m in measures},
                by_status=dict(t.by_status), clawback=fen(t.clawback), lines=len(r.lines))


# --------------------------------------------------------------------------- sweep


#: the parameters a sweep can vary: numeric ones. city_share alone sets every district and county (市本级 stays 1).
SWEEPABLE = ("min_credit_score", "city_share")
_NUMBER = re.compile(r"-?\d{1,12}(?:\.\d{1,8})?")
_SYNTAX = "应为 参数=起:止:步长，如 min_credit_score=60:90:5"


@dataclass(frozen=True, slots=True)
class SweepSpec:
    """``--sweep NAME=FROM:TO:STEP`` understood: the parameter and its exact values (FROM, FROM+STEP, … ≤ TO)."""

    key: str  # min_credit_score, city_share or city_share.<注册地>
    label: str  # as users read it
    start: Decimal
    stop: Decimal
    step: Decimal
    values: tuple[Decimal, ...]
    regions: tuple[str, ...] = ()  # city_share: the 注册地 whose share takes the value

    @property
    def title(self) -> str:
        return f"{self.label}（{self.key}）"

    def overrides(self, value: Decimal) -> dict:
        """The value as a --config file would give it."""
        if self.regions:
            return {"city_share": {r: value for r in self.regions}}
        return {self.key: value}


def parse_sweep(text: str, pack: PolicyPack) -> SweepSpec:
    """Understand ``NAME=FROM:TO:STEP``; SweepError with one Chinese sentence when it cannot be run."""
    raw = unicodedata.normalize("NFKC", text).strip()
    name, eq, rng = raw.partition("=")
    parts = rng.split(":")
    if not eq or len(parts) != 3 or not name.strip():
        raise SweepError(f"--sweep 的写法“{text}”有误，{_SYNTAX}")
    key, label = _sweep_key(name.strip(), pack)
    nums = []
    for what, p in zip(("起", "止", "步长"), parts):
        p = p.strip()
        if not _NUMBER.fullmatch(p):
            raise SweepError(f"--sweep 的{what}值“{p}”不是数字（{_SYNTAX}）")
        nums.append(Decimal(p))
    start, stop, step = nums
    if step <= 0:
        raise SweepError(f"--sweep 的步长“{parts[2].strip()}”应大于 0")
    if stop < start:
        raise SweepError(f"--sweep 的止值 {parts[1].strip()} 小于起值 {parts[0].strip()}")
    lo, hi = _bounds(key)
    for what, v in (("起", start), ("止", stop)):
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            raise SweepError(f"--sweep 的{what}值 {v} 超出{label}的范围（{_range_text(lo, hi)}）")
    # exact arithmetic in integers of the finest decimal place given: 0.1 steps give 0.1, 0.2, … never 0.30000001
    exp = min(d.as_tuple().exponent for d in nums)
    a, b, s = (int(d.scaleb(-exp)) for d in nums)
    count = (b - a) // s + 1
    if count > MAX_SWEEP_VALUES:
        raise SweepError(f"--sweep 共有 {count:,} 个取值，超过上限 {MAX_SWEEP_VALUES} 个（每个取值都要重新核定一遍），"
                         "请加大步长或缩小范围")
    values = tuple(Decimal(a + i * s).scaleb(exp) for i in range(count))
    if key == "city_share":
        regions = tuple(r for r in pack.regions if r != pack.city_region)
    else:
        regions = (key.split(".", 1)[1],) if key.startswith("city_share.") else ()
    return SweepSpec(key=key, label=label, start=start, stop=stop, step=step, values=values, regions=regions)


def _sweep_key(name: str, pack: PolicyPack) -> tuple[str, str]:
    by_label = {LABELS[k]: k for k in SWEEPABLE}
    key = by_label.get(name, name)
    if key == "min_credit_score":
        return key, LABELS[key]
    if key == "city_share":
        return key, f"{LABELS[key]}（全部区县）"
    head, dot, region = key.partition(".")
    if by_label.get(head, head) == "city_share" and dot:
        if region == pack.city_region:
            raise SweepError(f"--sweep 不能扫描 city_share.{region}：{region}企业的受益财政就是{pack.city_treasury}，"
                             "该比例只能为 1")
        if region not in pack.regions:
            others = "、".join(r for r in pack.regions if r != pack.city_region)
            raise SweepError(f"--sweep 的注册地“{region}”不是本市的区县（可用：{others}）")
        return f"city_share.{region}", f"{LABELS['city_share']}（{region}）"
    known = key if key in LABELS else next((k for k, v in LABELS.items() if v == name), None)
    if known is not None:
        raise SweepError(f"口径参数 {LABELS[known]}（{known}）不是数值，不能扫描；可扫描：min_credit_score（信用评价分下限）、"
                         "city_share（全部区县的市财政承担比例）、city_share.区县名（如 city_share.珠山区）")
    raise SweepError(f"--sweep 中没有这个口径参数：“{name}”（可扫描：min_credit_score、city_share、"
                     "city_share.区县名）")


def _bounds(key: str) -> tuple[Decimal | None, Decimal | None]:
    if key == "min_credit_score":
        return None, Decimal(100)  # a score is at most 100 (SPEC 4); it may be negative
    return Decimal(0), Decimal(1)


def _range_text(lo: Decimal | None, hi: Decimal | None) -> str:
    if lo is None:
        return f"不超过 {hi}"
    return f"{lo} 到 {hi}"


@dataclass(frozen=True, slots=True)
class SweepRow:
    """One value of the swept parameter and what the batch costs with it."""

    value: Decimal
    total: Decimal
    difference: Decimal  # against the base
    by_payer: dict[str, Decimal]  # every treasury of the sweep
    changed_lines: int  # lines whose payable, status or split differ from the base


@dataclass(frozen=True, slots=True)
class Sweep:
    policy: PolicyRef
    year: int
    input_sha256: str
    notices: tuple[Reason, ...]
    spec: SweepSpec
    base: Side
    start_file: str | None  # the --config the swept value overrides (None: the base's 口径)
    start: Parameters
    parameters: tuple[ParameterRow, ...]  # base (left) against the 口径 the values override (right)
    treasuries: tuple[str, ...]
    rows: tuple[SweepRow, ...]


def sweep(batch: Batch, *, year: int, pack: PolicyPack, base: Parameters, start: Parameters, spec: SweepSpec,
          extra_history: Sequence[Payout] = (), ledger_used: bool = False, base_file: str | None = None,
          start_file: str | None = None, on_value: Callable[[int, Decimal], None] | None = None) -> Sweep:
    """``batch`` assessed once with ``base`` and once per value of ``spec`` (each value overriding ``start``)."""
    b = engine.assess(batch, year=year, pack=pack, params=base, extra_history=extra_history, ledger_used=ledger_used)
    notices = dict.fromkeys(b.notices)
    rows_src = []
    for i, value in enumerate(spec.values):
        if on_value is not None:
            on_value(i, value)
        prm = apply(start, spec.overrides(value), pack)
        r = engine.assess(batch, year=year, pack=pack, params=prm, extra_history=extra_history,
                          ledger_used=ledger_used)
        notices.update(dict.fromkeys(r.notices))
        changed = sum(1 for _ in changed_lines(b.lines, r.lines))
        rows_src.append((value, fen(r.totals.payable), dict(r.totals.by_payer), changed))
    treasuries = _ordered_treasuries(pack, b.totals.by_payer, *(p for _, _, p, _ in rows_src))
    measures = tuple(sorted(b.totals.by_measure, key=int))
    side = _side("基准口径", base_file, base, b, treasuries, measures)
    rows = tuple(SweepRow(value=v, total=t, difference=t - side.total,
                          by_payer={k: fen(p.get(k, ZERO)) for k in treasuries}, changed_lines=n)
                 for v, t, p, n in rows_src)
    return Sweep(policy=b.policy, year=b.year, input_sha256=b.input_sha256, notices=tuple(notices), spec=spec,
                 base=side,
                 start_file=start_file, start=start,
                 parameters=parameter_rows(b.interpretations, interpretations(start, pack)),
                 treasuries=treasuries, rows=rows)
