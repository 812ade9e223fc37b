"""What the engine needs from a policy pack, and the dated-data helpers packs are built from.

A pack lives in ``policies/<id>/``: its amounts and dates are dated YAML, its modules (one per measure)
quote the article they encode and give the engine the few functions that are policy-specific
(preconditions, the computed HQ reward, the deposit rate, the messages). The engine itself
(``subsidy.engine``) is the ordered pipeline of SPEC 2.2 and knows no article of any city.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Literal

import yaml

if TYPE_CHECKING:  # pragma: no cover
    from .models import Company, HqClaim, Reason
    from .params import Parameters


@dataclass(frozen=True)
class DatedValue:
    """A value in force from a date until the next entry, each entry with its article reference."""

    entries: tuple[tuple[dt.date, Any, str], ...]

    @classmethod
    def from_yaml(cls, raw: dict) -> "DatedValue":
        entries = []
        for day, body in sorted(raw.items(), key=lambda kv: _as_date(kv[0])):
            entries.append((_as_date(day), _as_value(body["value"]), str(body.get("reference", ""))))
        return cls(tuple(entries))

    def entry(self, day: dt.date) -> tuple[dt.date, Any, str]:
        """The entry in force on ``day``; before the first entry, the first one (the policy's own start)."""
        chosen = self.entries[0]
        for e in self.entries:
            if e[0] <= day:
                chosen = e
        return chosen

    def at(self, day: dt.date) -> Any:
        return self.entry(day)[1]

    def reference(self, day: dt.date) -> str:
        return self.entry(day)[2]


def _as_date(x: Any) -> dt.date:
    return x if isinstance(x, dt.date) else dt.date.fromisoformat(str(x))


def _as_value(v: Any) -> Any:
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, str)) and not isinstance(v, bool):
        try:
            return Decimal(str(v))
        except Exception:  # noqa: BLE001 - a non-numeric string stays text
            return v
    if isinstance(v, float):  # YAML floats are read through their text, never used as float
        return Decimal(repr(v))
    if isinstance(v, dict):
        return {k: _as_value(x) for k, x in v.items()}
    if isinstance(v, list):
        return tuple(_as_value(x) for x in v)
    return v


def load_yaml(path: Path) -> dict:
    """A pack's data file, read by libyaml's safe loader when PyYAML has it (ten times faster than the pure-Python
    one, and every command loads the pack), the same safe loader otherwise."""
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=_SAFE_LOADER)


_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, kw_only=True)
class Category:
    """One 奖励类别 of a policy."""

    code: str
    label: str
    aliases: tuple[str, ...] = ()
    measure: int
    family: str | None  # tiers compete within a family (就高); None for honour-only
    key: Literal["company", "subject", "year"]
    tier: int = 0
    payer: Literal["registered", "beneficiary"] | None = None
    amount: DatedValue | None = None
    honour_only: bool = False
    computed: bool = False  # the amount is computed per claim (M5), not a fixed sum
    always_top_up: bool = False  # a higher tier after a lower one is paid the difference whatever tier_upgrade says

    @cached_property
    def article(self) -> str:
        return f"第{self.measure}条"

    def standard_amount(self, day: dt.date) -> Decimal:
        return self.amount.at(day) if self.amount else Decimal("0")

    def reference(self, day: dt.date) -> str:
        return self.amount.reference(day) if self.amount else self.article


def categories_from_yaml(raw: dict) -> tuple[Category, ...]:
    out = []
    for code, c in raw.items():
        out.append(
            Category(
                code=code,
                label=c["label"],
                aliases=tuple(c.get("aliases", ())),
                measure=int(c["measure"]),
                family=c.get("family"),
                key=c.get("key", "company"),
                tier=int(c.get("tier", 0)),
                payer=c.get("payer"),
                amount=DatedValue.from_yaml(c["amount"]) if "amount" in c else None,
                honour_only=bool(c.get("honour_only", False)),
                computed=bool(c.get("computed", False)),
                always_top_up=bool(c.get("always_top_up", False)),
            )
        )
    return tuple(out)


@dataclass(frozen=True, kw_only=True)
class MeasureInfo:
    """One numbered measure of the document (or the general clause): computed or not, and why."""

    number: int | None  # None for the general clause
    title: str
    computed: bool
    why: str
    text: str = ""
    categories: tuple[str, ...] = ()

    @property
    def article(self) -> str:
        return "通用条款" if self.number is None else f"第{self.number}条"


@dataclass(frozen=True)
class HqDecision:
    """What M5 makes of one HQ row in one reward year: an amount, or why not."""

    standard_amount: Decimal
    reward_year_index: int | None  # k
    rate: Decimal | None
    failures: tuple["Reason", ...] = ()
    notes: tuple["Reason", ...] = ()


@dataclass(frozen=True)
class DepositRule:
    """M18 for one company: the rate in force and why."""

    rate: Decimal
    base_rate: Decimal
    old_rate: Decimal
    note: str


@dataclass(frozen=True, kw_only=True)
class PolicyPack:
    """Everything the engine needs from one policy document."""

    id: str
    number: str
    title: str
    issued: dt.date
    validity_start: dt.date
    validity_end: dt.date
    validity_reference: str
    categories: tuple[Category, ...]
    regions: dict[str, str]  # local 注册地 → treasury
    outside_region: str
    city_treasury: str
    city_region: str
    measure_order: tuple[int, ...]  # order of the cap's `priority` allocation
    measures: tuple[MeasureInfo, ...]
    interpretation: dict[str, dict]
    preconditions: Callable[["Company", "Parameters"], list["Reason"]]
    hq_decision: Callable[["HqClaim", int, "Parameters"], HqDecision]
    deposit_rule: Callable[["Company | None", bool, "Parameters"], DepositRule]
    hq_qualifies: Callable[[str, str], bool]
    message: Callable[..., str]
    clawback_reasons: Callable[["Company", "Parameters"], tuple[str, ...]]
    #: a label that could mean several categories → their codes (a row carrying it is refused, naming each)
    ambiguous_labels: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: the choices of the computed (HQ) sheet's enumerated columns, for the template's dropdowns
    hq_modes: tuple[str, ...] = ()
    hq_qualifications: tuple[str, ...] = ()
    #: how many reward years the computed (HQ) reward runs from its recognition year
    hq_period: int = 5
    #: optional: ``message_format(code, measure)`` is ``message`` of that code and measure as a function of the
    #: fields alone (the engine writes one message for thousands of claims: the template is looked up once)
    message_format: Callable[[str, int | None], Callable[..., str]] | None = None

    _by_code: dict[str, Category] = field(init=False, repr=False, compare=False)
    _by_label: dict[str, Category] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        from .text import norm_label

        object.__setattr__(self, "_by_code", {c.code: c for c in self.categories})
        object.__setattr__(self, "_by_label", {norm_label(name): c for c in self.categories
                                               for name in (c.label, *c.aliases)})

    def category(self, code: str) -> Category:
        """The category of ``code`` (KeyError when the policy has none)."""
        return self._by_code[code]

    def category_by_label(self, label: str) -> Category | None:
        """The category whose label or alias reads ``label`` (NFKC, spaces ignored); None when there is none."""
        from .text import norm_label

        return self._by_label.get(norm_label(label))

    def ambiguous_readings(self, label: str) -> tuple[Category, ...]:
        """The categories an ambiguous ``label`` could mean (empty when it is not ambiguous)."""
        from .text import norm_label

        wanted = norm_label(label)
        for text, codes in self.ambiguous_labels.items():
            if norm_label(text) == wanted:
                return tuple(self._by_code[c] for c in codes)
        return ()

    @property
    def computed_category(self) -> Category:
        """The category whose amount is computed per claim (the sheet 总部迁入)."""
        return next(c for c in self.categories if c.computed)

    def treasury(self, region: str) -> str:
        return self.regions[region]

    def treasury_rank(self, treasury: str) -> tuple[int, str]:
        """Sort key that lists treasuries in the pack's own order (the order of its regions); unknown ones last."""
        order = list(dict.fromkeys(self.regions.values()))
        return (order.index(treasury), "") if treasury in order else (len(order), treasury)

    def region_rank(self, region: str) -> tuple[int, str]:
        """Sort key that lists 注册地 in the pack's own order, then 市外, then anything else."""
        order = [*self.regions, self.outside_region]
        return (order.index(region), "") if region in order else (len(order), region)
