"""Policy data: the figures of each programme's editions, read from YAML files. See docs/policy.md.

An **edition** is one YAML file `<edition>.yaml` naming itself (`edition`), its `programme` (A or B),
its `series` (the call or scheme version it belongs to: `changju-2024`, `vice-president-2.0`) and its
`validity` (`from`, `until`: the first and last Beijing date a new decision may use it; null: the
seeds give no such date). A released edition is **frozen**: its folder's `released.sha256` (the
format of `sha256sum`) holds the SHA-256 of its bytes, and loading refuses a folder whose editions
do not match it, naming the file. A change to any figure is a new edition file of the same series
with its own name and `validity.from`; cases decided under an older edition keep it, because every
decision records its edition and figures (shared/policy/figures.py).

The API (small on purpose):

* `edition(name)` — a released edition, by name (what a recorded decision names).
* `in_force(key, on)` — the edition a **new** decision on Beijing date `on` uses: `key` is a series
  (a case's call or scheme) or a programme ("A", "B": the newest series, for new cases). Within a
  series the edition with the latest `from` on or before `on`; refused with
  `policy.edition.not_in_force` when none is, or when `on` is after its `until`.
* `series_of(name)`, `validity(name)`, `editions()` — what the loader knows.
* `configure(folders)` — the shipped folder plus these (the `POLICY_DIRS` setting), verified now: a
  service calls it at start and refuses to start on a `PolicyError`.
* `read_draft(path)` — an edition file parsed and checked, not released (what-if tools).
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from shared.errors import rule_violation
from shared.money import yuan

HERE = Path(__file__).parent
MANIFEST = "released.sha256"
PROGRAMMES = ("A", "B")
NOT_IN_FORCE = "policy.edition.not_in_force"


class PolicyError(RuntimeError):
    """A policy folder is not what was released (a changed or unreleased file, a bad validity):
    the service refuses to start and says which file."""


@dataclass(frozen=True)
class Validity:
    """The Beijing dates a new decision may use an edition: `from` and `until` inclusive; None: the
    seeds give no such date (no bound is checked on that side)."""
    starts_on: date | None
    ends_on: date | None

    def covers(self, day: date) -> bool:
        return (self.starts_on is None or self.starts_on <= day) and (self.ends_on is None or day <= self.ends_on)

    def to_dict(self) -> dict:
        return {"from": _iso(self.starts_on), "until": _iso(self.ends_on)}


@dataclass(frozen=True)
class Edition:
    name: str
    programme: str
    series: str
    validity: Validity
    path: Path
    sha256: str
    data: dict


class Editions:
    """Every released edition of some policy folders, verified against their manifests."""

    def __init__(self, folders):
        self.folders = tuple(Path(f) for f in folders)
        self.by_name: dict[str, Edition] = {}
        for folder in self.folders:
            for found in _released_in(folder):
                if found.name in self.by_name:
                    raise PolicyError(f"{found.path}: edition {found.name!r} is also {self.by_name[found.name].path}")
                self.by_name[found.name] = found
        self._check_series()

    def _check_series(self) -> None:
        starts: dict[tuple[str, object], str] = {}
        programmes: dict[str, str] = {}
        for e in self.by_name.values():
            if programmes.setdefault(e.series, e.programme) != e.programme:
                raise PolicyError(f"{e.path}: series {e.series!r} is programme {programmes[e.series]},"
                                  f" not {e.programme}")
            other = starts.setdefault((e.series, e.validity.starts_on), e.name)
            if other != e.name:
                raise PolicyError(f"{e.path}: editions {other!r} and {e.name!r} of series {e.series!r} both take"
                                  f" effect on {e.validity.starts_on}: give the new one its own validity.from")

    def get(self, name: str) -> Edition:
        try:
            return self.by_name[name]
        except KeyError:
            raise KeyError(f"no released policy edition {name!r} in {', '.join(map(str, self.folders))}") from None

    def in_force(self, key: str, on: date) -> Edition:
        if key in PROGRAMMES:
            candidates = [e for e in self.by_name.values() if e.programme == key]
        else:
            candidates = [e for e in self.by_name.values() if e.series == key]
        if not candidates:
            raise KeyError(f"no released policy edition of {key!r}")
        started = [e for e in candidates if e.validity.starts_on is None or e.validity.starts_on <= on]
        if not started:
            first = min(candidates, key=_start_key)
            raise rule_violation(NOT_IN_FORCE, f"no edition of {key} is in force on {on}: the first, {first.name},"
                                 f" takes effect on {first.validity.starts_on}")
        newest = max(started, key=_start_key)
        if not newest.validity.covers(on):
            raise rule_violation(NOT_IN_FORCE, f"the policy edition {newest.name} was in force until"
                                 f" {newest.validity.ends_on}; no newer edition of {key} is in force on {on}")
        return newest


def _start_key(e: Edition):
    return (e.validity.starts_on or date.min, e.name)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def sha256_of(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def read_manifest(folder: Path) -> dict[str, str]:
    """`released.sha256`: file name -> hex SHA-256 (lines `<hex>  <file>`, as `sha256sum` writes)."""
    path = Path(folder) / MANIFEST
    if not path.exists():
        return {}
    out = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        match = re.fullmatch(r"([0-9a-f]{64}) [ *]([^/\\]+\.yaml)", line.strip())
        if not match:
            raise PolicyError(f"{path}:{number}: not a '<sha256>  <file>.yaml' line")
        out[match.group(2)] = match.group(1)
    return out


def _released_in(folder: Path) -> list[Edition]:
    folder = Path(folder)
    if not folder.is_dir():
        raise PolicyError(f"policy folder {folder} does not exist")
    manifest = read_manifest(folder)
    files = {p.name: p for p in folder.glob("*.yaml")}
    for name in sorted(set(files) - set(manifest)):
        raise PolicyError(f"{files[name]} is not released: a new edition is released by adding its sha256 to"
                          f" {folder / MANIFEST} (released editions are never edited)")
    out = []
    for name, expected in sorted(manifest.items()):
        path = folder / name
        if name not in files:
            raise PolicyError(f"{path} is listed in {folder / MANIFEST} but missing")
        actual = sha256_of(path)
        if actual != expected:
            raise PolicyError(f"{path} changed after its release (sha256 {actual}, released {expected}): a released"
                              " edition is frozen; put the change in a new edition file with its own name and"
                              " validity.from")
        out.append(_parse(path, actual))
    return out


def _parse(path: Path, sha256: str) -> Edition:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise PolicyError(f"{path} is not valid YAML: {error}") from None
    if not isinstance(data, dict):
        raise PolicyError(f"{path} is not a mapping")
    name = data.get("edition")
    if name != path.stem:
        raise PolicyError(f"{path} declares edition {name!r}, not {path.stem!r}")
    if data.get("programme") not in PROGRAMMES:
        raise PolicyError(f"{path}: programme must be one of {PROGRAMMES}")
    if not isinstance(data.get("series"), str) or not data["series"]:
        raise PolicyError(f"{path}: every edition names its series (the call or scheme version it belongs to)")
    raw = data.get("validity")
    if not isinstance(raw, dict) or not {"from", "until"} <= set(raw):
        raise PolicyError(f"{path}: validity needs `from` and `until` (a date, or null where the seed gives none)")
    validity = Validity(_date(path, raw["from"], "validity.from"), _date(path, raw["until"], "validity.until"))
    if validity.starts_on and validity.ends_on and validity.ends_on < validity.starts_on:
        raise PolicyError(f"{path}: validity.until {validity.ends_on} is before validity.from {validity.starts_on}")
    return Edition(name=name, programme=data["programme"], series=data["series"], validity=validity, path=path,
                   sha256=sha256, data=data)


def _date(path: Path, value, where: str) -> date | None:
    if value is None or (isinstance(value, date) and not hasattr(value, "hour")):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise PolicyError(f"{path}: {where} must be a date (YYYY-MM-DD) or null, not {value!r}") from None


# -- the process's editions ---------------------------------------------------------------------------
_editions: Editions | None = None


def configure(folders=()) -> Editions:
    """Load and verify the shipped editions plus those in `folders` (raises PolicyError)."""
    global _editions
    extra = [Path(f) for f in folders if f and Path(f).resolve() != HERE.resolve()]
    _editions = Editions([HERE, *extra])
    return _editions


def editions() -> Editions:
    return _editions or configure()


def edition(name: str) -> dict:
    return editions().get(name).data


def series_of(name: str) -> str:
    return editions().get(name).series


def validity(name: str) -> Validity:
    return editions().get(name).validity


def in_force(key: str, on: date) -> dict:
    """The edition a new decision on `on` uses (see the module's doc); refuses with policy.edition.not_in_force."""
    return editions().in_force(key, on).data


def current(programme: str) -> dict:
    """The newest edition of a programme, whatever the date (tests and tools; decisions use `in_force`)."""
    return max((e for e in editions().by_name.values() if e.programme == programme), key=_start_key).data


def read_draft(path) -> dict:
    """An edition file checked like a released one, without being released (e.g. for a what-if)."""
    path = Path(path)
    return _parse(path, sha256_of(path)).data


def category_cap_fen(policy: dict, category: str = "outstanding") -> int:
    """The award cap of a 昌聚 category, in fen; refuses a category whose amount the edition lacks."""
    cap = policy["categories"].get(category, {}).get("award_cap_yuan")
    if cap is None:
        raise rule_violation("A.category.award_cap", f"the edition {policy['edition']} holds no award amount "
                             f"for category {category!r}", fields={"category": ["no award amount in policy"]})
    return yuan(cap)
