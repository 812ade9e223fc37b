"""Plain value objects of the engine: what goes in, what comes out.

Nothing here knows about Excel, the terminal or the web. Money is ``Decimal`` in yuan, always to the fen.
Every model is frozen: the pipeline builds new values, it never edits one in place.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import Enum
from collections.abc import Sequence
from typing import Annotated, Any, Generic, Iterator, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, WrapSerializer


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    @classmethod
    def trusted(cls, **values):
        """Build from values already checked field by field (the reader's cells, the engine's own results).

        Skips pydantic's validation and shares one fields-set among instances: a third of the memory of a
        validated model, which matters at 100k claims. Everything else (frozen, equality, model_copy) is the same.
        A field left out takes its default; see :func:`trusted` for the fastest form.
        """
        fields_set, defaults, _ = _spec(cls)
        if len(values) != len(fields_set):
            values = {name: values[name] if name in values else default() for name, default in defaults}
        return trusted(cls, values)


def trusted(cls: type[F], values: dict[str, Any]) -> F:
    """``cls.trusted(**values)`` for a dict that names every field of ``cls``, in the model's order (a dict literal
    in the hot loops of the reader and the engine: half the cost of the keyword call). It does what pydantic's
    ``model_construct`` does for these models (no private attributes, no extra fields) in a tenth of the time.

    The instance's ``__dict__`` is a key-sharing dict (a copy of a template whose keys are the class's own shared
    keys, then filled): it stores only the values, 200 bytes instead of 460 for a line — 100k lines and 100k claims
    weigh 50 MB less."""
    obj = _new(cls)
    spec = _TRUSTED.get(cls) or _spec(cls)
    d = spec[2].copy()
    d.update(values)
    _set(obj, "__dict__", d)
    _set(obj, "__pydantic_fields_set__", spec[0])
    _set(obj, "__pydantic_extra__", None)
    _set(obj, "__pydantic_private__", None)
    return obj


def _spec(cls: type) -> tuple[set[str], tuple, dict]:
    """(every field's name, (name, default maker) per field, an empty key-sharing __dict__ of ``cls``)."""
    spec = _TRUSTED.get(cls)
    if spec is None:
        assert not cls.__private_attributes__ and cls.model_config.get("extra") == "forbid", cls
        defaults = []
        for name, f in cls.model_fields.items():
            if f.default_factory is not None:
                defaults.append((name, f.default_factory))
            else:
                defaults.append((name, lambda f=f: f.get_default(call_default_factory=False)))
        # setting the fields one by one on a bare instance makes its __dict__ share the class's cached keys
        template = _new(cls)
        for name in cls.model_fields:
            _set(template, name, None)
        # every field is in the shared fields-set: model_copy's update adds nothing to it
        spec = _TRUSTED[cls] = (set(cls.model_fields), tuple(defaults), template.__dict__)
    return spec


_TRUSTED: dict[type, tuple[set[str], tuple, dict]] = {}
F = TypeVar("F", bound=Frozen)
_new = object.__new__
_set = object.__setattr__


class Rows(Sequence, Generic[F]):
    """Many frozen rows of one model held as columns (one list per field, in the model's order); a row is built
    when it is asked for (``rows[i]``, iteration) and is then equal to the row the columns describe.

    The engine's result holds its 100k lines this way: the engine fills columns, and a presenter that goes through
    every line (the schedule, the JSON) reads the columns it needs (:meth:`columns`) instead of 100k objects. To any
    other reader it is a read-only sequence of rows, like the tuple it replaces; it compares equal to the tuple of
    the same rows."""

    __slots__ = ("model", "_columns", "_len")

    def __init__(self, model: type[F], columns: dict[str, Sequence]):
        names = tuple(model.model_fields)
        if tuple(columns) != names:
            raise ValueError(f"{model.__name__} 的列应为 {names}，实为 {tuple(columns)}")
        lengths = {len(c) for c in columns.values()}
        if len(lengths) > 1:
            raise ValueError(f"{model.__name__} 的各列长度不一：{sorted(lengths)}")
        self.model = model
        self._columns = columns
        self._len = lengths.pop() if lengths else 0

    def columns(self, *names: str) -> tuple[Sequence, ...]:
        """The named columns (every column when none is named), for presenters that read many rows."""
        return tuple(self._columns[n] for n in names or self._columns)

    def __len__(self) -> int:
        return self._len

    def __getitem__(self, i):
        if isinstance(i, slice):
            return tuple(self[j] for j in range(*i.indices(self._len)))
        if i < 0:
            i += self._len
        if not 0 <= i < self._len:
            raise IndexError(i)
        return trusted(self.model, {name: col[i] for name, col in self._columns.items()})

    def __iter__(self) -> Iterator[F]:
        model, names = self.model, tuple(self._columns)
        for values in zip(*self._columns.values()):
            yield trusted(model, dict(zip(names, values)))

    def __eq__(self, other) -> bool:
        if isinstance(other, Rows):
            return self.model is other.model and self._len == other._len and all(
                list(a) == list(b) for a, b in zip(self._columns.values(), other._columns.values()))
        if isinstance(other, (tuple, list)):
            return len(other) == self._len and all(a == b for a, b in zip(self, other))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Rows({self.model.__name__}, {self._len} 行)"

    def __reduce__(self):
        return (Rows, (self.model, {k: list(v) for k, v in self._columns.items()}))


class FenColumn(Sequence):
    """A column of amounts held as the engine computed them — integer fen (``fens``: a numpy integer array, or a
    list of int and None for no amount) — and read as Decimal yuan to the fen (``column[i]``, iteration, slices).

    A presenter that writes numbers takes :meth:`texts`; an amount becomes a Decimal only when something asks for
    one (a row of :class:`Rows`, the web page). An array holds 8 bytes an amount, no object each."""

    __slots__ = ("fens",)

    def __init__(self, fens: Sequence[int | None]):
        self.fens = fens

    def ints(self) -> list[int | None]:
        """The amounts in fen as Python integers (None: no amount)."""
        fens = self.fens
        return fens.tolist() if hasattr(fens, "tolist") else list(fens)

    def __len__(self) -> int:
        return len(self.fens)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return list(map(_yuan_or_none, FenColumn(self.fens[i]).ints()))
        n = self.fens[i]
        return None if n is None else _yuan_or_none(int(n))

    def __iter__(self) -> Iterator[Decimal | None]:
        return map(_yuan_or_none, self.ints())

    def texts(self) -> list[str | None]:
        """Each amount written with two decimals, as money.money_str writes it ("1234.50", "-0.05"; None stays
        None), each distinct amount once."""
        known: dict[int | None, str | None] = {None: None}
        out = []
        for n in self.ints():
            t = known.get(n)
            if t is None and n is not None:
                q, r = divmod(abs(n), 100)
                t = known[n] = f"{'-' if n < 0 else ''}{q}.{r:02d}"
            out.append(t)
        return out

    def __eq__(self, other) -> bool:
        if isinstance(other, FenColumn):
            return self.ints() == other.ints()
        return list(self) == list(other) if isinstance(other, (list, tuple)) else NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"FenColumn({len(self.fens)} 项)"


class ReasonsColumn(Sequence):
    """Each line's reasons as the engine wrote them (``raw``): per line a tuple whose items are :class:`Reason` — the
    reasons many lines share, one object each — or a plain (code, message) pair for a reason written for that line
    alone (a co-winner's rivals, a capped share's amount: tens of thousands at 100k claims). Read as a tuple of
    Reason per line (``column[i]``, iteration, slices; a pair becomes a Reason when asked for); a presenter that only
    writes the texts reads ``raw`` through :func:`said`."""

    __slots__ = ("raw",)

    def __init__(self, raw: Sequence[tuple]):
        self.raw = raw

    def __len__(self) -> int:
        return len(self.raw)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return list(map(as_reasons, self.raw[i]))
        return as_reasons(self.raw[i])

    def __iter__(self) -> Iterator[tuple]:
        return map(as_reasons, self.raw)

    def __eq__(self, other) -> bool:
        return list(self) == list(other) if isinstance(other, (ReasonsColumn, list, tuple)) else NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"ReasonsColumn({len(self.raw)} 行)"


def as_reasons(items: tuple) -> tuple:
    """A line's reasons as Reason objects (a (code, message) pair built into one)."""
    for r in items:
        if r.__class__ is tuple:
            return tuple(trusted(Reason, {"code": r[0], "message": r[1]}) if r.__class__ is tuple else r
                         for r in items)
    return items


def said(r) -> tuple[str, str]:
    """(code, message) of a reason, a Reason or a pair (ReasonsColumn.raw)."""
    return r if r.__class__ is tuple else (r.code, r.message)


def _yuan_or_none(n: int | None) -> Decimal | None:
    return None if n is None else Decimal(n).scaleb(-2)  # money.from_fen_int: 12345 → 123.45, exact


def columns_of(rows: Sequence, *names: str) -> tuple[Sequence, ...]:
    """The named fields of many rows as columns: a :class:`Rows`' own lists, or read row by row from a tuple of
    rows (a result made by hand, as the tests do)."""
    if isinstance(rows, Rows):
        return rows.columns(*names)
    return tuple([getattr(r, name) for r in rows] for name in names)


def _as_tuple(value, serialize):
    return serialize(tuple(value))


#: a result field of many rows: a tuple of frozen rows, or :class:`Rows` (serialised as the tuple of its rows)
Many = Annotated[tuple[F, ...], WrapSerializer(_as_tuple)]


# --------------------------------------------------------------------------- input


class Issue(Frozen):
    """A problem found in the input, named by sheet, row (1-based Excel row), column and value."""

    sheet: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    message: str


class AccidentLevel(str, Enum):
    none = "无"
    ordinary = "一般"
    larger = "较大"
    major = "重大"
    extraordinary = "特别重大"


class Company(Frozen):
    """One row of sheet 企业."""

    credit_code: str
    name: str
    region: str  # 注册地: a local region of the policy or 市外
    credit_score: Decimal | None = None
    blacklisted: bool = False
    wage_arrears: bool = False
    accident: AccidentLevel = AccidentLevel.none
    fraud: bool = False
    local_retained_tax: Decimal | None = None
    moved_out_on: dt.date | None = None
    sheet: str = "企业"
    row: int | None = None


class Claim(Frozen):
    """One row of sheet 申报事项 (a fixed-amount reward)."""

    claim_id: str
    credit_code: str
    category: str  # category code of the policy, e.g. "luban"
    subject: str = ""
    approved_on: dt.date
    other_policy_name: str = ""
    other_policy_amount: Decimal = Decimal("0")
    other_policy_paid: bool = False
    sheet: str = "申报事项"
    row: int | None = None


class HqClaim(Frozen):
    """One row of sheet 总部迁入 (M5: a share of the local fiscal contribution)."""

    claim_id: str
    credit_code: str
    mode: str  # 迁入方式
    qualification: str  # 资质等级
    recognised_on: dt.date  # 落户认定日期
    fiscal_contribution: Decimal  # 地方财政贡献(元)
    sheet: str = "总部迁入"
    row: int | None = None


class DepositRow(Frozen):
    """One row of sheet 质量保证金."""

    credit_code: str
    project: str
    settlement_amount: Decimal
    sheet: str = "质量保证金"
    row: int | None = None


class Payout(Frozen):
    """A reward already paid: a row of sheet 已兑现奖励, or a payout recorded in the ledger."""

    credit_code: str
    category: str  # category code, or "hq_relocation"
    subject: str = ""
    reward_year: int
    paid_on: dt.date
    amount: Decimal
    source: str = "已兑现奖励"
    row: int | None = None


class RejectedRow(Frozen):
    """A claim row that could not be read: it is still one line of the output (status pending)."""

    sheet: str
    row: int | None
    claim_id: str
    credit_code: str = ""
    category_label: str = ""
    subject: str = ""
    code: str  # INVALID_ROW, UNKNOWN_COMPANY or INVALID_COMPANY
    message: str


class Batch(Frozen):
    """Everything read from one application workbook, already validated."""

    companies: tuple[Company, ...] = ()
    claims: Many[Claim] = ()  # Rows from the reader: one column per field
    hq_claims: tuple[HqClaim, ...] = ()
    deposits: tuple[DepositRow, ...] = ()
    history: tuple[Payout, ...] = ()
    rejected: tuple[RejectedRow, ...] = ()
    rejected_deposits: tuple[RejectedRow, ...] = ()
    invalid_companies: tuple[str, ...] = ()  # credit codes whose 企业 row is bad
    #: companies whose history rows could not be read: their money claims wait (never pay twice)
    unreadable_history: tuple[str, ...] = ()
    issues: tuple[Issue, ...] = ()
    #: every data row that could not be used, as (sheet, Excel row, 统一社会信用代码 as typed): its issues are the
    #: ones on that row; the other issues are about the sheet (a column not read, a title row)
    bad_rows: tuple[tuple[str, int, str], ...] = ()
    input_sha256: str = ""
    #: what a user must be told before trusting the result (absent sheets, columns not read, …): shown in the
    #: terminal summary, the 汇总 sheet, the JSON and the web page
    notices: tuple["Reason", ...] = ()
    #: the optional sheets the workbook does not have
    absent_sheets: tuple[str, ...] = ()
    #: the workbook has a history sheet (已兑现奖励): without it (and without a ledger) repeat payments and
    #: top-ups cannot be checked, and the summary says so
    history_given: bool = True


# --------------------------------------------------------------------------- output

Status = Literal["awarded", "reduced", "ineligible", "pending", "honor_only"]
STATUSES: tuple[str, ...] = ("awarded", "reduced", "ineligible", "pending", "honor_only")


class Reason(Frozen):
    code: str
    message: str


class HqFacts(Frozen):
    """What a 第5条 line was computed from: the recognition date, the reward year k, the share and the year's
    地方财政贡献 (kept on the line so the ledger can forecast the remaining reward years)."""

    recognised_on: dt.date  # 落户认定日期
    reward_year_index: int  # k = Y − year(落户认定日期) + 1
    rate: Decimal | None  # the share of the contribution for year k (None: k outside the reward period)
    fiscal_contribution: Decimal  # 地方财政贡献(元) of the reward year


class Line(Frozen):
    """The decision on one claim row."""

    claim_id: str
    sheet: str
    row: int | None
    credit_code: str
    company_name: str
    category_code: str
    category_label: str
    measure: int | None
    article: str
    subject: str
    status: Status
    standard_amount: Decimal
    entitlement: Decimal  # after history and other policies, before the cap
    payable: Decimal
    payers: dict[str, Decimal] = Field(default_factory=dict)
    reasons: tuple[Reason, ...] = ()
    hq: HqFacts | None = None  # 第5条 lines only


class CompanySummary(Frozen):
    credit_code: str
    company_name: str
    region: str
    valid: bool = True
    local_retained_tax: Decimal | None
    paid_in_year: Decimal = Decimal("0")  # already paid for the same reward year (history): uses the cap
    requested: Decimal  # sum of the standard amounts of its money claims
    entitled: Decimal  # sum of entitlements before the cap
    payable: Decimal
    capped: bool
    preconditions: tuple[Reason, ...] = ()  # failed preconditions (G)


class DepositLine(Frozen):
    credit_code: str
    company_name: str
    project: str
    settlement_amount: Decimal | None
    credit_score: Decimal | None
    rate: Decimal | None
    base_deposit: Decimal | None
    old_deposit: Decimal | None
    deposit: Decimal | None
    saving: Decimal | None
    status: Literal["ok", "pending"] = "ok"
    note: str
    sheet: str = "质量保证金"
    row: int | None = None


class Clawback(Frozen):
    credit_code: str
    company_name: str
    category_code: str
    category_label: str
    subject: str
    reward_year: int
    paid_on: dt.date
    amount: Decimal
    payers: dict[str, Decimal] = Field(default_factory=dict)
    reason_code: str
    message: str


class Totals(Frozen):
    payable: Decimal
    by_payer: dict[str, Decimal]
    by_measure: dict[str, Decimal]
    by_status: dict[str, int]
    by_payer_measure: dict[str, dict[str, Decimal]] = Field(default_factory=dict)
    clawback: Decimal = Decimal("0")


class PolicyRef(Frozen):
    id: str
    number: str
    title: str
    issued: dt.date
    validity_start: dt.date
    validity_end: dt.date


class Result(Frozen):
    policy: PolicyRef
    year: int
    input_sha256: str
    parameters: dict
    lines: Many[Line]  # Rows from the engine: one column per field
    companies: Many[CompanySummary]
    deposits: Many[DepositLine]
    clawbacks: tuple[Clawback, ...]
    totals: Totals
    issues: tuple[Issue, ...]
    interpretations: tuple[Any, ...] = ()  # subsidy.params.Interpretation: the 口径 in force
    #: warnings about the run as a whole (absent sheets, columns not read, a year with nothing in it)
    notices: tuple[Reason, ...] = ()
Batch.model_rebuild()
