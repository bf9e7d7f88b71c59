"""The personal-data inventory: which fields of which stored events are personal, whose they are,
who may read them and how long they are kept. Code (the encrypting mapper), tests and
docs/privacy.md all read this one table.

A field is a path into the stored event's state: `contact.phone` is the `phone` member of the
`contact` mapping; `findings[].problem` is the `problem` member of every item of the `findings`
list. Each field is encrypted on its own, so the rest of a record (amounts, rules, dates, ids)
stays readable and every stream stays replayable after the person's key is destroyed; the field
then reads as `ERASED`.

`subject` says whose data key protects the fields:
- `stream`: the stream's id is the person's id (an expert's pool record);
- `index:<path>`: the person found (or made) through the keyed index from the ID number at
  <path> (a unit's contact);
- `record`: the person the keystore holds for this stream, made on the stream's first personal
  write (a case's talent: one case, one talent).
"""
from __future__ import annotations

from dataclasses import dataclass

ERASED = "erased"   # how a personal field reads once its person's data key is destroyed


@dataclass(frozen=True)
class PersonalEvent:
    service: str
    event: str                   # the event class's qualified name: `Unit.Registered`
    fields: tuple[str, ...]
    subject: str                 # stream | record | index:<path>
    person: str                  # who the person is, in words
    readers: str                 # who may read the fields (see docs/reference.md's authorisation table)
    retention: str


CONTACT = ("contact.name", "contact.phone", "contact.id_number")
UNIT_CONTACT = dict(subject="index:contact.id_number", person="a unit's contact person",
                    readers="the unit's own contacts, officers, auditors",
                    retention="while the unit is registered, then the programme's archive period")
EXPERT = dict(subject="stream", person="a recommended expert (programme B)",
              readers="officers and auditors; the recommending unit's contacts",
              retention="while the expert is in the pool or holds a placement, then the archive period")
TALENT = dict(subject="record", person="the talent a case is filed for (programme A)",
              readers="the filing unit's contacts, officers, reviewers assigned to the case, auditors",
              retention="the case's term and its recovery period, then the archive period")

INVENTORY: tuple[PersonalEvent, ...] = (
    PersonalEvent("registration", "Unit.Registered", CONTACT, **UNIT_CONTACT),
    PersonalEvent("registration", "Unit.DetailsUpdated", CONTACT, **UNIT_CONTACT),
    PersonalEvent("registration", "Expert.Recommended", ("name", "id_number", "contact.phone", "contact.email"),
                  **EXPERT),
    PersonalEvent("application", "Case.TalentDeclared", ("talent.name", "talent.birth_date"), **TALENT),
    PersonalEvent("application", "Case.Submitted", ("assessment.checks[].inputs.birth_date",), **TALENT),
    PersonalEvent("application", "Case.PaperDeliveryRecorded", ("delivery.spine_text", "findings[].problem"),
                  **TALENT),
)

# Services that hold no personal field (they learn ids and facts only); they still run a keystore
# and take part in erasure, so a field added later is covered the day it is declared here.
WITHOUT_PERSONAL_DATA = ("review", "funding")


def personal_events(service: str) -> dict[str, PersonalEvent]:
    """The service's personal events by qualified class name."""
    return {entry.event: entry for entry in INVENTORY if entry.service == service}


# -- paths ------------------------------------------------------------------------------------
def locate(state, path: str):
    """Every (container, key) the path names in `state` that holds a value (absent or None skipped)."""
    head, _, rest = path.partition(".")
    many = head.endswith("[]")
    key = head[:-2] if many else head
    if not isinstance(state, dict) or state.get(key) is None:
        return []
    if many:
        items = state[key]
        if not isinstance(items, list):
            return []
        if not rest:
            return [(items, i) for i in range(len(items)) if items[i] is not None]
        return [found for item in items for found in locate(item, rest)]
    if not rest:
        return [(state, key)]
    return locate(state[key], rest)


def copy_along(state: dict, path: str) -> dict:
    """`state` with every mapping and list on the path copied, so values on it can be replaced
    without touching the domain event they came from."""
    head, _, rest = path.partition(".")
    many = head.endswith("[]")
    key = head[:-2] if many else head
    if not isinstance(state, dict) or state.get(key) is None:
        return state
    state = dict(state)
    if many:
        if isinstance(state[key], list):
            state[key] = [copy_along(item, rest) if rest else item for item in state[key]]
    elif rest:
        state[key] = copy_along(state[key], rest)
    return state
