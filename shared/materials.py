"""Programme A materials: checklists of what a unit and a talent must attach. Pure domain.

Documents are referenced (hash, size, media type, where they are stored), never carried as bytes.

Seed clauses (000_9e0f4b4d776a3228.txt), items marked * are mandatory (注：标有“*”的项目为必要提交材料):
  二(二)1  system registration materials — the tax certificate only for enterprises and financial
           institutions (高校、科研机构无需提供)
  二(二)2  materials the applying unit provides
  二(二)3  the talent's materials; awards, patents, projects, standards and papers 须与系统填报顺序保持一致
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from shared.contracts.application import MEDIA_TYPES
from shared.errors import validation_error

ALLOWED_MEDIA_TYPES = frozenset(MEDIA_TYPES)
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Document:
    """A reference to one stored document attached under a material ``code``. ``entry_id`` links it to
    the system entry (an award, a patent …) it evidences, for the ordered materials."""
    code: str
    sha256: str
    size_bytes: int
    media_type: str
    storage_uri: str
    entry_id: str | None = None

    def __post_init__(self):
        problems: dict[str, list[str]] = {}
        if not isinstance(self.code, str) or not self.code.strip():
            problems["code"] = ["must not be empty"]
        if not isinstance(self.sha256, str) or not _SHA256.fullmatch(self.sha256.lower()):
            problems["sha256"] = ["must be 64 hexadecimal characters"]
        if not isinstance(self.size_bytes, int) or isinstance(self.size_bytes, bool) or self.size_bytes <= 0:
            problems["size_bytes"] = ["must be a positive whole number of bytes"]
        if self.media_type not in ALLOWED_MEDIA_TYPES:
            problems["media_type"] = [f"must be one of {', '.join(sorted(ALLOWED_MEDIA_TYPES))}"]
        if not isinstance(self.storage_uri, str) or not self.storage_uri.strip():
            problems["storage_uri"] = ["must not be empty"]
        if problems:
            raise validation_error(problems, "invalid document reference")
        object.__setattr__(self, "sha256", self.sha256.lower())


@dataclass(frozen=True)
class ChecklistItem:
    section: str          # "unit_application" (二(二)2) or "talent" (二(二)3) or "registration" (二(二)1)
    code: str
    title: str
    mandatory: bool       # for this unit type
    present: bool
    ordered_as_entered: bool = False


def _unit_type(policy: dict, unit_type: str) -> str:
    if unit_type not in policy["unit"]["types"]:
        raise validation_error({"unit_type": [f"must be one of {', '.join(policy['unit']['types'])}"]})
    return unit_type


def _mandatory(entry: dict, unit_type: str) -> bool:
    return bool(entry.get("mandatory")) and unit_type not in entry.get("exempt_unit_types", ())


def _item(section: str, entry: dict, unit_type: str, present_codes: set[str]) -> ChecklistItem:
    return ChecklistItem(section, entry["code"], entry["title"], _mandatory(entry, unit_type),
                         entry["code"] in present_codes, bool(entry.get("ordered_as_entered")))


def _refuse_unknown(codes: Iterable[str], known: set[str], name: str) -> None:
    unknown = sorted(set(codes) - known)
    if unknown:
        raise validation_error({name: [f"unknown material code {code!r}" for code in unknown]})


# ---------------------------------------------------------------- application materials

def _application_entries(policy: dict) -> list[tuple[str, dict]]:
    return ([("unit_application", e) for e in policy["unit"]["application_materials"]] +
            [("talent", e) for e in policy["talent"]["materials"]])


def checklist(policy: dict, unit_type: str, attached: Mapping[str, Sequence[Document]]) -> list[ChecklistItem]:
    """The unit's application materials then the talent's, each marked mandatory (for this unit type)
    and present (at least one document attached under its code)."""
    _unit_type(policy, unit_type)
    entries = _application_entries(policy)
    _refuse_unknown(attached, {e["code"] for _, e in entries}, "attached")
    for code, documents in attached.items():
        stray = [d.code for d in documents if d.code != code]
        if stray:
            raise validation_error({f"attached.{code}": [f"holds a document coded {c!r}" for c in stray]})
    present = {code for code, documents in attached.items() if documents}
    return [_item(section, e, unit_type, present) for section, e in entries]


def missing_mandatory(policy: dict, unit_type: str, attached: Mapping[str, Sequence[Document]]) -> list[str]:
    """Codes of the mandatory application materials with nothing attached, in checklist order."""
    return [i.code for i in checklist(policy, unit_type, attached) if i.mandatory and not i.present]


# ---------------------------------------------------------------- unit registration materials

def registration_checklist(policy: dict, unit_type: str, attached_codes: Iterable[str]) -> list[ChecklistItem]:
    """二(二)1: the unit's system-registration materials; the tax certificate is exempt for universities and
    research institutes (as the edition's ``exempt_unit_types`` says)."""
    _unit_type(policy, unit_type)
    entries = policy["unit"]["registration_materials"]
    codes = set(attached_codes)
    _refuse_unknown(codes, {e["code"] for e in entries}, "attached_codes")
    return [_item("registration", e, unit_type, codes) for e in entries]


def registration_missing_mandatory(policy: dict, unit_type: str, attached_codes: Iterable[str]) -> list[str]:
    return [i.code for i in registration_checklist(policy, unit_type, attached_codes) if i.mandatory and not i.present]


# ---------------------------------------------------------------- attached in the order entered

@dataclass(frozen=True)
class OrderCheck:
    """Whether attachments follow the order of the entries recorded in the system (二(二)3(9)–(13)).
    Several consecutive documents may evidence one entry (a paper's cover, contents and pages)."""
    unknown: tuple[str | None, ...]      # attachments naming no entered entry
    out_of_order: tuple[str, ...]        # attachments placed before an entry entered earlier
    unattached: tuple[str, ...]          # entries with no attachment (not an ordering fault)

    @property
    def in_order(self) -> bool:
        return not self.unknown and not self.out_of_order


def attachment_order(entered_ids: Sequence[str], attached_entry_ids: Sequence[str | None]) -> OrderCheck:
    """Attachments are in order when the entry positions they name never go back."""
    position = {entry: n for n, entry in enumerate(entered_ids)}
    if len(position) != len(entered_ids):
        raise validation_error({"entered_ids": ["an entry id appears twice"]})
    unknown, out_of_order, furthest = [], [], -1
    for entry in attached_entry_ids:
        if entry not in position:
            unknown.append(entry)
        elif position[entry] < furthest:
            out_of_order.append(entry)
        else:
            furthest = position[entry]
    seen = set(attached_entry_ids)
    return OrderCheck(tuple(unknown), tuple(out_of_order), tuple(e for e in entered_ids if e not in seen))


def ordered_materials(policy: dict, entered: Mapping[str, Sequence[str]],
                      attached: Mapping[str, Sequence[Document]]) -> dict[str, OrderCheck]:
    """For each ``ordered_as_entered`` talent material: its documents against the entries of that kind."""
    return {e["code"]: attachment_order(entered.get(e["code"], ()),
                                        [d.entry_id for d in attached.get(e["code"], ())])
            for e in policy["talent"]["materials"] if e.get("ordered_as_entered")}
