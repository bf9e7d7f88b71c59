"""Bad input gets a clear, structured error naming the field and rule, and changes nothing."""
import pytest

from shared.errors import ServiceError
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.identity import issue_token
from tests.support import keys
from tests.support import flows
from tests.support.cluster import command_id, eventually
from services import samples
from tests.support.flows import (approved_unit, credit_code, file_case, register_unit)

GOOD_UNIT = {k: v for k, v in samples.unit_registration("").items() if k != "credit_code"}


def refused(call, *args, **kwargs) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        call(*args, **kwargs)
    return caught.value


def positions(cluster):
    return {s: cluster.health(s)["position"] for s in ("registration", "application")}


@pytest.mark.parametrize("change, field, words", [
    ({"name": None}, "name", "null"),
    ({"registered_in_changping": "yes please"}, "registered_in_changping", "boolean"),
    ({"unit_type": "shell company"}, "unit_type", "one of"),
    ({"name": "长" * 201}, "name", "Length"),
    ({"nickname": "x"}, "nickname", "Unknown field"),
    ({"credit_code": "not-a-code"}, "credit_code", "18-character"),
    ({"contact": {"name": "x"}}, "contact", "required"),
])
def test_malformed_registration_is_refused_naming_the_field_and_records_nothing(cluster, change, field, words):
    before = positions(cluster)
    payload = {**GOOD_UNIT, "credit_code": credit_code(), "command_id": command_id(), **change}
    with cluster.rpc("contact-9", "unit_contact") as rpc:
        error = refused(rpc.registration.register_unit, **payload)
    assert error.code == "validation_error"
    assert field in error.fields and words in str(error.fields[field])
    assert positions(cluster) == before


@pytest.mark.parametrize("unit_type, refused_for_tax", [("enterprise", True), ("university", False)])
def test_mandatory_registration_materials_name_what_is_missing(cluster, unit_type, refused_for_tax):
    """二(二)1: the tax certificate is mandatory, except for universities and research institutes."""
    materials = [samples.document("business_licence"), samples.document("contact_id")]
    payload = {**GOOD_UNIT, "unit_type": unit_type, "materials": materials, "credit_code": credit_code(),
               "command_id": command_id()}
    with cluster.rpc("contact-9", "unit_contact") as rpc:
        if refused_for_tax:
            before = positions(cluster)
            error = refused(rpc.registration.register_unit, **payload)
            assert (error.rule, list(error.fields)) == ("A.unit.materials", ["materials.tax_certificate_2023"])
            assert positions(cluster) == before
        else:
            assert rpc.registration.register_unit(**payload)["unit_id"]


def test_a_malformed_document_reference_is_refused_naming_the_field(cluster):
    unit_id = approved_unit(cluster)
    bad = {**samples.document("identity_document"), "sha256": "XYZ"}
    with cluster.rpc("contact-1", "unit_contact", unit_id) as rpc:
        error = refused(rpc.application.file_case, command_id=command_id(), unit_id=unit_id, programme="A",
                        title="x", documents=[bad])
    assert error.code == "validation_error" and "sha256" in error.fields["documents"]["0"]


def test_a_submission_lacking_mandatory_materials_names_them_and_records_nothing(cluster):
    unit_id = approved_unit(cluster)
    case_id = file_case(cluster, unit_id, documents=[samples.document("identity_document")])["case_id"]
    before = positions(cluster)
    with cluster.rpc("contact-1", "unit_contact", unit_id) as rpc:
        error = refused(rpc.application.submit, command_id=command_id(), case_id=case_id)
        checklist = rpc.application.checklist(case_id=case_id)
    assert error.rule == "A.materials.mandatory" and "documents.work_contract" in error.fields
    assert positions(cluster) == before
    assert "work_contract" in checklist["missing_mandatory"]
    assert "identity_document" not in checklist["missing_mandatory"]


def test_a_missing_command_id_is_refused(cluster):
    with cluster.rpc("contact-9", "unit_contact") as rpc:
        error = refused(rpc.registration.register_unit, **GOOD_UNIT, credit_code=credit_code())
    assert error.fields == {"command_id": ["Missing data for required field."]}


def test_positional_arguments_are_refused(cluster):
    with cluster.rpc("auditor-1", "auditor") as rpc:
        error = refused(rpc.application.status, "some-case")
    assert error.code == "validation_error" and "_schema" in error.fields


def test_an_unknown_case_is_not_found(cluster):
    with cluster.rpc("auditor-1", "auditor") as rpc:
        error = refused(rpc.application.status, case_id="00000000-0000-4000-8000-000000000000")
    assert error.code == "not_found"


@pytest.mark.parametrize("token", [
    None,
    "not-a-token",
    issue_token(Ed25519PrivateKey.generate(), "officer-portal", "x", "officer"),   # a key nobody registered
    keys.token("x", "officer", now=1_000_000_000),
], ids=["missing", "garbage", "forged", "expired"])
def test_a_call_without_a_valid_token_is_refused(cluster, token):
    before = positions(cluster)
    with cluster.rpc(token=token) as rpc:
        error = refused(rpc.registration.register_unit, command_id=command_id(), credit_code=credit_code(),
                        **GOOD_UNIT)
    assert error.code == "unauthenticated"
    assert positions(cluster) == before


def test_a_role_without_the_right_is_forbidden(cluster):
    with cluster.rpc("auditor-1", "auditor") as rpc:
        error = refused(rpc.registration.audit_unit, command_id=command_id(),
                        unit_id="00000000-0000-4000-8000-000000000000", outcome="approve", reason="x")
    assert error.code == "forbidden" and error.rule == "roles"


def test_a_unit_contact_cannot_file_for_another_unit(cluster):
    unit_id = approved_unit(cluster)
    with cluster.rpc("contact-2", "unit_contact", "00000000-0000-4000-8000-000000000001") as rpc:
        error = refused(rpc.application.file_case, command_id=command_id(), unit_id=unit_id, programme="A",
                        title="x")
    assert error.code == "forbidden" and error.rule == "roles.own_unit"


def test_a_retried_command_returns_the_first_result_and_records_nothing_twice(cluster):
    payload = {**GOOD_UNIT, "credit_code": credit_code(), "command_id": command_id()}
    with cluster.rpc("contact-3", "unit_contact") as rpc:
        first = rpc.registration.register_unit(**payload)
        position = cluster.health("registration")["position"]
        again = rpc.registration.register_unit(**payload)
    assert again["unit_id"] == first["unit_id"] and again["replayed"] is True
    assert cluster.health("registration")["position"] == position


def test_a_replayed_command_id_with_a_different_payload_is_refused(cluster):
    payload = {**GOOD_UNIT, "credit_code": credit_code(), "command_id": command_id()}
    with cluster.rpc("contact-4", "unit_contact") as rpc:
        rpc.registration.register_unit(**payload)
        error = refused(rpc.registration.register_unit, **{**payload, "name": "另一个名字"})
    assert error.code == "command_id_reused"


def test_a_stale_expected_version_is_a_conflict(cluster):
    unit_id = approved_unit(cluster)  # now at version 2
    with cluster.rpc("officer-1", "officer") as rpc:
        error = refused(rpc.registration.audit_unit, command_id=command_id(), unit_id=unit_id, outcome="reject",
                        reason="x", expected_version=1)
    assert error.code == "conflict" and error.rule == "expected_version"


def test_a_unit_not_yet_approved_cannot_file(cluster):
    unit_id = register_unit(cluster, "contact-5")["unit_id"]
    with cluster.rpc("contact-5", "unit_contact", unit_id) as rpc:
        def refusal():
            error = refused(rpc.application.file_case, command_id=command_id(), unit_id=unit_id, programme="A",
                            title="x")
            assert error.code == "rule_violation", error   # once application has learnt of the unit
            return error
        error = eventually(refusal)
    assert error.rule == "A.unit.approved"


def test_an_award_above_the_cap_is_refused_naming_the_rule(cluster):
    case_id = flows.scored_case(cluster)
    with cluster.rpc("decider-1", "decision_maker") as rpc:
        error = refused(rpc.review.decide_award, command_id=command_id(), case_id=case_id,
                        award_fen=200_000_001, reason="x")
    assert error.code == "rule_violation" and error.rule == "A.award.cap"
