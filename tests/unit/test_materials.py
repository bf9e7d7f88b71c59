"""Programme A materials checklists (services.application.materials), 二(二)1–3."""
import pytest

from shared import policy
from shared.errors import Refused

from shared.materials import (
    ALLOWED_MEDIA_TYPES, Document, attachment_order, checklist, missing_mandatory, ordered_materials,
    registration_checklist, registration_missing_mandatory)

POLICY = policy.edition("changju-2024")
SHA = "ab" * 32
TALENT_MANDATORY = ["identity_document", "work_contract", "social_insurance_record", "criterion_evidence",
                    "income_tax_2022_2023", "personal_integrity_statement"]
UNIT_MANDATORY = ["audit_reports_2021_2023", "unit_integrity_statement", "application_commitment"]


def doc(material, entry_id=None, **changes) -> Document:
    fields = dict(code=material, sha256=SHA, size_bytes=1024, media_type="application/pdf",
                  storage_uri=f"s3://materials/{material}.pdf", entry_id=entry_id)
    fields.update(changes)
    return Document(**fields)


def all_of(codes) -> dict:
    return {code: [doc(code)] for code in codes}


# ---------------------------------------------------------------- document references

def test_document_reference_valid_and_hash_normalised():
    document = doc("work_contract", sha256="AB" * 32)
    assert document.sha256 == SHA
    assert {"application/pdf", "image/jpeg", "image/png"} <= ALLOWED_MEDIA_TYPES


@pytest.mark.parametrize("field, value", [
    ("sha256", "ab" * 31), ("sha256", "zz" * 32), ("sha256", "ab" * 33), ("sha256", None),
    ("size_bytes", 0), ("size_bytes", -5), ("size_bytes", True), ("size_bytes", "10"),
    ("media_type", "application/zip"), ("media_type", "text/html"),
    ("storage_uri", ""), ("storage_uri", "   "),
    ("code", ""),
])
def test_document_reference_invalid_refused(field, value):
    with pytest.raises(Refused) as raised:
        doc("work_contract", **{field: value})
    assert raised.value.code == "validation_error"
    assert field in raised.value.fields


# ---------------------------------------------------------------- application checklist  二(二)2, 3

def test_checklist_lists_unit_then_talent_materials_with_their_mandatory_marks():
    items = checklist(POLICY, "enterprise", {})
    assert [i.code for i in items if i.mandatory] == UNIT_MANDATORY + TALENT_MANDATORY
    assert {i.section for i in items} == {"unit_application", "talent"}
    assert not any(i.present for i in items)
    assert {i.code for i in items if i.ordered_as_entered} == {"awards", "patents", "projects", "standards",
                                                               "papers"}


def test_missing_mandatory_names_what_is_not_attached():
    attached = all_of(UNIT_MANDATORY + TALENT_MANDATORY)
    assert missing_mandatory(POLICY, "university", attached) == []
    del attached["income_tax_2022_2023"]
    attached["criterion_evidence"] = []       # an empty list is not present
    assert missing_mandatory(POLICY, "enterprise", attached) == ["criterion_evidence", "income_tax_2022_2023"]


def test_checklist_optional_items_are_present_when_attached():
    items = {i.code: i for i in checklist(POLICY, "enterprise", all_of(["awards", "unit_awards"]))}
    assert items["awards"].present and not items["awards"].mandatory
    assert items["unit_awards"].present


def test_checklist_refuses_unknown_codes_and_misfiled_documents():
    with pytest.raises(Refused):
        checklist(POLICY, "enterprise", {"selfie": [doc("selfie")]})
    with pytest.raises(Refused):
        checklist(POLICY, "enterprise", {"work_contract": [doc("identity_document")]})


def test_checklist_refuses_an_unknown_unit_type():
    with pytest.raises(Refused) as raised:
        checklist(POLICY, "hospital", {})
    assert "unit_type" in raised.value.fields


# ---------------------------------------------------------------- registration  二(二)1

@pytest.mark.parametrize("unit_type, tax_required", [
    ("enterprise", True), ("financial_institution", True), ("university", False), ("research_institute", False),
])
def test_registration_tax_certificate_exempt_for_universities_and_institutes(unit_type, tax_required):
    missing = registration_missing_mandatory(POLICY, unit_type, ["business_licence", "contact_id"])
    assert missing == (["tax_certificate_2023"] if tax_required else [])
    tax = {i.code: i for i in registration_checklist(POLICY, unit_type, [])}["tax_certificate_2023"]
    assert tax.mandatory is tax_required


def test_registration_missing_mandatory_all_three_for_an_empty_enterprise():
    assert registration_missing_mandatory(POLICY, "enterprise", []) == [
        "business_licence", "contact_id", "tax_certificate_2023"]
    assert registration_missing_mandatory(POLICY, "enterprise", [
        "business_licence", "contact_id", "tax_certificate_2023", "high_tech_certificate"]) == []


def test_registration_refuses_unknown_codes():
    with pytest.raises(Refused):
        registration_missing_mandatory(POLICY, "enterprise", ["business_licence", "lease"])


# ---------------------------------------------------------------- ordered_as_entered  二(二)3(9)–(13)

def test_ordered_as_entered_same_order_passes():
    check = attachment_order(["a1", "a2", "a3"], ["a1", "a2", "a3"])
    assert check.in_order and check.unattached == ()


def test_ordered_as_entered_several_documents_per_entry_and_skipped_entries_pass():
    check = attachment_order(["p1", "p2", "p3"], ["p1", "p1", "p1", "p3"])
    assert check.in_order and check.unattached == ("p2",)


def test_ordered_as_entered_swapped_attachments_fail():
    check = attachment_order(["a1", "a2", "a3"], ["a2", "a1", "a3"])
    assert not check.in_order and check.out_of_order == ("a1",)


def test_ordered_as_entered_attachment_for_no_entry_fails():
    check = attachment_order(["a1"], ["a1", "a9", None])
    assert not check.in_order and check.unknown == ("a9", None)


def test_ordered_as_entered_duplicate_entry_ids_are_invalid():
    with pytest.raises(Refused):
        attachment_order(["a1", "a1"], [])


def test_ordered_materials_checks_each_ordered_code_from_document_entry_ids():
    attached = {"awards": [doc("awards", "w2"), doc("awards", "w1")], "patents": [doc("patents", "p1")]}
    checks = ordered_materials(POLICY, {"awards": ["w1", "w2"], "patents": ["p1"]}, attached)
    assert set(checks) == {"awards", "patents", "projects", "standards", "papers"}
    assert not checks["awards"].in_order
    assert checks["patents"].in_order and checks["papers"].in_order
