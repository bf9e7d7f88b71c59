"""Finds personal data in what leaves a service (integration events, `events_after`, log lines): by
field name and by pattern. Used by the contract tests (every registered event schema, every event
the stories publish) and by the integration walk (events and log lines of running services).

- by name: a field called like a person's name, ID number, phone, e-mail, birth date or contact,
  or the paper copies' spine text ("unit name + talent name");
- by pattern, in any string: an 18-digit resident ID number whose check character holds (GB 11643,
  ISO 7064 MOD 11-2), a mainland mobile number (1[3-9] and nine digits), and the personal values
  the samples send (the talent's, the expert's and the contact's names);
- a birth date is found by name (`birth_date`, `born_on`, …) wherever it sits.

`name` is personal except where the record is a unit (a company or institution's name): the
`registration.unit.*` events carry the unit's registered name.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from services import samples

PERSONAL_FIELDS = frozenset({
    "name", "talent_name", "expert_name", "person_name", "full_name", "contact_name",
    "id_number", "id_card", "passport_number",
    "phone", "mobile", "telephone", "email",
    "birth_date", "birthday", "born_on", "date_of_birth",
    "contact", "talent", "spine_text",
})
UNIT_EVENTS = ("registration.unit.",)          # their `name` is the unit's registered name

ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx])(?![0-9A-Za-z])")
MOBILE = re.compile(r"(?<![0-9A-Za-z])(1[3-9]\d{9})(?![0-9A-Za-z])")
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"
KNOWN_VALUES = (samples.TALENT_NAME, samples.EXPERT_NAME, *samples.CONTACT.values(),
                samples.expert_recommendation("x")["contact"]["phone"], "110108197805120031")


def id_number_holds(candidate: str) -> bool:
    """Whether the 18th character is the check character of the first 17 digits."""
    return CHECK[sum(int(d) * w for d, w in zip(candidate[:17], WEIGHTS)) % 11] == candidate[17].upper()


def valid_id_number(first17: str) -> str:
    """A well-formed ID number (for tests that must recommend distinct experts)."""
    return first17 + CHECK[sum(int(d) * w for d, w in zip(first17, WEIGHTS)) % 11]


def in_text(text: str) -> list[str]:
    """What in a free text looks like personal data."""
    found = [f"ID number {m}" for m in ID_NUMBER.findall(text) if id_number_holds(m)]
    found += [f"mobile number {m}" for m in MOBILE.findall(text)]
    found += [f"a sample's personal value {v}" for v in KNOWN_VALUES if v in text]
    return found


def in_value(value, path: str = "", *, allow_name: bool = False) -> list[str]:
    """Every personal field (by name) and personal-looking string (by pattern) in a JSON value."""
    found = []
    if isinstance(value, dict):
        for key, inner in value.items():
            where = f"{path}.{key}" if path else str(key)
            if str(key).lower() in PERSONAL_FIELDS and not (allow_name and key == "name"):
                found.append(f"{where}: a personal field")
            found += in_value(inner, where, allow_name=allow_name)
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            found += in_value(inner, f"{path}[{i}]", allow_name=allow_name)
    elif isinstance(value, str):
        found += [f"{path}: {what}" for what in in_text(value)]
    return found


def in_envelope(envelope: dict) -> list[str]:
    allow = str(envelope.get("type", "")).startswith(UNIT_EVENTS)
    where = f"{envelope.get('type')}#{envelope.get('sequence')}"
    return [f"{where} {problem}" for problem in in_value(envelope, allow_name=allow)]


def in_envelopes(envelopes: Iterable[dict]) -> list[str]:
    return [problem for envelope in envelopes for problem in in_envelope(envelope)]


def in_log_lines(text: str) -> list[str]:
    """Every log line holding personal data: JSON lines by field name and pattern, any other line
    (a traceback) by pattern."""
    import json
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        try:
            value = json.loads(line)
        except ValueError:
            value = line
        found += [f"line {number}: {problem}" for problem in
                  (in_value(value) if isinstance(value, dict) else in_text(line))]
    return found
