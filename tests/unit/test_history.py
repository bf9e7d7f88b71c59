"""The case history as an auditor reads it (services/application/history.py, docs/history.md):
who acted and why on every entry, and the two business-time axes, `as_of` (effective) and
`known_at` (recorded). All four Applications in process, no broker (test_case_flow's Cluster)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from shared.clock import BEIJING

from services.application import history
from services.application.domain import Case
from services.funding import commands as paying
from services.funding.domain import idempotency_key
from services.application import commands as filing
from services.review import commands as reviewing
from tests.unit.test_case_flow import AWARD_FEN, Cluster, approved_unit, decided_case, filed_case  # noqa: F401
from tests.unit.test_case_flow import cluster  # noqa: F401  (the fixture)
from tests.unit.unit_helpers import START, handled

RENT_FEN = 1_500_000


def entries(cluster, case_id, as_of=None, known_at=None) -> list[dict]:
    return cluster.application.history(case_id, as_of, known_at)


def one(found: list[dict], summary_or_type: str) -> dict:
    (entry,) = [e for e in found if summary_or_type in (e["type"], e["summary"])]
    return entry


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(), BEIJING)


def paid_award(cluster, case_id) -> None:
    handled(cluster.funding, paying.ReportPayment(idempotency_key=idempotency_key(case_id, "award", "once"), attempt=1,
                                                  outcome="paid", office_reference="BANK-2024-0001"),
            "fo-1", "funding_officer")
    cluster.settle()


# -- who and why ---------------------------------------------------------------------------------------------
def test_the_decision_names_the_decision_maker_reason_rule_edition_and_amount(cluster):
    case_id = decided_case(cluster)
    cluster.settle()
    decision = one(entries(cluster, case_id), "DecisionRecorded")
    assert decision["actor"] == {"actor_id": "decider-1", "role": "decision_maker", "unit_id": None}
    assert decision["recorded_by"]["actor_id"] == "system:application"
    assert decision["acted_under"] is None                       # a person acted
    assert (decision["reason"], decision["amount_fen"]) == ("评审通过", AWARD_FEN)
    assert decision["rule"] and decision["policy_edition"] == "changju-2024"
    assert decision["source"]["service"] == "review"
    assert decision["source"]["type"] == "review.case_review.AwardDecided"
    assert decision["source"]["position"] >= 1 and decision["source"]["recorded_at"]


def test_the_audit_names_the_auditing_officer_and_their_reason(cluster):
    case_id = decided_case(cluster)
    cluster.settle()
    audit = one(entries(cluster, case_id), "AuditRecorded")
    assert (audit["actor"]["actor_id"], audit["actor"]["role"], audit["reason"]) == ("officer-1", "officer", "合规")


def test_a_payment_names_the_paying_office_and_its_reference(cluster):
    case_id = decided_case(cluster)
    cluster.settle()
    paid_award(cluster, case_id)
    paid = one(entries(cluster, case_id), "payment reported paid")
    assert (paid["actor"]["actor_id"], paid["actor"]["role"]) == ("fo-1", "funding_officer")
    assert (paid["office_reference"], paid["amount_fen"]) == ("BANK-2024-0001", AWARD_FEN)


def test_system_entries_say_which_rule_made_the_system_act(cluster):
    case_id = decided_case(cluster)
    cluster.settle()
    found = entries(cluster, case_id)
    scheduled = one(found, "DisbursementRecorded")              # funding scheduled the award on the decision
    assert scheduled["actor"]["actor_id"] == "system:funding"
    assert scheduled["acted_under"] == scheduled["rule"] and scheduled["rule"]
    # the decision that made it act is one hop away: its source's causation id is the decision's event id
    decision = one(found, "DecisionRecorded")
    assert scheduled["source"]["causation_id"] == str(decision["source"]["event_id"])
    people = [e for e in found if e["actor"]["role"] != "system"]
    assert people and all(e["acted_under"] is None for e in people)
    granted = one(found, "entitlements granted")                 # a grant names the rules of its entitlements
    assert granted["acted_under"] == "A.award.cap" and "A.award.cap" in granted["data"]["facts"]["entitlement_rules"]
    assert all(e["acted_under"] for e in found if e["actor"]["role"] == "system")


# -- an early end recorded late --------------------------------------------------------------------------------
def late_early_end(cluster):
    """Decided at START; the talent left 30 days later; an officer records it 120 days later."""
    case_id = decided_case(cluster)
    cluster.settle()
    left_on = START.date() + timedelta(days=30)
    cluster.application.clock.advance(days=120)
    handled(cluster.funding, paying.EndEarly(case_id=case_id, ended_on=left_on, reason="调离昌平区"),
            "officer-4", "officer")
    cluster.settle()
    return case_id, left_on


def test_an_early_end_carries_its_reason_date_and_officer_and_is_effective_when_it_happened(cluster):
    case_id, left_on = late_early_end(cluster)
    ended = one(entries(cluster, case_id), "ended early")
    assert (ended["actor"]["actor_id"], ended["actor"]["role"]) == ("officer-4", "officer")
    assert ended["reason"] == "调离昌平区"
    assert ended["dates"]["ended_on"] == left_on.isoformat()
    assert ended["effective_at"] == midnight(left_on).isoformat()
    assert ended["recorded_on"] == (START + timedelta(days=120)).isoformat()


def test_two_known_at_give_two_answers_for_the_same_as_of(cluster):
    """Sixty days in, the talent had left; the record learnt it only at day 120."""
    case_id, _ = late_early_end(cluster)
    as_of = START + timedelta(days=60)
    then = [e["summary"] for e in entries(cluster, case_id, as_of, known_at=START + timedelta(days=90))]
    now = [e["summary"] for e in entries(cluster, case_id, as_of, known_at=START + timedelta(days=120))]
    assert "ended early" not in then
    assert "ended early" in now
    assert now[:len(then)] == then


def test_as_of_and_known_at_are_inclusive_bounds(cluster):
    case_id, left_on = late_early_end(cluster)
    ended = one(entries(cluster, case_id), "ended early")
    effective, recorded = (datetime.fromisoformat(ended[k]) for k in ("effective_at", "recorded_on"))
    tick = timedelta(microseconds=1)

    def shows(as_of, known_at) -> bool:
        return any(e["summary"] == "ended early" for e in entries(cluster, case_id, as_of, known_at))

    assert shows(effective, recorded)
    assert not shows(effective - tick, recorded)
    assert not shows(effective, recorded - tick)
    assert shows(None, recorded) and not shows(None, recorded - tick)
    assert shows(effective, None) and not shows(effective - tick, None)


# -- a payment released by a timer catching up ---------------------------------------------------------------------
def test_a_catch_up_release_is_effective_on_its_due_date_and_known_when_the_timer_ran(cluster):
    case_id = decided_case(cluster)
    cluster.settle()
    handled(cluster.funding, paying.ChooseHousing(case_id=case_id, choice="rent_subsidy", monthly_rent_fen=RENT_FEN),
            "contact-1", "unit_contact", unit_id=str(cluster.application.case(case_id).unit_id))
    cluster.settle()
    clock = cluster.application.clock
    clock.advance(days=100)                                      # the timer was down; it catches up now
    cluster.funding.fire_due([case_id])
    cluster.settle()
    caught_up = clock.now()
    rent = [e for e in entries(cluster, case_id) if e["type"] == "DisbursementRecorded"
            and e["data"]["facts"]["obligation_id"] == "rent_subsidy"]
    first, *released = rent
    assert len(released) == 3                                     # three monthly instalments fell due meanwhile
    for entry in released:
        assert entry["actor"]["actor_id"] == "system:funding" and entry["acted_under"] == entry["rule"]
        assert entry["effective_at"] == midnight(date.fromisoformat(entry["dates"]["due_on"])).isoformat()
        assert entry["recorded_on"] == caught_up.isoformat()
    second_due = datetime.fromisoformat(released[0]["effective_at"])

    def rent_keys(as_of, known_at):
        return [e["data"]["facts"]["period"] for e in entries(cluster, case_id, as_of, known_at)
                if e["type"] == "DisbursementRecorded" and e["data"]["facts"]["obligation_id"] == "rent_subsidy"]

    # by the second due date one more instalment was due; the record knew it only once the timer ran
    assert rent_keys(second_due, None) == [first["data"]["facts"]["period"], released[0]["data"]["facts"]["period"]]
    assert rent_keys(second_due, caught_up - timedelta(seconds=1)) == [first["data"]["facts"]["period"]]


# -- old entries -----------------------------------------------------------------------------------------------
def test_an_entry_recorded_before_entries_carried_the_actor_reads_with_the_documented_fallbacks(cluster):
    """A v1 milestone (source only) in a stream recorded before meta carried recorded_on."""
    case_id = filed_case(cluster, approved_unit(cluster))
    case = cluster.application.case(case_id)
    source = {"service": "review", "event_id": "5a1f6f1e-0000-5000-8000-000000000001", "position": 9, "sequence": 4,
              "type": "review.case_review.AuditApproved", "occurred_at": START + timedelta(days=2)}
    case.record_audit("audit approved", source)
    (event,) = case.collect_events()
    object.__setattr__(event, "meta", {"actor": {"actor_id": "system:application", "role": "system", "unit_id": None},
                                       "occurred_at": (START + timedelta(days=3)).isoformat(),
                                       "correlation_id": "c-1", "causation_id": str(source["event_id"]),
                                       "command_id": None})
    entry = history.entry_of(event)
    assert isinstance(event, Case.AuditRecorded)
    assert entry["actor"]["actor_id"] == "system:application"          # no upstream actor recorded then
    assert entry["effective_at"] == (START + timedelta(days=2)).isoformat()   # the source's business time
    assert entry["recorded_on"] == (START + timedelta(days=3)).isoformat()    # meta's occurred_at
    assert entry["reason"] is None and entry["source"]["service"] == "review"


def test_history_stays_in_stream_order_whatever_the_effective_times(cluster):
    """The office reports, after the early end was recorded, a payment made at the bank before it."""
    case_id, left_on = late_early_end(cluster)
    handled(cluster.funding, paying.ReportPayment(idempotency_key=idempotency_key(case_id, "award", "once"), attempt=1,
                                                  outcome="paid", office_reference="BANK-2024-0002",
                                                  effective_on=START.date() + timedelta(days=1)),
            "fo-1", "funding_officer")
    cluster.settle()
    found = entries(cluster, case_id)
    assert [e["sequence"] for e in found] == list(range(1, len(found) + 1))
    ended, paid = one(found, "ended early"), one(found, "payment reported paid")
    assert ended["sequence"] < paid["sequence"]
    assert datetime.fromisoformat(paid["effective_at"]) < datetime.fromisoformat(ended["effective_at"])
    # as of the day the talent left, the payment had been made, and the end had not yet taken effect
    as_of = [e["summary"] for e in entries(cluster, case_id, midnight(left_on) - timedelta(seconds=1))]
    assert "payment reported paid" in as_of and "ended early" not in as_of


def test_a_return_names_the_officer_reason_items_and_deadline(cluster):
    case_id = filed_case(cluster, approved_unit(cluster))
    deadline = START.date() + timedelta(days=10)
    handled(cluster.review, reviewing.ReturnForCorrection(case_id=case_id, reason="材料不全", correction_deadline=deadline,
                                                          items=[{"item": "work_contract", "reason": "合同已过期"}]),
            "officer-3", "officer")
    cluster.settle()
    returned = one(entries(cluster, case_id), "ReturnedForCorrection")
    assert (returned["actor"]["actor_id"], returned["reason"]) == ("officer-3", "材料不全")
    assert returned["dates"]["correction_deadline"] == deadline.isoformat()
    assert returned["source"]["type"] == "review.case_review.AuditReturned"


# -- nothing edited: later entries say what they supersede --------------------------------------------------------
def test_a_returned_payment_and_its_retry_name_the_entries_they_supersede(cluster):
    case_id = decided_case(cluster)
    cluster.settle()
    key = idempotency_key(case_id, "award", "once")
    paid_award(cluster, case_id)
    cluster.application.clock.advance(days=5)
    handled(cluster.funding, paying.ReportPayment(idempotency_key=key, attempt=1, outcome="returned",
                                                  office_reference="BANK-2024-0009", reason="账户已注销"),
            "fo-1", "funding_officer")
    handled(cluster.funding, paying.RetryDisbursement(idempotency_key=key, reason="新账户"), "fo-1", "funding_officer")
    cluster.settle()
    found = entries(cluster, case_id)
    paid, returned, retried = (one(found, s) for s in ("payment reported paid", "payment reported returned",
                                                       "payment retried"))
    assert paid["supersedes"] == []
    assert returned["supersedes"] == [paid["sequence"]] and returned["office_reference"] == "BANK-2024-0009"
    assert retried["supersedes"] == [returned["sequence"]] and retried["reason"] == "新账户"
    # as the record stood before the return was reported, the payment stood
    before = entries(cluster, case_id, known_at=datetime.fromisoformat(paid["recorded_on"]))
    assert "payment reported paid" in [e["summary"] for e in before]
    assert "payment reported returned" not in [e["summary"] for e in before]


def test_a_resubmission_supersedes_the_submission_that_was_returned(cluster):
    case_id = filed_case(cluster, approved_unit(cluster))
    handled(cluster.review, reviewing.ReturnForCorrection(case_id=case_id, reason="材料不全",
                                                          correction_deadline=START.date() + timedelta(days=10),
                                                          items=[{"item": "work_contract", "reason": "合同已过期"}]),
            "officer-3", "officer")
    cluster.settle()
    handled(cluster.application, filing.Submit(case_id=case_id), "contact-1", "unit_contact",
            unit_id=str(cluster.application.case(case_id).unit_id))
    first, second = [e for e in entries(cluster, case_id) if e["type"] == "Submitted"]
    assert (first["supersedes"], second["supersedes"]) == ([], [first["sequence"]])


# -- the effective-time rule (provenance.effective_at) ---------------------------------------------------------------
def test_a_fact_dated_the_day_it_was_recorded_is_effective_when_recorded_another_day_at_its_midnight():
    from datetime import timezone

    from services.application.provenance import effective_at

    recorded = datetime(2024, 10, 20, 1, 30, tzinfo=timezone.utc)          # 09:30 on 20 October in Beijing
    assert effective_at(date(2024, 10, 20), recorded) == recorded
    assert effective_at(date(2024, 10, 20), recorded).utcoffset() == timedelta(hours=8)
    assert effective_at(None, recorded) == recorded
    assert effective_at(date(2024, 10, 1), recorded) == midnight(date(2024, 10, 1))
    late_utc_evening = datetime(2024, 10, 19, 17, 0, tzinfo=timezone.utc)   # already 20 October in Beijing
    assert effective_at(date(2024, 10, 20), late_utc_evening) == late_utc_evening
    assert effective_at(date(2024, 10, 19), late_utc_evening) == midnight(date(2024, 10, 19))


def test_select_keeps_stream_order_and_applies_each_bound_alone():
    def entry(sequence, effective_day, recorded_day):
        return {"sequence": sequence, "effective_at": midnight(date(2025, 1, effective_day)).isoformat(),
                "recorded_on": midnight(date(2025, 1, recorded_day)).isoformat()}

    found = [entry(1, 1, 1), entry(2, 5, 20), entry(3, 10, 10)]
    day = lambda d: midnight(date(2025, 1, d))   # noqa: E731
    assert [e["sequence"] for e in history.select(found)] == [1, 2, 3]
    assert [e["sequence"] for e in history.select(found, as_of=day(10))] == [1, 2, 3]
    assert [e["sequence"] for e in history.select(found, as_of=day(9))] == [1, 2]
    assert [e["sequence"] for e in history.select(found, known_at=day(19))] == [1, 3]
    assert [e["sequence"] for e in history.select(found, as_of=day(9), known_at=day(19))] == [1]


def test_the_filing_names_the_registration_officer_who_approved_the_unit(cluster):
    case_id = filed_case(cluster, approved_unit(cluster))
    referenced = one(entries(cluster, case_id), "RegistrationReferenced")
    assert referenced["actor"]["actor_id"] == "contact-1"                       # the unit contact filed
    assert referenced["data"]["approved_by"]["actor_id"] == "officer-1"         # registration's officer approved
    assert referenced["source"]["type"] == "registration.unit.Approved"
