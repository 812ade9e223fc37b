"""景德镇市促进建筑业高质量发展的若干措施（景府办字〔2023〕2号）: the policy pack.

MEASURES is the registry of the measure modules that compute something; each quotes its article.
Amounts, rates and dates are in parameters.yaml (dated, with the article on every value).
"""
from __future__ import annotations

import datetime as dt
from functools import partial
from operator import itemgetter
from string import Formatter
from pathlib import Path
from typing import Callable

from subsidy.policy import MeasureInfo, PolicyPack, categories_from_yaml, load_yaml

from . import general, m02_qualification, m05_hq_relocation, m06_project_honours, m07_prefab_base
from . import m18_quality_deposit, m24_technology
from .not_computed import NOT_COMPUTED

DATA = load_yaml(Path(__file__).with_name("parameters.yaml"))
m05_hq_relocation._configure(DATA["hq_relocation"])
m18_quality_deposit._configure(DATA["quality_deposit"])

#: measure number → module (the plug-ins that compute)
MEASURES = {
    2: m02_qualification,
    5: m05_hq_relocation,
    6: m06_project_honours,
    7: m07_prefab_base,
    18: m18_quality_deposit,
    24: m24_technology,
}

_MESSAGES: dict = dict(general.MESSAGES)
for _m in MEASURES.values():
    _MESSAGES.update(_m.MESSAGES)


def message(code: str, measure: int | None = None, /, **fields) -> str:
    """The Chinese message for a reason code, citing its article; a measure may word it its own way."""
    template = _MESSAGES.get((code, measure)) or _MESSAGES.get(code) or code
    fields.setdefault("article", f"第{measure}条" if measure else "通用条款")
    return template.format(**fields)


def message_format(code: str, measure: int | None = None, /) -> Callable[..., str]:
    """``message(code, measure, **fields)`` as ``message_format(code, measure)(**fields)``: the template and the
    article looked up once (an article among the fields still wins, as in ``message``), and the template parsed once:
    its fields filled by %-formatting, as str.format fills them (str of each value), in half the time — the engine
    writes 50k messages a 100k batch."""
    template = _MESSAGES.get((code, measure)) or _MESSAGES.get(code) or code
    article = f"第{measure}条" if measure else "通用条款"
    parsed = list(Formatter().parse(template))
    fields = tuple(name for _, name, _, _ in parsed if name is not None)
    if not fields or any(name == "" or name.isdigit() or spec or conversion for _, name, spec, conversion in parsed
                         if name is not None):  # nothing to fill, or more than a plain {name}: as message does
        return partial(template.format, article=article)
    filled = "".join(text.replace("%", "%%") + ("%s" if name is not None else "") for text, name, _, _ in parsed)
    pick = itemgetter(*fields) if len(fields) > 1 else (lambda values, name=fields[0]: (values[name],))

    def write(**values) -> str:
        if "article" not in values:
            values["article"] = article
        return filled % pick(values)
    return write


def _measures() -> tuple[MeasureInfo, ...]:
    out = []
    for n in range(1, 25):
        if n in MEASURES:
            mod = MEASURES[n]
            out.append(MeasureInfo(number=n, title=mod.TITLE, computed=True, why="按本工具核算",
                                   text=(mod.__doc__ or "").strip(), categories=tuple(mod.CATEGORIES)))
        else:
            title, why = NOT_COMPUTED[n]
            out.append(MeasureInfo(number=n, title=title, computed=False, why=why))
    out.append(MeasureInfo(number=None, title="适用范围、前提条件、就高不重复、封顶、出资、追缴", computed=True,
                           why="按本工具核算", text=(general.__doc__ or "").strip()))
    return tuple(out)


_doc = DATA["document"]
PACK = PolicyPack(
    id=_doc["id"],
    number=_doc["number"],
    title=_doc["title"],
    issued=_doc["issued"] if isinstance(_doc["issued"], dt.date) else dt.date.fromisoformat(_doc["issued"]),
    validity_start=_doc["validity"]["start"],
    validity_end=_doc["validity"]["end"],
    validity_reference=_doc["validity"]["reference"],
    categories=categories_from_yaml(DATA["categories"]),
    ambiguous_labels={k: tuple(v) for k, v in DATA.get("ambiguous_labels", {}).items()},
    hq_modes=tuple(DATA["hq_relocation"]["modes"]),
    hq_qualifications=tuple(DATA["hq_relocation"]["qualifications"]),
    hq_period=int(DATA["hq_relocation"]["period_years"]),
    regions=dict(DATA["regions"]),
    outside_region=DATA["outside_region"],
    city_treasury=DATA["city_treasury"],
    city_region=DATA["city_region"],
    measure_order=(2, 5, 6, 7, 24),
    measures=_measures(),
    interpretation=DATA["interpretation"],
    preconditions=general.preconditions,
    hq_decision=m05_hq_relocation.hq_decision,
    deposit_rule=m18_quality_deposit.deposit_rule,
    hq_qualifies=m05_hq_relocation.hq_qualifies,
    message=message,
    message_format=message_format,
    clawback_reasons=general.clawback_reasons,
)
