"""Policy packs: one folder per policy document. The registry below is the list of plug-ins.

A second city's policy is a new folder here with its own YAML and measure modules, and one line in PACKS.
"""
from __future__ import annotations

import importlib
from functools import cache

from subsidy.errors import UnknownPolicy
from subsidy.policy import PolicyPack

#: policy id → module that builds its pack (module attribute PACK)
PACKS: dict[str, str] = {
    "jdz-2023": "policies.jdz_2023",
}
DEFAULT = "jdz-2023"


@cache
def get_pack(policy_id: str = DEFAULT) -> PolicyPack:
    if policy_id not in PACKS:
        raise UnknownPolicy(f"没有编号为“{policy_id}”的政策（可用：{'、'.join(PACKS)}）")
    return importlib.import_module(PACKS[policy_id]).PACK
