"""Every event a published stream can record leaves the service under a contract, and no
contract lets personal data out."""
import dataclasses
import importlib
import inspect
from pathlib import Path

import pytest
from eventsourcing.domain import Aggregate

import services
from shared.contracts.events import PAYLOADS, current
from shared.eventstore.aggregate import Stream
from shared.privacy.erasure import Erasure

ERASING_SERVICES = ("registration", "application")

SERVICES_DIR = Path(services.__file__).parent
SERVICE_NAMES = sorted(p.parent.name for p in SERVICES_DIR.glob("*/domain.py"))
PERSONAL_FIELDS = {"contact", "phone", "id_number", "id_card", "mobile", "email", "address"}


def aggregates_of(service: str) -> list[type[Stream]]:
    """Every aggregate defined in the service's package (domain.py and modules beside it)."""
    found = []
    for path in sorted((SERVICES_DIR / service).glob("*.py")):
        if path.stem in ("service", "__init__"):
            continue   # the nameko module: no aggregates, and importing it is not needed
        module = importlib.import_module(f"services.{service}.{path.stem}")
        found += [cls for _, cls in inspect.getmembers(module, inspect.isclass)
                  if issubclass(cls, Stream) and cls.__module__ == module.__name__]
    return found


def event_classes_of(aggregate: type[Stream]) -> list[type]:
    """The events an aggregate can record (eventsourcing nests them: Case.Filed).

    eventsourcing also defines `Event` and `Created` bases on every aggregate class; `Created`
    is only recorded when the aggregate does not name its own creation event.
    """
    nested = [value for value in vars_of(aggregate)
              if isinstance(value, type) and issubclass(value, aggregate.Event) and value is not aggregate.Event]
    named_creations = [c for c in nested if issubclass(c, Aggregate.Created) and c is not aggregate.Created]
    return [c for c in nested if not (c is aggregate.Created and named_creations)]


def vars_of(cls: type):
    return (getattr(cls, name) for name in dir(cls))


PUBLISHED = [(service, agg) for service in SERVICE_NAMES for agg in aggregates_of(service) if agg.PUBLISHED]
# the erasure stream is shared (shared/privacy/erasure.py); the services that take erasures record it
PUBLISHED += [(service, Erasure) for service in ERASING_SERVICES]
PUBLISHED_EVENTS = [(service, agg, ev) for service, agg in PUBLISHED for ev in event_classes_of(agg)]


def test_discovery_finds_the_known_published_streams():
    """Guards the walk itself: an empty discovery would make the coverage test vacuous."""
    found = {f"{service}.{agg.STREAM}" for service, agg in PUBLISHED}
    assert {"registration.unit", "application.case", "review.case_review", "funding.case_funding",
            "funding.placement_funding"} <= found
    assert ("application", "UnitStanding") not in {(s, a.__name__) for s, a in PUBLISHED}


@pytest.mark.parametrize("service, aggregate", PUBLISHED, ids=lambda v: getattr(v, "__name__", v))
def test_published_aggregates_name_their_stream(service, aggregate):
    assert aggregate.STREAM, f"{aggregate.__name__} is published but has no STREAM name"


@pytest.mark.parametrize("service, aggregate, event_class", PUBLISHED_EVENTS,
                         ids=lambda v: getattr(v, "__name__", v))
def test_every_published_event_has_an_integration_contract(service, aggregate, event_class):
    version, schema = current(f"{service}.{aggregate.STREAM}.{event_class.__name__}")
    assert version >= 1 and schema is not None


@pytest.mark.parametrize("service, aggregate, event_class", PUBLISHED_EVENTS,
                         ids=lambda v: getattr(v, "__name__", v))
def test_every_required_payload_field_is_on_the_domain_event(service, aggregate, event_class):
    """The relay dumps the payload from the event's attributes: a field the event lacks would
    be silently absent, and every consumer would then refuse the envelope."""
    _, schema = current(f"{service}.{aggregate.STREAM}.{event_class.__name__}")
    required = {name for name, field in schema.fields.items() if field.required}
    assert required <= {f.name for f in dataclasses.fields(event_class)}


def test_every_contract_belongs_to_an_event_that_exists():
    """A contract whose event was renamed would never be used, and the real event would have none."""
    recordable = {f"{s}.{a.STREAM}.{e.__name__}" for s, a, e in PUBLISHED_EVENTS}
    orphans = {event_type for event_type, _ in PAYLOADS} - recordable
    assert not orphans


def test_creation_events_are_discovered():
    names = {e.__qualname__ for _, _, e in PUBLISHED_EVENTS}
    assert {"Unit.Registered", "Case.Filed", "CaseReview.Opened", "CaseFunding.Opened"} <= names
    assert not any(name.endswith(".Created") for name in names)


@pytest.mark.parametrize("key", sorted(PAYLOADS), ids=lambda k: f"{k[0]}.v{k[1]}")
def test_no_integration_payload_carries_personal_fields(key):
    assert not set(PAYLOADS[key]().fields) & PERSONAL_FIELDS


def test_unit_registered_leaves_the_contact_behind():
    from services.registration.domain import Unit

    assert "contact" in inspect.signature(Unit.__init__).parameters   # the domain event does carry it ...
    _, schema = current("registration.unit.Registered")
    assert "contact" not in schema.fields                               # ... the contract does not
