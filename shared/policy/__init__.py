"""Policy data: the figures of each programme's edition, versioned, read from YAML files
beside this module. Code asks for an edition by name and records that name on every
decision it makes, so "which rule, which edition" always has an answer."""
from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from shared.errors import rule_violation
from shared.money import yuan

HERE = Path(__file__).parent


@cache
def edition(name: str) -> dict:
    path = HERE / f"{name}.yaml"
    if not path.exists():
        raise KeyError(f"no policy edition {name!r} in {HERE}")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if data.get("edition") != name:
        raise ValueError(f"{path} declares edition {data.get('edition')!r}, not {name!r}")
    return data


CURRENT = {"A": "changju-2024", "B": "vice-president-2.0"}


def category_cap_fen(policy: dict, category: str = "outstanding") -> int:
    """The award cap of a 昌聚 category, in fen; refuses a category whose amount the edition lacks."""
    cap = policy["categories"].get(category, {}).get("award_cap_yuan")
    if cap is None:
        raise rule_violation("A.category.award_cap", f"the edition {policy['edition']} holds no award amount "
                             f"for category {category!r}", fields={"category": ["no award amount in policy"]})
    return yuan(cap)


def current(programme: str) -> dict:
    return edition(CURRENT[programme])
