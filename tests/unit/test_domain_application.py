"""Cases and unit standings: pure domain, no store. Programme A's filing, submission, audit
return and paper delivery, each rule at its edges."""
import uuid
from datetime import date

import pytest

from services import samples
from services.application.access import case_facts, check
from services.application.domain import Case, UnitStanding
from shared import policy
from shared.errors import NotYet, Refused
from shared.identity import Identity
from tests.unit.unit_helpers import START

POLICY_A = policy.current("A")
OPENS, CLOSES = date(2024, 9, 14), date(2024, 10, 20)       # 四(一)1, both days included
IN_WINDOW = date(2024, 10, 1)
APPROVAL = {"service": "registration", "event_id": uuid.uuid4(), "type": "registration.unit.Approved",
            "position": 2, "sequence": 2, "occurred_at": START}


def ref(event_type: str) -> dict:
    return {**APPROVAL, "event_id": uuid.uuid4(), "type": event_type}


def standing(status: str = "approved", unit_type: str = "enterprise") -> UnitStanding:
    unit = UnitStanding(id=uuid.uuid4(), name=samples.UNIT_NAME, unit_type=unit_type)
    if status == "approved":
        unit.approved(source=APPROVAL)
    elif status == "rejected":
        unit.rejected(source=APPROVAL)
    elif status == "returned":
        unit.returned(source=APPROVAL)
    return unit


def file_case(unit=None, today=IN_WINDOW) -> Case:
    return Case.file(unit or standing(), "A", "杰出人才申报", POLICY_A, today)


def talent(**overrides) -> dict:
    facts = samples.talent(**overrides)
    born = facts["birth_date"]
    return {**facts, "birth_date": born if isinstance(born, date) else date.fromisoformat(born)}


def claims() -> list[dict]:
    return [{**c, "achieved_on": date.fromisoformat(c["achieved_on"])} for c in samples.claims()]


def ready_case(today=IN_WINDOW, **talent_overrides) -> Case:
    case = file_case(today=today)
    case.declare_talent(talent(**talent_overrides), claims(), "outstanding")
    case.attach(samples.case_documents(), replace=False)
    return case


def submit(case, today=IN_WINDOW, unit_type="enterprise"):
    case.submit(POLICY_A, unit_type, today)


def rule_of(call, *args, **kwargs) -> str:
    with pytest.raises(Refused) as caught:
        call(*args, **kwargs)
    assert caught.value.code == "rule_violation"
    return caught.value.rule


def test_filing_records_the_filing_then_the_registration_it_relied_on():
    unit = standing()
    case = file_case(unit)
    filed, referenced = case.collect_events()
    assert type(filed).__name__ == "Filed" and type(referenced).__name__ == "RegistrationReferenced"
    assert (filed.programme, filed.unit_id, filed.title) == ("A", unit.id, "杰出人才申报")
    assert referenced.source == APPROVAL
    assert (case.status, case.milestones, case.version) == ("draft", ["registration"], 2)


@pytest.mark.parametrize("status", ["pending", "rejected", "returned"])
def test_only_an_approved_unit_may_file(status):
    with pytest.raises(Refused) as caught:
        Case.file(standing(status), "A", "杰出人才申报", POLICY_A, IN_WINDOW)
    assert caught.value.rule == "A.unit.approved"
    assert "unit_id" in caught.value.fields


def test_new_details_need_a_new_audit_before_filing():
    unit = standing()
    unit.details_updated(name="新名称", unit_type="enterprise", source=APPROVAL)
    assert unit.status == "pending"
    assert rule_of(Case.file, unit, "A", "t", POLICY_A, IN_WINDOW) == "A.unit.approved"


@pytest.mark.parametrize("today, open_", [(date(2024, 9, 13), False), (OPENS, True), (CLOSES, True),
                                          (date(2024, 10, 21), False)])
def test_filing_is_open_from_the_first_to_the_last_day_of_the_window(today, open_):
    if open_:
        assert file_case(today=today).status == "draft"
    else:
        assert rule_of(Case.file, standing(), "A", "t", POLICY_A, today) == "A.call.window"


def test_a_complete_eligible_case_is_submitted_with_its_assessment():
    case = ready_case()
    submit(case)
    submitted = case.collect_events()[-1]
    assert type(submitted).__name__ == "Submitted" and case.status == "submitted"
    assert submitted.submission == 1 and submitted.submitted_on == IN_WINDOW
    assert submitted.eligibility["edition"] == "changju-2024" and submitted.eligibility["eligible"] is True
    assert submitted.eligibility["age_reference_date"] == "2024-10-20"
    assert "birth_date" not in str(submitted.eligibility)          # personal data stays in the assessment
    assert submitted.assessment["checks"]                           # which the application store keeps
    assert len(submitted.documents) == len(samples.CASE_MATERIALS)


@pytest.mark.parametrize("birth_date, eligible", [(date(1964, 10, 20), True),     # 60 on the reference date
                                                  (date(1963, 10, 20), False)])   # 61
def test_age_60_on_the_reference_date_passes_and_61_is_refused(birth_date, eligible):
    case = ready_case(birth_date=birth_date)
    if eligible:
        submit(case)
        assert case.status == "submitted"
    else:
        assert rule_of(submit, case) == "A.talent.age"
        assert case.status == "draft"


def test_an_officers_age_waiver_lets_an_older_talent_submit():
    case = ready_case(birth_date=date(1958, 1, 1))
    case.record_age_waiver("officer-1", "急需紧缺人才")
    submit(case)
    assert case.collect_events()[-1].eligibility["age_waived"] is True


def test_missing_mandatory_materials_are_named():
    case = file_case()
    case.declare_talent(talent(), claims(), "outstanding")
    case.attach([samples.document("identity_document")], replace=False)
    with pytest.raises(Refused) as caught:
        submit(case)
    assert caught.value.rule == "A.materials.mandatory"
    assert "documents.work_contract" in caught.value.fields
    assert "documents.identity_document" not in caught.value.fields


def test_no_submission_without_the_talents_details():
    case = file_case()
    assert rule_of(submit, case) == "A.talent.declared"


def test_a_returned_case_is_corrected_and_resubmitted_until_the_deadline():
    case = ready_case()
    submit(case)
    deadline = date(2024, 10, 25)                  # after the window closed
    case.record_return("补充材料", [{"item": "work_contract", "reason": "合同已过期"}], deadline,
                       ref("review.case_review.AuditReturned"))
    assert (case.status, case.correction_deadline) == ("returned", deadline)
    case.attach([samples.document("work_contract", "renewed")], replace=True)
    assert len(case.documents["work_contract"]) == 1
    assert rule_of(submit, case, today=date(2024, 10, 26)) == "A.correction.deadline"
    submit(case, today=deadline)
    assert (case.status, case.submissions) == ("submitted", 2)


def test_nothing_is_edited_once_submitted():
    case = ready_case()
    submit(case)
    assert rule_of(case.attach, [samples.document("other")], False) == "A.case.editable"
    assert rule_of(case.declare_talent, talent(), claims(), "outstanding") == "A.case.editable"


def audited_case() -> Case:
    case = ready_case()
    submit(case)
    case.record_audit("audit approved", ref("review.case_review.AuditApproved"))
    return case


def deliver(case, **overrides):
    case.record_paper_delivery(POLICY_A, samples.paper_delivery(**overrides), samples.UNIT_NAME, IN_WINDOW)


def test_paper_copies_only_after_the_audit_passed():
    case = ready_case()
    submit(case)
    assert rule_of(deliver, case) == "A.paper.after_audit"


def test_a_noncompliant_delivery_is_recorded_with_what_is_wrong_and_can_be_corrected():
    case = audited_case()
    deliver(case, copies=4, cover_colour="blue", perforation_seals=1)
    recorded = case.collect_events()[-1]
    assert (case.status, recorded.compliant) == ("paper_noncompliant", False)
    assert {f["rule"] for f in recorded.findings} == {"A.delivery.copies", "A.delivery.cover_colour",
                                                      "A.delivery.perforation_seals"}
    deliver(case)
    assert case.status == "paper_delivered" and case.collect_events()[-1].findings == []


def test_milestones_in_order_advance_the_status():
    case = audited_case()
    deliver(case)
    case.record_decision("award decided", ref("review.case_review.AwardDecided"))
    assert case.status == "award_decided"
    case.record_disbursement("disbursement scheduled", ref("funding.case_funding.DisbursementScheduled"))
    assert case.status == "disbursement_scheduled"
    assert case.milestones == ["registration", "submission", "audit", "paper", "decision", "disbursement"]


def test_a_decision_before_the_audit_is_not_yet():
    case = ready_case()
    submit(case)
    with pytest.raises(NotYet):
        case.record_decision("award decided", ref("review.case_review.AwardDecided"))
    assert case.status == "submitted"


def test_a_disbursement_before_the_decision_is_not_yet():
    case = audited_case()
    version = case.version
    with pytest.raises(NotYet):
        case.record_disbursement("disbursement scheduled", ref("funding.case_funding.DisbursementScheduled"))
    assert case.version == version


def test_every_stream_entry_points_at_its_cause():
    case = ready_case()
    submit(case)
    source = ref("review.case_review.AuditApproved")
    case.record_audit("audit approved", source)
    assert case.collect_events()[-1].source == source


def test_case_streams_are_their_own_case_ids():
    case = file_case()
    assert Case.case_id_of(case.collect_events()[0]) == str(case.id)


def test_a_unit_contact_sees_only_their_own_units_cases():
    facts = case_facts({"case_id": "c", "unit_id": "unit-1", "status": "draft"})
    check("status", Identity("contact-1", "unit_contact", "unit-1"), facts)
    check("status", Identity("officer-1", "officer"), facts)
    for outsider in (Identity("contact-2", "unit_contact", "unit-2"), Identity("contact-3", "unit_contact")):
        with pytest.raises(Refused) as caught:
            check("status", outsider, facts)
        assert (caught.value.code, caught.value.rule) == ("forbidden", "roles.own_unit")


def test_awards_and_papers_are_attached_in_the_order_entered():
    """二(二)3: 获奖、专利、项目、标准、论文 须与系统填报顺序保持一致."""
    case = file_case()
    award = lambda entry: {**samples.document("awards", entry), "entry_id": entry}  # noqa: E731
    case.declare_talent(talent(), claims(), "outstanding", entries={"awards": ["a1", "a2"]})
    case.attach([*samples.case_documents(), award("a2"), award("a1")], replace=False)
    with pytest.raises(Refused) as caught:
        submit(case)
    assert caught.value.rule == "A.materials.order" and "documents.awards" in caught.value.fields
    case.attach([award("a1"), award("a1"), award("a2")], replace=True)   # two pages evidence a1
    submit(case)
    assert case.status == "submitted"


def test_a_document_for_an_entry_never_entered_is_refused_at_submission():
    case = ready_case()
    case.attach([samples.document("papers")], replace=False)
    with pytest.raises(Refused) as caught:
        submit(case)
    assert caught.value.rule == "A.materials.order" and "documents.papers" in caught.value.fields
