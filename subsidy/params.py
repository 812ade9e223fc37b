"""Interpretation parameters (口径, SPEC 3): defaults from the policy pack, overrides from --config TOML."""
from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from .errors import ConfigError
from .policy import PolicyPack

CHOICES = {
    "tier_upgrade": ("top_up", "full"),
    "cap_allocation": ("proportional", "priority"),
    "cap_period": ("year",),
    "hq_after_expiry": ("continue", "stop"),
    "history_scope": ("since_validity", "all"),
    "co_winners": ("review", "each"),
}
KEYS = ("min_credit_score", "tier_upgrade", "cap_allocation", "cap_period", "city_share", "hq_after_expiry",
        "validity", "history_scope", "co_winners")

#: what a user reads for each parameter and each choice (口径说明, `subsidy policy`, the web): Chinese first, the
#: TOML key after it in brackets
LABELS = {
    "min_credit_score": "信用评价分下限",
    "tier_upgrade": "升级奖励兑现方式",
    "cap_allocation": "封顶分配方式",
    "cap_period": "封顶期间",
    "city_share": "受益财政中市财政承担比例",
    "hq_after_expiry": "政策到期后的总部迁入奖励",
    "validity": "政策有效期",
    "history_scope": "计入的已兑现奖励",
    "co_winners": "同一奖项多家企业申报",
}
CHOICE_LABELS = {
    "top_up": "补差",
    "full": "全额",
    "proportional": "按比例（最大余数法）",
    "priority": "按条款顺序",
    "year": "按奖励年度",
    "continue": "继续兑现",
    "stop": "停止兑现",
    "since_validity": "本措施施行后按本措施兑现的",
    "all": "全部",
    "review": "待住建局认定",
    "each": "各自全额奖励",
}


class Parameters(BaseModel):
    model_config = ConfigDict(frozen=True)

    min_credit_score: Decimal
    tier_upgrade: str
    cap_allocation: str
    cap_period: str
    city_share: dict[str, Decimal]
    hq_after_expiry: str
    history_scope: str
    co_winners: str
    validity_start: dt.date
    validity_end: dt.date

    def as_json(self) -> dict[str, Any]:
        return {
            "min_credit_score": str(self.min_credit_score),
            "tier_upgrade": self.tier_upgrade,
            "cap_allocation": self.cap_allocation,
            "cap_period": self.cap_period,
            "city_share": {k: str(v) for k, v in self.city_share.items()},
            "hq_after_expiry": self.hq_after_expiry,
            "validity": [self.validity_start.isoformat(), self.validity_end.isoformat()],
            "history_scope": self.history_scope,
            "co_winners": self.co_winners,
        }


def defaults(pack: PolicyPack) -> Parameters:
    d = pack.interpretation
    share = {r: Decimal(d["city_share_default"]["value"]) for r in pack.regions}
    share[pack.city_region] = Decimal(d["city_share_city"]["value"])
    return Parameters(
        min_credit_score=Decimal(d["min_credit_score"]["value"]),
        tier_upgrade=d["tier_upgrade"]["value"],
        cap_allocation=d["cap_allocation"]["value"],
        cap_period=d["cap_period"]["value"],
        city_share=share,
        hq_after_expiry=d["hq_after_expiry"]["value"],
        history_scope=d["history_scope"]["value"],
        co_winners=d["co_winners"]["value"],
        validity_start=pack.validity_start,
        validity_end=pack.validity_end,
    )


def _decimal(name: str, v: Any) -> Decimal:
    if isinstance(v, bool) or not isinstance(v, (int, Decimal, str)):
        raise ConfigError(f"配置项 {name} 的值“{v}”不是数字")
    try:
        d = Decimal(str(v).strip())
    except InvalidOperation:
        raise ConfigError(f"配置项 {name} 的值“{v}”不是数字") from None
    if not d.is_finite():
        raise ConfigError(f"配置项 {name} 的值“{v}”不是数字")
    return d


def _date(name: str, v: Any) -> dt.date:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    try:
        return dt.date.fromisoformat(str(v).strip())
    except ValueError:
        raise ConfigError(f"配置项 {name} 的值“{v}”不是日期（应为 YYYY-MM-DD）") from None


def apply(base: Parameters, raw: dict[str, Any], pack: PolicyPack) -> Parameters:
    """Overrides on top of ``base``; an unknown key or a bad value raises ConfigError."""
    out = base.model_dump()
    for key, v in raw.items():
        if key not in KEYS:
            raise ConfigError(f"配置文件中有未知的配置项“{key}”（可用：{'、'.join(KEYS)}）")
        if key in CHOICES:
            if v not in CHOICES[key]:
                raise ConfigError(f"配置项 {key} 的值“{v}”无效（可选：{'、'.join(CHOICES[key])}）")
            out[key] = v
        elif key == "min_credit_score":
            out[key] = _decimal(key, v)
        elif key == "city_share":
            if not isinstance(v, dict):
                raise ConfigError(f"配置项 city_share 应为按注册地的表（[city_share] 下写 \"珠山区\" = 0.3），实为“{v}”")
            share = dict(out["city_share"])
            for region, x in v.items():
                if region not in pack.regions:
                    raise ConfigError(
                        f"配置项 city_share 中的注册地“{region}”不是本市的注册地（可用：{'、'.join(pack.regions)}）")
                d = _decimal(f"city_share.{region}", x)
                if not Decimal(0) <= d <= Decimal(1):
                    raise ConfigError(f"配置项 city_share.{region} 的值“{x}”应在 0 到 1 之间")
                if region == pack.city_region and d != 1:
                    raise ConfigError(f"配置项 city_share.{region} 的值“{x}”无效：{region}企业的受益财政就是"
                                      f"{pack.city_treasury}，只能为 1")
                share[region] = d
            out["city_share"] = share
        elif key == "validity":
            if isinstance(v, dict) and set(v) == {"start", "end"}:
                start, end = v["start"], v["end"]
            elif isinstance(v, list) and len(v) == 2:
                start, end = v
            else:
                raise ConfigError(f"配置项 validity 应为两个日期 [开始, 结束] 或 {{start, end}}，实为“{v}”")
            s, e = _date("validity", start), _date("validity", end)
            if e < s:
                raise ConfigError(f"配置项 validity 的结束日期 {e} 早于开始日期 {s}")
            out["validity_start"], out["validity_end"] = s, e
    return Parameters(**out)


def load(path: str | Path | None, pack: PolicyPack) -> Parameters:
    """The parameters in force: the pack's defaults, then the TOML file's overrides."""
    base = defaults(pack)
    if path is None:
        return base
    from .errors import UnreadableInput
    from .paths import read_input

    p = Path(path)
    try:  # a regular file of at most 1 MB: a FIFO or /dev/zero named as --config must not hang or fill memory
        text = read_input(p, max_bytes=1 << 20, what="配置文件").decode("utf-8")
    except UnreadableInput as e:
        raise ConfigError(str(e)) from None
    except UnicodeDecodeError:
        raise ConfigError(f"配置文件 {p} 不是 UTF-8 编码的文本，请另存为 UTF-8") from None
    try:
        raw = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as e:
        from .tomlerrors import describe

        raise ConfigError(f"配置文件 {p} {describe(e, text)}") from None
    return apply(base, raw, pack)


@dataclass(frozen=True, slots=True)
class Interpretation:
    """One 口径 parameter in force, as users read it: Chinese name and value, the TOML key and raw value, why."""

    key: str
    label: str
    value: str
    value_label: str
    why: str

    @property
    def title(self) -> str:
        """信用评价分下限（min_credit_score）"""
        return f"{self.label}（{self.key}）"


def interpretations(params: Parameters, pack: PolicyPack) -> tuple[Interpretation, ...]:
    """The 口径 in force, for the 口径说明 sheet, `subsidy policy`, the web page and the audit."""
    d = pack.interpretation
    share = "；".join(f"{r} {v}" for r, v in params.city_share.items())
    validity = f"{params.validity_start} 至 {params.validity_end}"
    rows = (
        ("min_credit_score", str(params.min_credit_score), f"{params.min_credit_score} 分",
         d["min_credit_score"]["why"]),
        ("tier_upgrade", params.tier_upgrade, None, d["tier_upgrade"]["why"]),
        ("cap_allocation", params.cap_allocation, None, d["cap_allocation"]["why"]),
        ("cap_period", params.cap_period, None, d["cap_period"]["why"]),
        ("city_share", share, share, d["city_share_default"]["why"] + "；" + d["city_share_city"]["why"]),
        ("hq_after_expiry", params.hq_after_expiry, None, d["hq_after_expiry"]["why"]),
        ("validity", validity, validity, pack.validity_reference),
        ("history_scope", params.history_scope, None, d["history_scope"]["why"]),
        ("co_winners", params.co_winners, None, d["co_winners"]["why"]),
    )
    return tuple(Interpretation(key=k, label=LABELS[k], value=v, value_label=shown or CHOICE_LABELS[v], why=why)
                 for k, v, shown, why in rows)
