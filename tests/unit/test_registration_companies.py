"""Programme B's companies: Changping technology companies (昌平区科技型企业) are registered units that
declare it; only an enterprise may. `registration.unit.Registered` / `DetailsUpdated` v2 carry it."""
from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime
from uuid import UUID

import pytest

from shared import policy
from services.registration import commands as registering
from shared.contracts import registration as contracts
from shared.contracts.base import load
from shared.contracts.envelope import load_envelope
from shared.contracts.events import CURRENT_VERSION, payload_schema
from shared.errors import Refused
from shared.messaging.translate import envelopes_after

from services.registration.app import RegistrationApplication
from services.registration.domain import Unit, unit_id_for
from tests.unit.unit_helpers import handled, unit_details

POLICY_A = policy.current("A")
IN_WINDOW = date(2024, 10, 1)


def register_with(**overrides) -> Unit:
    details = unit_details(**overrides)
    return Unit.register(unit_id_for(details["credit_code"]), details, POLICY_A, IN_WINDOW)


def refusal(call, *args, **kwargs) -> Refused:
    with pytest.raises(Refused) as caught:
        call(*args, **kwargs)
    return caught.value


def test_an_enterprise_may_declare_itself_a_technology_company():
    assert register_with(unit_type="enterprise", technology_company=True).technology_company is True
    assert register_with().technology_company is False       # not declared: not one


@pytest.mark.parametrize("unit_type", ["financial_institution", "university", "research_institute"])
def test_only_an_enterprise_may(unit_type):
    error = refusal(register_with, unit_type=unit_type, technology_company=True)
    assert (error.code, error.rule, list(error.fields)) == ("rule_violation", "B.company.enterprise",
                                                           ["technology_company"])
    assert register_with(unit_type=unit_type, technology_company=False).technology_company is False


def test_details_updates_carry_the_declaration_under_the_same_rule():
    unit = register_with()
    unit.approve("ok")
    details = {k: v for k, v in unit_details(technology_company=True).items() if k != "credit_code"}
    assert refusal(unit.update_details, {**details, "unit_type": "university"}, POLICY_A, IN_WINDOW).rule \
        == "B.company.enterprise"
    unit.update_details(details, POLICY_A, IN_WINDOW)
    assert (unit.technology_company, unit.status) == (True, "pending")


def test_the_rpc_defaults_to_not_a_technology_company():
    payload = {"command_id": "cmd-00000001", **unit_details()}
    assert load(contracts.RegisterUnit(), payload)["technology_company"] is False
    assert load(contracts.RegisterUnit(), {**payload, "technology_company": True})["technology_company"] is True


def test_registered_and_details_updated_leave_as_v2_with_the_declaration(make_app):
    app = make_app(RegistrationApplication)
    details = unit_details(technology_company=True)
    unit_id = handled(app, registering.RegisterUnit(**details), "contact-1", "unit_contact")["unit_id"]
    handled(app, registering.AuditUnit(unit_id=UUID(unit_id), outcome="return", reason="补正"))
    update = {k: v for k, v in unit_details(technology_company=False).items() if k != "credit_code"}
    handled(app, registering.UpdateUnitDetails(unit_id=UUID(unit_id), **update), "contact-1", "unit_contact",
            unit_id=unit_id)
    envelopes, _ = envelopes_after("registration", app, 0, 10)
    loaded = [load_envelope(json.loads(json.dumps(e))) for e in envelopes]
    assert [(e["type"], e["schema_version"]) for e in loaded] == [
        ("registration.unit.Registered", 2), ("registration.unit.ReturnedForCorrection", 1),
        ("registration.unit.DetailsUpdated", 2)]
    assert loaded[0]["payload"]["technology_company"] is True
    assert loaded[2]["payload"]["technology_company"] is False
    assert "contact" not in loaded[0]["payload"]


def test_v1_stays_registered_for_consumers_of_earlier_envelopes():
    assert CURRENT_VERSION["registration.unit.Registered"] == CURRENT_VERSION["registration.unit.DetailsUpdated"] == 2
    v1 = {"name": "昌平公司", "credit_code": "91110114MA01ABCD12", "unit_type": "enterprise",
          "industry": "medicine_health", "registered_in_changping": True}
    assert "technology_company" not in load(payload_schema("registration.unit.Registered", 1), v1)
    assert "technology_company" in load(payload_schema("registration.unit.Registered", 2),
                                         {**v1, "technology_company": False})


@pytest.mark.parametrize("event_class", [Unit.Registered, Unit.DetailsUpdated])
def test_stored_v1_events_are_upcast_to_not_a_technology_company(event_class):
    state = {"name": "昌平公司"}
    event_class.upcast_v1_v2(state)
    assert state == {"name": "昌平公司", "technology_company": False}
    assert event_class.class_version == 2


def test_a_stored_v1_registration_reads_back_as_not_a_technology_company(make_app):
    """A v1 event as it sits in an existing store (no class_version, no technology_company) is read back,
    projected and republished as v2."""
    app = make_app(RegistrationApplication)
    unit_id = UUID(handled(app, registering.RegisterUnit(**unit_details()), "contact-1", "unit_contact")["unit_id"])
    stored = app.recorder.select_notifications(start=1, limit=1)[0]
    assert app.mapper.cipher is None and app.mapper.compressor is None   # the state is plain transcoded JSON
    state = app.mapper.transcoder.decode(stored.state)
    assert (state.pop("class_version"), state.pop("technology_company")) == (2, False)
    stored_v1 = dataclasses.replace(stored, state=app.mapper.transcoder.encode(state))
    event = app.mapper.to_domain_event(stored_v1)
    assert (event.originator_id, event.technology_company) == (unit_id, False)
