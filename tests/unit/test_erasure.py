"""Erasure through the command path: the operator's command records the legal reason, destroys the
person's keys here, publishes only the person id, and a follower destroys its own keys on it."""
from __future__ import annotations

from uuid import uuid4

import pytest

from services.application.app import ApplicationApplication
from services.application.domain import Case
from services.registration.app import RegistrationApplication
from shared.errors import NotFound
from shared.messaging.inbox import Inbox
from shared.messaging.translate import envelope_of
from shared.privacy import ERASED
from shared.privacy.erasure import ErasePerson, Erasure, erasure_id
from tests.unit.test_expert_pool import form, recommend, run
from tests.unit.unit_helpers import handled, wire

TALENT = {"name": "王晓明", "birth_date": "1972-03-15", "has_contract": True, "months_worked_per_year": 11,
          "field_fits_changping": True, "commits_years": 3}
REASON = "PIPL art. 47: the retention period ended and the talent asked for erasure"


def declared_case(app) -> Case:
    case = Case(programme="A", unit_id=uuid4(), title="t", policy_edition="e")
    case._talent_declared(talent=dict(TALENT), claims=[], category="outstanding", entries={})
    app.save(case)
    return case


def test_an_operator_erases_a_talent_by_their_case_and_the_reason_is_recorded(make_app):
    app = make_app(ApplicationApplication)
    case = declared_case(app)
    person = app.vault.keystore.find_subject(str(case.id))

    result = handled(app, ErasePerson(case_id=case.id, legal_reason=REASON), "ops-1", "operator")

    assert result["person_id"] == person and result["destroyed"]["data_keys"] == 1
    after = app.repository.get(case.id)
    assert (after.talent["name"], after.talent["birth_date"], after.talent["commits_years"]) == (ERASED, ERASED, 3)
    erasure = app.repository.get(erasure_id(person))
    recorded = app.events.get(erasure.id)
    first = next(iter(recorded))
    assert (first.legal_reason, first.meta["actor"]["actor_id"]) == (REASON, "ops-1")
    envelope = envelope_of("application", first)
    assert envelope["type"] == "application.person.Erased" and envelope["payload"] == {"person_id": person}


def test_an_erasure_names_exactly_one_person_and_an_unknown_id_number_is_not_found(make_app):
    app = make_app(RegistrationApplication)
    with pytest.raises(NotFound) as caught:
        handled(app, ErasePerson(id_number="110101199001019999", legal_reason=REASON), "ops-1", "operator")
    assert "110101199001019999" not in str(caught.value)           # the number is not echoed back


def test_an_expert_erased_in_registration_is_erased_in_application_too(make_app):
    registration, application = make_app(RegistrationApplication), make_app(ApplicationApplication)
    expert_id = run(registration, recommend(form()))["expert_id"]
    application.vault.keystore.key_for(expert_id)           # application holds a key for the same person
    handled(registration, ErasePerson(id_number=form()["id_number"], legal_reason=REASON), "ops-1", "operator")

    expert = registration.get_or_none(expert_id)
    assert (expert.name, expert.id_number, expert.contact["phone"]) == (ERASED, ERASED, ERASED)
    assert expert.degree == "phd" and registration.vault.find_person(form()["id_number"]) is None
    erased = next(iter(registration.events.get(erasure_id(expert_id))))
    body = wire({**envelope_of("registration", erased), "position": 1})
    Inbox("application", application, application.inbound_handlers()).accept(body)
    assert not application.vault.keystore.has_key(expert_id)


def test_erasing_again_is_recorded_again(make_app):
    app = make_app(ApplicationApplication)
    person = app.vault.keystore.find_subject(str(declared_case(app).id))
    handled(app, ErasePerson(person_id=person, legal_reason=REASON), "ops-1", "operator")
    handled(app, ErasePerson(person_id=person, legal_reason="again"), "ops-1", "operator")
    erasure = app.repository.get(erasure_id(person))
    assert isinstance(erasure, Erasure) and erasure.erasures == 2
