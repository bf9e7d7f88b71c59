"""Programme A paper delivery (services.application.delivery), 四(三)."""
from dataclasses import replace

import pytest

from shared import policy
from shared.errors import Refused

from services.application.delivery import Delivery, check_delivery

POLICY = policy.edition("changju-2024")
UNIT, TALENT = "北京昌科生物技术有限公司", "张三"
COMPLIANT = Delivery(copies=5, binding="perfect", cover_colour="green", double_sided=True,
                     spine_text=f"{UNIT} {TALENT}", has_catalogue=True, signed_by={"applicant", "unit_head"},
                     form_sealed=True, cover_sealed=True, every_attachment_sealed=True, perforation_seals=2)


def rules(**changes) -> list[str]:
    return [f.rule for f in check_delivery(POLICY, replace(COMPLIANT, **changes), UNIT, TALENT)]


def test_a_compliant_delivery_has_no_findings():
    assert check_delivery(POLICY, COMPLIANT, UNIT, TALENT) == []


@pytest.mark.parametrize("copies", [4, 6, 0])
def test_copies_exactly_five(copies):
    assert rules(copies=copies) == ["A.delivery.copies"]


def test_binding_must_be_perfect():
    assert rules(binding="saddle_stitch") == ["A.delivery.binding"]


def test_cover_colour_must_be_green():
    assert rules(cover_colour="blue") == ["A.delivery.cover_colour"]
    assert rules(cover_colour=" Green ") == []


def test_double_sided_required():
    assert rules(double_sided=False) == ["A.delivery.double_sided"]


@pytest.mark.parametrize("spine", [TALENT, UNIT, "", f"{TALENT} {UNIT}", "北京昌科 张三"])
def test_spine_text_unit_name_then_talent_name(spine):
    assert rules(spine_text=spine) == ["A.delivery.spine_text"]


def test_spine_text_a_talent_name_inside_the_unit_name_does_not_count():
    unit = "张三科技有限公司"
    spine_only_unit = replace(COMPLIANT, spine_text=unit)
    assert [f.rule for f in check_delivery(POLICY, spine_only_unit, unit, "张三")] == ["A.delivery.spine_text"]
    assert check_delivery(POLICY, replace(COMPLIANT, spine_text=unit + "+张三"), unit, "张三") == []


def test_catalogue_required():
    assert rules(has_catalogue=False) == ["A.delivery.catalogue"]


@pytest.mark.parametrize("signed", [set(), {"applicant"}, {"unit_head"}])
def test_signed_by_applicant_and_unit_head(signed):
    findings = check_delivery(POLICY, replace(COMPLIANT, signed_by=signed), UNIT, TALENT)
    assert [f.rule for f in findings] == ["A.delivery.signed_by"]
    for who in {"applicant", "unit_head"} - signed:
        assert who in findings[0].message


def test_form_sealed_required():
    assert rules(form_sealed=False) == ["A.delivery.form_sealed"]


def test_cover_sealed_required():
    assert rules(cover_sealed=False) == ["A.delivery.cover_sealed"]


def test_every_attachment_sealed_required():
    assert rules(every_attachment_sealed=False) == ["A.delivery.attachments_sealed"]


@pytest.mark.parametrize("seals, ok", [(0, False), (1, False), (2, True), (3, True), (4, False)])
def test_perforation_seals_two_or_three(seals, ok):
    assert rules(perforation_seals=seals) == ([] if ok else ["A.delivery.perforation_seals"])


def test_every_finding_at_once_in_rule_order():
    bad = Delivery(copies=1, binding="staples", cover_colour="red", double_sided=False, spine_text="",
                   has_catalogue=False, signed_by=set(), perforation_seals=4)
    assert [f.rule for f in check_delivery(POLICY, bad, UNIT, TALENT)] == [
        "A.delivery.copies", "A.delivery.binding", "A.delivery.cover_colour", "A.delivery.double_sided",
        "A.delivery.spine_text", "A.delivery.catalogue", "A.delivery.signed_by", "A.delivery.form_sealed",
        "A.delivery.cover_sealed", "A.delivery.attachments_sealed", "A.delivery.perforation_seals"]


@pytest.mark.parametrize("unit, talent", [("", TALENT), (UNIT, "  ")])
def test_names_for_the_spine_must_be_given(unit, talent):
    with pytest.raises(Refused):
        check_delivery(POLICY, COMPLIANT, unit, talent)
