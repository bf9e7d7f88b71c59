"""Programme B placements: matchmaking, the placement's life, and the two invariants that span
cases (one subsidised project per expert per term; one vice-president per project). Pure domain,
then the application with a real store for the race."""
import threading
import uuid
from datetime import date

import pytest

from services.application import commands as filing
from services.application.app import ApplicationApplication
from services.application.domain import UnitStanding
from services.application.placement import Cooperation, ExpertStanding, ExpertTerm, Placement, expert_term_id
from shared import policy
from shared.errors import Refused
from tests.unit.unit_helpers import START, meta_for

POLICY_B = policy.current("B")
APPROVAL = {"service": "registration", "event_id": uuid.uuid4(), "type": "registration.unit.Approved",
            "position": 2, "sequence": 2, "occurred_at": START}
SYSTEM = meta_for("system:application", "system")


def company(technology=True, approved=True) -> UnitStanding:
    unit = UnitStanding(id=uuid.uuid4(), name="昌平智造科技有限公司", unit_type="enterprise",
                        technology_company=technology)
    if approved:
        unit.approved(source=APPROVAL)
    return unit


def expert() -> ExpertStanding:
    return ExpertStanding(id=uuid.uuid4(), fields=["advanced_manufacturing"], institution_kind="key_university")


def agreed(unit=None, pool_expert=None) -> Cooperation:
    cooperation = Cooperation.propose(unit or company(), pool_expert or expert(), "智能制造", "产线视觉检测")
    cooperation.confirm("company")
    cooperation.confirm("expert")
    return cooperation


def term_of(cooperation) -> ExpertTerm:
    return ExpertTerm(id=expert_term_id(cooperation.expert_id), expert_id=cooperation.expert_id)


def filed(cooperation=None, term=None, kind="science_engineering", funds=70_000_000) -> Placement:
    cooperation = cooperation or agreed()
    return Placement.file(cooperation, term or term_of(cooperation), "视觉检测产业化", kind, funds, POLICY_B)


def rule_of(call, *args) -> str:
    with pytest.raises(Refused) as caught:
        call(*args)
    assert caught.value.code == "rule_violation"
    return caught.value.rule


def appointed(starts_on=date(2025, 3, 15)) -> tuple[Placement, ExpertTerm]:
    cooperation = agreed()
    term = term_of(cooperation)
    placement = filed(cooperation, term)
    placement.record_review(True, "project approved", APPROVAL, term)
    placement.record_office_filing("备案", APPROVAL)
    placement.record_agreement(date(2025, 3, 10), None, "成果归企业所有")
    placement.appoint("科技副总", starts_on, POLICY_B, starts_on)
    return placement, term


def test_a_cooperation_is_agreed_when_both_sides_confirmed():
    cooperation = Cooperation.propose(company(), expert(), "智能制造", "需求")
    cooperation.confirm("company")
    assert rule_of(Placement.file, cooperation, term_of(cooperation), "t", "science_engineering", 1,
                   POLICY_B) == "B.cooperation.agreed"
    cooperation.confirm("expert")
    assert cooperation.agreed


@pytest.mark.parametrize("technology, approved, rule", [(False, True, "B.company.technology"),
                                                        (True, False, "B.company.approved")])
def test_only_an_approved_changping_technology_company_cooperates(technology, approved, rule):
    assert rule_of(Cooperation.propose, company(technology, approved), expert(), "f", "n") == rule


def test_a_withdrawn_expert_cannot_be_matched():
    pool_expert = expert()
    pool_expert.withdrawn(source=APPROVAL)
    assert rule_of(Cooperation.propose, company(), pool_expert, "f", "n") == "B.expert.published"


def test_one_subsidised_project_per_expert_per_term():
    pool_expert = expert()
    first_cooperation, second_cooperation = agreed(pool_expert=pool_expert), agreed(pool_expert=pool_expert)
    term = term_of(first_cooperation)
    first = filed(first_cooperation, term)
    assert rule_of(Placement.file, second_cooperation, term, "t", "science_engineering", 1,
                   POLICY_B) == "B.expert.one_project_per_term"
    first.record_review(False, "project rejected", APPROVAL, term)    # a rejected project frees the term
    assert filed(second_cooperation, term).expert_id == pool_expert.id


def test_a_cooperation_files_one_project():
    cooperation = agreed()
    term = term_of(cooperation)
    filed(cooperation, term)
    assert rule_of(Placement.file, cooperation, term, "t", "science_engineering", 1,
                   POLICY_B) == "B.cooperation.one_project"


def test_the_term_is_two_years_and_a_project_has_one_vice_president():
    placement, _ = appointed(date(2025, 3, 15))
    assert (placement.starts_on, placement.ends_on) == (date(2025, 3, 15), date(2027, 3, 15))
    assert rule_of(placement.appoint, "技术中心副主任", date(2025, 4, 1), POLICY_B, date(2025, 4, 1)) == "B.project.one_vice_president"


def test_appointment_follows_the_agreement_which_follows_the_filing():
    cooperation = agreed()
    term = term_of(cooperation)
    placement = filed(cooperation, term)
    assert rule_of(placement.record_agreement, date(2025, 3, 1), None, None) == "B.agreement.after_filing"
    assert rule_of(placement.appoint, "科技副总", date(2025, 3, 1), POLICY_B, date(2025, 3, 1)) == "B.appointment.after_agreement"


def test_an_extension_is_the_same_term_with_a_later_end():
    placement, _ = appointed()
    assert rule_of(placement.extend, date(2027, 3, 15), "x", date(2026, 1, 1)) == "B.term.extend_later"
    placement.extend(date(2027, 9, 15), "重大技术突破", date(2026, 1, 1))
    extended = placement.collect_events()[-1]
    assert (extended.previous_ends_on, extended.ends_on, placement.status) == (date(2027, 3, 15),
                                                                                date(2027, 9, 15), "appointed")


def test_an_early_end_releases_the_expert_and_the_term_then_takes_an_evaluation():
    placement, term = appointed()
    assert rule_of(placement.terminate, date(2027, 3, 15), "x", term, date(2027, 3, 15)) == "B.term.terminate_in_term"
    placement.terminate(date(2026, 6, 14), "企业经营调整", term, date(2026, 6, 14))
    assert (placement.status, term.placement_id) == ("terminated", None)
    placement.record_evaluation("完成阶段目标", "good")
    assert placement.status == "evaluated"


def test_the_term_expires_once_on_its_end_date_and_not_before():
    placement, term = appointed(date(2025, 3, 15))
    assert placement.expire_if_due(date(2027, 3, 14), term) is False
    assert placement.expire_if_due(date(2027, 3, 15), term) is True
    assert placement.expire_if_due(date(2027, 4, 1), term) is False
    assert [type(e).__name__ for e in placement.collect_events()].count("TermExpired") == 1
    assert term.placement_id is None


def test_an_evaluation_waits_for_the_end_of_the_term():
    placement, _ = appointed()
    assert rule_of(placement.record_evaluation, "x", "good") == "B.evaluation.after_term"


def test_racing_filings_for_one_expert_leave_exactly_one_project(make_app):
    """Two companies file at the same moment with the same expert: the store takes one write, the
    loser reloads, sees the expert's term taken, and is refused by the rule."""
    app = make_app(ApplicationApplication)
    pool_expert = expert()
    cooperations = [agreed(company(), pool_expert) for _ in range(2)]
    app.record(SYSTEM, pool_expert, *cooperations)
    results, barrier = [], threading.Barrier(2)

    def file(cooperation):
        barrier.wait()
        command = filing.FileProject(cooperation_id=cooperation.id, title="项目", kind="science_engineering",
                                     project_funds_fen=1_000_000)
        try:
            results.append(app.handle(command, meta_for("contact-1", "unit_contact", unit_id=str(cooperation.unit_id),
                                                        command_id=str(uuid.uuid4()))))
        except Refused as error:
            results.append(error)

    threads = [threading.Thread(target=file, args=(c,)) for c in cooperations]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    refused = [r for r in results if isinstance(r, Refused)]
    assert len(results) == 2 and len(refused) == 1
    assert refused[0].rule == "B.expert.one_project_per_term"
    assert app.get_or_none(expert_term_id(pool_expert.id)).placement_id is not None


def test_a_store_lookup_takes_the_id_as_text_too(make_app):
    """Read models and envelopes carry ids as text; the timer looks placements up by them."""
    app = make_app(ApplicationApplication)
    placement, term = appointed()
    app.record(SYSTEM, placement, term)
    assert app.get_or_none(str(placement.id)).id == placement.id


def agreed_placement(signed_on=date(2025, 3, 10)) -> Placement:
    cooperation = agreed()
    term = term_of(cooperation)
    placement = filed(cooperation, term)
    placement.record_review(True, "project approved", APPROVAL, term)
    placement.record_office_filing("备案", APPROVAL)
    placement.record_agreement(signed_on, None, None)
    return placement


def test_an_appointment_never_starts_before_the_agreement_is_signed():
    """Defect (b), seed 三(三): the parties sign the agreement, then the letters are issued; a start before
    the signing is refused, even with a reason for a late recording."""
    placement = agreed_placement(signed_on=date(2025, 3, 10))
    assert rule_of(placement.appoint, "科技副总", date(2025, 3, 9), POLICY_B, date(2025, 3, 9)) == \
        "B.appointment.after_signing"
    assert rule_of(placement.appoint, "科技副总", date(2025, 3, 9), POLICY_B, date(2025, 4, 1),
                   "聘书已于3月9日颁发，补录") == "B.appointment.after_signing"
    placement.appoint("科技副总", date(2025, 3, 10), POLICY_B, date(2025, 3, 10))     # the signing day itself
    assert placement.starts_on == date(2025, 3, 10)


def test_an_appointment_recorded_after_its_start_carries_the_reason_for_the_late_recording():
    placement = agreed_placement(signed_on=date(2025, 3, 10))
    assert rule_of(placement.appoint, "科技副总", date(2025, 3, 15), POLICY_B, date(2025, 4, 1)) == \
        "B.appointment.late_recording"
    assert rule_of(placement.appoint, "科技副总", date(2025, 3, 15), POLICY_B, date(2025, 4, 1), "   ") == \
        "B.appointment.late_recording"
    placement.appoint("科技副总", date(2025, 3, 15), POLICY_B, date(2025, 4, 1), "聘书3月15日颁发，系统补录")
    appointed_event = placement.collect_events()[-1]
    assert (appointed_event.starts_on, appointed_event.late_recording_reason) == (
        date(2025, 3, 15), "聘书3月15日颁发，系统补录")


def test_an_appointment_starting_today_or_later_needs_no_reason():
    placement = agreed_placement(signed_on=date(2025, 3, 10))
    placement.appoint("科技副总", date(2025, 3, 20), POLICY_B, date(2025, 3, 12))
    assert placement.collect_events()[-1].late_recording_reason is None


def test_an_early_end_is_recorded_once_it_has_happened_not_before():
    """Defect (c): as programme A's funding.early_end.not_in_future, a placement's last day is not after today."""
    placement, term = appointed(date(2025, 3, 15))
    assert rule_of(placement.terminate, date(2026, 6, 15), "x", term, date(2026, 6, 14)) == \
        "B.term.terminate_not_in_future"
    placement.terminate(date(2026, 6, 14), "企业经营调整", term, date(2026, 6, 14))
    assert placement.status == "terminated"
