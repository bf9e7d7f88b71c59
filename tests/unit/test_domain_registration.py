"""Units and their registration audit: pure domain, no store (but for the audit's metadata)."""
from datetime import date, datetime, timezone
from uuid import UUID

import pytest

from services import samples
from shared import policy
from shared.errors import Refused
from shared.identity import Identity

from services.registration import commands
from services.registration.access import check, unit_facts
from services.registration.app import RegistrationApplication
from services.registration.domain import Unit, unit_id_for
from tests.unit.unit_helpers import handled, unit_details


def register(credit_code="91110114MA01ABCD12") -> Unit:
    return Unit(id=unit_id_for(credit_code), **unit_details(credit_code))


def test_a_registered_unit_awaits_its_audit():
    unit = register()
    assert unit.status == "pending"
    assert unit.id == unit_id_for("91110114MA01ABCD12")
    assert [type(e).__name__ for e in unit.collect_events()] == ["Registered"]


def test_unit_id_is_derived_from_the_credit_code():
    assert unit_id_for("91110114ma01abcd12") == unit_id_for("91110114MA01ABCD12")
    assert unit_id_for("91110114MA01ABCD12") != unit_id_for("91110114MA01ABCD13")


@pytest.mark.parametrize("outcome, status", [("approve", "approved"), ("reject", "rejected")])
def test_an_audit_sets_the_status_and_keeps_the_reason(outcome, status):
    unit = register()
    getattr(unit, outcome)("材料齐全")
    assert (unit.status, unit.audit_reason) == (status, "材料齐全")
    assert unit.version == 2


@pytest.mark.parametrize("first, second", [("approve", "approve"), ("approve", "reject"),
                                           ("reject", "approve"), ("reject", "reject")])
def test_a_unit_is_audited_once(first, second):
    unit = register()
    getattr(unit, first)("first")
    with pytest.raises(Refused) as caught:
        getattr(unit, second)("second")
    assert caught.value.code == "rule_violation"
    assert caught.value.rule == "registration.audit.once"
    assert unit.audit_reason == "first"
    assert unit.version == 2


def test_the_audit_event_records_who_audited(make_app):
    app = make_app(RegistrationApplication)
    unit_id = UUID(handled(app, commands.RegisterUnit(**unit_details()), "contact-1", "unit_contact")["unit_id"])
    handled(app, commands.AuditUnit(unit_id=unit_id, outcome="approve", reason="ok"), "officer-9")
    approved = list(app.events.get(unit_id))[-1]
    assert approved.meta["actor"] == {"actor_id": "officer-9", "role": "officer", "unit_id": None}


def test_a_unit_contact_acts_on_their_own_unit_only():
    mine, theirs = unit_id_for("91110114MA01ABCD12"), unit_id_for("91110114MA01ABCD13")
    contact = Identity("contact-1", "unit_contact", str(mine))
    check("update_details", contact, unit_facts(mine))
    with pytest.raises(Refused) as caught:
        check("update_details", contact, unit_facts(theirs))
    assert (caught.value.code, caught.value.rule) == ("forbidden", "roles.own_unit")
    check("get_unit", Identity("officer-1", "officer"), unit_facts(theirs))


POLICY_A = policy.current("A")
IN_WINDOW = date(2024, 10, 1)


def register_with(**overrides) -> Unit:
    details = unit_details(**overrides)
    return Unit.register(unit_id_for(details["credit_code"]), details, POLICY_A, IN_WINDOW)


def refusal(call, *args, **kwargs) -> Refused:
    with pytest.raises(Refused) as caught:
        call(*args, **kwargs)
    return caught.value


def without(*codes) -> list[dict]:
    return [samples.document(c) for c in samples.UNIT_MATERIALS if c not in codes]


@pytest.mark.parametrize("unit_type, tax_needed", [("enterprise", True), ("financial_institution", True),
                                                   ("university", False), ("research_institute", False)])
def test_the_tax_certificate_is_mandatory_except_for_universities_and_institutes(unit_type, tax_needed):
    if tax_needed:
        error = refusal(register_with, unit_type=unit_type, materials=without("tax_certificate_2023"))
        assert (error.rule, list(error.fields)) == ("A.unit.materials", ["materials.tax_certificate_2023"])
    else:
        assert register_with(unit_type=unit_type, materials=without("tax_certificate_2023")).status == "pending"


def test_every_missing_mandatory_material_is_named():
    error = refusal(register_with, materials=[])
    assert set(error.fields) == {"materials.business_licence", "materials.contact_id", "materials.tax_certificate_2023"}


@pytest.mark.parametrize("unit_type, refused", [("enterprise", True), ("financial_institution", True),
                                                ("university", False)])
def test_an_enterprise_must_be_registered_in_changping(unit_type, refused):
    if refused:
        assert refusal(register_with, unit_type=unit_type, registered_in_changping=False).rule == "A.unit.changping"
    else:
        assert register_with(unit_type=unit_type, registered_in_changping=False).status == "pending"


def test_a_returned_registration_is_corrected_then_audited_again():
    unit = register_with()
    unit.return_for_correction("营业执照不清晰")
    assert (unit.status, unit.audit_reason) == ("returned", "营业执照不清晰")
    details = {k: v for k, v in unit_details(name="新名称").items() if k != "credit_code"}
    unit.update_details(details, POLICY_A, IN_WINDOW)
    assert (unit.status, unit.name) == ("pending", "新名称")
    unit.approve("材料齐全")
    assert refusal(unit.return_for_correction, "again").rule == "registration.audit.once"


def test_an_approved_unit_updating_its_details_for_a_new_call_needs_a_new_audit():
    unit = register_with()
    details = {k: v for k, v in unit_details().items() if k != "credit_code"}
    assert refusal(unit.update_details, details, POLICY_A, IN_WINDOW).rule == "registration.update.audited"
    unit.approve("ok")
    unit.update_details(details, POLICY_A, IN_WINDOW)
    assert unit.status == "pending"
    assert type(unit.collect_events()[-1]).__name__ == "DetailsUpdated"


# -- defect (e): the call's registration window (四(一)1: 2024-09-14 to 2024-10-20, Beijing time) -------------
@pytest.mark.parametrize("today, accepted", [(date(2024, 9, 13), False), (date(2024, 9, 14), True),
                                             (date(2024, 10, 20), True), (date(2024, 10, 21), False)])
def test_a_unit_registers_inside_the_calls_window_only(today, accepted):
    details = unit_details()
    if accepted:
        assert Unit.register(unit_id_for(details["credit_code"]), details, POLICY_A, today).status == "pending"
    else:
        error = refusal(Unit.register, unit_id_for(details["credit_code"]), details, POLICY_A, today)
        assert (error.rule, list(error.fields)) == ("A.unit.registration_window", ["registered_on"])
        assert "2024-09-14" in error.message and "2024-10-20" in error.message


def test_an_existing_registration_updates_its_details_inside_the_window_only():
    unit = register_with()
    unit.approve("ok")
    details = {k: v for k, v in unit_details(name="新名称").items() if k != "credit_code"}
    assert refusal(unit.update_details, details, POLICY_A, date(2024, 10, 21)).rule == "A.unit.registration_window"
    assert unit.status == "approved" and unit.name != "新名称"
    unit.update_details(details, POLICY_A, date(2024, 10, 20))
    assert unit.status == "pending"
    unit.approve("审核通过")              # the audit itself is not bound by the window: filing follows it
    assert unit.status == "approved"


def test_programme_b_companies_are_not_bound_by_the_calls_window():
    details = unit_details(technology_company=True)
    unit = Unit.register(unit_id_for(details["credit_code"]), details, POLICY_A, date(2025, 3, 1))
    unit.approve("ok")
    unit.update_details({k: v for k, v in details.items() if k != "credit_code"}, POLICY_A, date(2025, 6, 1))
    assert unit.status == "pending"


def test_the_window_is_beijing_time_at_the_handler(make_app, clock):
    app = make_app(RegistrationApplication)
    clock.set(datetime(2024, 10, 20, 15, 30, tzinfo=timezone.utc))          # 23:30 on the 20th in Beijing
    first = handled(app, commands.RegisterUnit(**unit_details("91110114MA01ABCD12")), "contact-1", "unit_contact")
    assert first["version"] == 1
    clock.set(datetime(2024, 10, 20, 16, 30, tzinfo=timezone.utc))          # 00:30 on the 21st in Beijing
    with pytest.raises(Refused) as caught:
        handled(app, commands.RegisterUnit(**unit_details("91110114MA01ABCD13")), "contact-2", "unit_contact")
    assert caught.value.rule == "A.unit.registration_window"
    assert app.get_or_none(unit_id_for("91110114MA01ABCD13")) is None
