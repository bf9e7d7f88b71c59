"""The CaseFunding aggregate, every rule at its edges. Pure domain: no store, no broker."""
import uuid
from datetime import date

import pytest

from shared import policy
from shared.errors import Refused
from shared.policy.figures import changju_figures

from services.funding.domain import CaseFunding, idempotency_key

EFFECTIVE = date(2025, 1, 1)
UNIT = uuid.UUID("00000000-0000-4000-8000-0000000000aa")
AWARD = 150_000_000
DECIDER = "decider-1"
OFFICE = "fo-1"


def decision(**overrides) -> dict:
    return {"award_fen": AWARD, "prior_changju_award_fen": 0, "national_or_beijing_talent": False,
            "category": "outstanding", "effective_on": EFFECTIVE, "policy_edition": "changju-2024",
            "rule": "A.award.cap", "inputs": {"requested_fen": AWARD}, "decided_by": DECIDER,
            "decision_event_id": str(uuid.uuid4()),
            "figures": changju_figures(policy.edition("changju-2024")), **overrides}


def granted(today: date = EFFECTIVE, **overrides) -> CaseFunding:
    funding = CaseFunding(id=uuid.uuid4(), programme="A", unit_id=UNIT)
    funding.grant(decision(**overrides), today)
    return funding


def new_events(funding) -> list:
    return funding.collect_events()


def names(events) -> list[str]:
    return [type(e).__name__ for e in events]


def refused(rule: str, call, *args, **kwargs) -> Refused:
    with pytest.raises(Refused) as caught:
        call(*args, **kwargs)
    assert caught.value.rule == rule, caught.value
    return caught.value


def rent_funding(monthly_rent_fen=1_000_000, starts_on=EFFECTIVE, today=EFFECTIVE, **overrides) -> CaseFunding:
    funding = granted(**overrides)
    funding.choose_housing("rent_subsidy", today, monthly_rent_fen=monthly_rent_fen, starts_on=starts_on)
    return funding


def key(funding, obligation, period):
    return idempotency_key(funding.id, obligation, period)


# -- the decision -----------------------------------------------------------------------------------
def test_a_decision_grants_entitlements_sets_the_deadlines_and_schedules_the_award():
    funding = granted()
    events = new_events(funding)
    assert names(events) == ["Opened", "EntitlementsGranted", "DeadlineSet", "DisbursementScheduled"]
    granted_event = events[1]
    by_code = {e["code"]: e for e in granted_event.entitlements}
    assert by_code["award_money"]["status"] == "granted"
    assert by_code["award_money"]["computation"]["rule"] == "A.award.cap"
    assert by_code["award_money"]["computation"]["policy_edition"] == "changju-2024"
    assert by_code["service_money"]["status"] == "refused"
    assert by_code["service_money"]["computation"]["rule"] == "A.service_money.excluded_after_award"
    assert by_code["rent_subsidy"]["status"] == "not_chosen"
    assert {"hukou_residence", "children_schooling", "medical_green_channel", "government_services",
            "financial_services"} <= {code for code, e in by_code.items() if e["kind"] == "service"}
    deadline = events[2]
    assert (deadline.deadline, deadline.due_on, deadline.starts_on) == ("commitment", date(2028, 1, 1), EFFECTIVE)
    award = events[3]
    assert award.idempotency_key == key(funding, "award", "once")
    assert (award.amount_fen, award.due_on, award.payee, award.attempt) == (AWARD, EFFECTIVE, "talent", 1)
    assert (award.rule, award.policy_edition, award.clause) == ("A.award.cap", "changju-2024", "三(一)")
    assert award.inputs["award_fen"] == AWARD and award.inputs["cap_fen"] == 200_000_000


def test_a_decision_recorded_late_schedules_the_award_today():
    funding = granted(today=date(2025, 2, 10))
    award = [e for e in new_events(funding) if type(e).__name__ == "DisbursementScheduled"][0]
    assert (award.due_on, award.effective_on) == (date(2025, 2, 10), EFFECTIVE)


def test_a_national_talent_gets_no_award_money_but_service_money_and_its_deadline():
    funding = granted(award_fen=0, national_or_beijing_talent=True)
    events = new_events(funding)
    assert names(events) == ["Opened", "EntitlementsGranted", "DeadlineSet", "DeadlineSet"]
    assert [(e.deadline, e.due_on) for e in events[2:]] == [("commitment", date(2028, 1, 1)),
                                                             ("service_money", date(2027, 1, 1))]
    assert funding.entitlements["award_money"]["computation"]["rule"] == "A.award.national_or_beijing_talent"
    assert funding.entitlements["service_money"]["status"] == "granted"
    assert funding.scheduled == {}


def test_a_decision_is_granted_once():
    funding = granted()
    refused("funding.decision.once", funding.grant, decision(), EFFECTIVE)


def test_a_re_applicant_gets_the_top_up_and_never_beyond_the_cap():
    funding = granted(award_fen=50_000_000, prior_changju_award_fen=150_000_000)
    assert funding.scheduled == {key(funding, "award", "once"): 50_000_000}
    other = CaseFunding(id=uuid.uuid4(), programme="A", unit_id=UNIT)
    refused("A.award.cap", other.grant, decision(award_fen=50_000_001, prior_changju_award_fen=150_000_000),
            EFFECTIVE)


# -- housing ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("rent, subsidy", [(1_499_999, 1_499_999), (1_500_000, 1_500_000),
                                           (1_500_100, 1_500_000), (9_000_000, 1_500_000)])
def test_the_rent_subsidy_is_the_rent_paid_at_most_15000_a_month(rent, subsidy):
    funding = rent_funding(monthly_rent_fen=rent)
    first = new_events(funding)[-1]
    assert type(first).__name__ == "DisbursementScheduled"
    assert (first.obligation_id, first.period, first.amount_fen) == ("rent_subsidy", "2025-01", subsidy)
    assert (first.rule, first.inputs["monthly_rent_paid_fen"], first.inputs["monthly_cap_fen"]) == (
        "A.rent.cap", rent, 1_500_000)
    assert (first.period_starts_on, first.period_ends_on) == (date(2025, 1, 1), date(2025, 1, 31))
    assert funding.entitlements["rent_subsidy"]["status"] == "granted"


def test_housing_choice_records_the_rent_deadline_and_releases_what_is_already_due():
    funding = granted()
    new_events(funding)
    funding.choose_housing("rent_subsidy", date(2025, 3, 20), monthly_rent_fen=800_000,
                           starts_on=date(2025, 1, 15))
    events = new_events(funding)
    assert names(events) == ["HousingChosen", "DeadlineSet"] + ["DisbursementScheduled"] * 3
    assert (events[1].deadline, events[1].due_on) == ("rent_subsidy", date(2028, 1, 15))
    assert [e.period for e in events[2:]] == ["2025-01", "2025-02", "2025-03"]
    assert [e.due_on for e in events[2:]] == [date(2025, 1, 15), date(2025, 2, 15), date(2025, 3, 15)]


def test_the_rent_subsidy_pays_36_months_and_nothing_past_its_end():
    funding = rent_funding(monthly_rent_fen=2_000_000)
    assert funding.tick(date(2027, 12, 31)) == 35     # the 35 other instalments
    assert funding.tick(date(2031, 1, 1)) == 2        # the rent and commitment deadlines, nothing more
    rent = {k: v for k, v in funding.scheduled.items() if ":rent_subsidy:" in k}
    assert len(rent) == 36 and sum(rent.values()) == 36 * 1_500_000
    assert max(d.period_ends_on for d in funding.disbursements.values() if d.period_ends_on) == date(2027, 12, 31)
    assert funding.deadlines["rent_subsidy"]["status"] == "reached"
    assert funding.tick(date(2040, 1, 1)) == 0


def test_a_quarterly_office_setting_groups_three_months_an_instalment():
    funding = granted()
    funding.choose_housing("rent_subsidy", EFFECTIVE, monthly_rent_fen=1_000_000, starts_on=EFFECTIVE,
                           frequency_months=3)
    first = new_events(funding)[-1]
    assert (first.period, first.amount_fen) == ("2025-01..2025-03", 3_000_000)


def test_housing_is_chosen_once_after_the_decision_and_within_the_commitment():
    undecided = CaseFunding(id=uuid.uuid4(), programme="A", unit_id=UNIT)
    refused("funding.decision.required", undecided.choose_housing, "flat", EFFECTIVE)
    funding = granted()
    refused("A.rent.start_after_decision", funding.choose_housing, "rent_subsidy", EFFECTIVE,
            monthly_rent_fen=1, starts_on=date(2024, 12, 31))
    refused("A.rent.start_within_commitment", funding.choose_housing, "rent_subsidy", EFFECTIVE,
            monthly_rent_fen=1, starts_on=date(2028, 1, 1))
    funding.choose_housing("flat", EFFECTIVE)
    assert funding.entitlements["housing_flat"]["status"] == "granted"
    assert funding.entitlements["rent_subsidy"]["computation"]["rule"] == "A.rent.flat_instead"
    refused("A.housing.chosen_once", funding.choose_housing, "rent_subsidy", EFFECTIVE, monthly_rent_fen=1,
            starts_on=EFFECTIVE)
    assert funding.tick(date(2026, 1, 1)) == 0        # a flat pays no rent


# -- service money ----------------------------------------------------------------------------------
def national():
    return granted(award_fen=0, national_or_beijing_talent=True)


def test_service_money_is_approved_up_to_what_remains_of_the_year():
    funding = national()
    claim = funding.claim_service_money
    first = claim(date(2025, 3, 1), 3_000_000, "training", "doc-1", date(2025, 3, 5))
    second = claim(date(2025, 6, 1), 3_000_000, "travel", "doc-2", date(2025, 6, 5))
    assert (first["approved_fen"], second["approved_fen"]) == (3_000_000, 2_000_000)
    refused("A.service_money.exhausted", claim, date(2025, 12, 31), 1, "study", "doc-3", date(2026, 1, 5))
    third = claim(date(2026, 1, 1), 5_000_001, "check_up", "doc-4", date(2026, 1, 5))   # year 2
    assert (third["year_index"], third["approved_fen"]) == (2, 5_000_000)
    scheduled = [e for e in new_events(funding) if type(e).__name__ == "DisbursementScheduled"]
    assert [(e.period, e.amount_fen, e.payee, e.payee_ref) for e in scheduled] == [
        ("year1-claim001", 3_000_000, "unit", f"unit:{UNIT}"), ("year1-claim002", 2_000_000, "unit", f"unit:{UNIT}"),
        ("year2-claim003", 5_000_000, "unit", f"unit:{UNIT}")]
    assert scheduled[1].inputs["remaining_fen"] == 2_000_000


def test_service_money_is_refused_after_award_money():
    funding = granted(award_fen=1)
    refused("A.service_money.excluded_after_award", funding.claim_service_money, date(2025, 3, 1), 100,
            "training", "doc-1", date(2025, 3, 5))
    reapplicant = granted(award_fen=0, prior_changju_award_fen=100_000_000)
    refused("A.service_money.excluded_after_award", reapplicant.claim_service_money, date(2025, 3, 1), 100,
            "training", "doc-1", date(2025, 3, 5))


@pytest.mark.parametrize("spent_on, purpose, today, rule", [
    (date(2024, 12, 31), "training", date(2025, 1, 5), "A.service_money.years"),     # before the term
    (date(2027, 1, 1), "training", date(2027, 1, 5), "A.service_money.years"),       # first day after 2 years
    (date(2025, 3, 1), "shopping", date(2025, 3, 5), "A.service_money.purpose"),
    (date(2025, 3, 6), "training", date(2025, 3, 5), "A.service_money.actual_expense"),
])
def test_service_money_claims_are_refused_naming_the_rule(spent_on, purpose, today, rule):
    refused(rule, national().claim_service_money, spent_on, 100, purpose, "doc-1", today)


def test_the_last_day_of_year_two_is_still_covered():
    approved = national().claim_service_money(date(2026, 12, 31), 100, "training", "doc-1", date(2027, 2, 1))
    assert approved["year_index"] == 2


# -- the funding office -----------------------------------------------------------------------------
def award_key(funding):
    return key(funding, "award", "once")


def report(funding, outcome, attempt=1, actor=OFFICE, ref="bank-1", today=date(2025, 1, 10)):
    return funding.report_payment(actor, award_key(funding), attempt, outcome, ref, today, today)


def test_a_key_is_paid_once():
    funding = granted()
    report(funding, "paid")
    refused("funding.payment.paid_once", funding.report_payment, OFFICE, award_key(funding), 1, "paid", "bank-2",
            date(2025, 1, 10), date(2025, 1, 10))
    refused("funding.payment.paid_once", funding.retry, OFFICE, award_key(funding), "again", date(2025, 1, 11))
    refused("funding.payment.transition", funding.report_payment, OFFICE, award_key(funding), 1, "failed",
            "bank-2", date(2025, 1, 10), date(2025, 1, 10))
    assert funding.paid_fen() == AWARD


def test_a_failed_payment_is_retried_under_the_same_key_and_then_paid():
    funding = granted()
    refused("funding.retry.pending", funding.retry, OFFICE, award_key(funding), "too early", date(2025, 1, 5))
    report(funding, "failed")
    new_events(funding)
    funding.retry(OFFICE, award_key(funding), "account corrected", date(2025, 1, 12))
    retried = new_events(funding)[-1]
    assert (type(retried).__name__, retried.idempotency_key, retried.attempt, retried.previous_attempt) == (
        "DisbursementRetried", award_key(funding), 2, 1)
    assert (retried.amount_fen, retried.due_on) == (AWARD, date(2025, 1, 12))
    refused("funding.payment.current_attempt", funding.report_payment, OFFICE, award_key(funding), 1, "paid",
            "bank-1", date(2025, 1, 12), date(2025, 1, 12))
    refused("funding.retry.pending", funding.retry, OFFICE, award_key(funding), "again", date(2025, 1, 12))
    report(funding, "paid", attempt=2, today=date(2025, 1, 13))
    d = funding.disbursements[award_key(funding)]
    assert (d.status, d.attempt, [a["status"] for a in d.attempts]) == ("paid", 2, ["failed", "paid"])
    assert funding.paid_fen() == AWARD


def test_a_returned_payment_is_no_longer_paid_and_may_be_retried():
    funding = granted()
    report(funding, "paid")
    report(funding, "returned", today=date(2025, 1, 20))
    assert funding.paid_fen() == 0
    funding.retry(OFFICE, award_key(funding), "new account", date(2025, 1, 21))
    report(funding, "paid", attempt=2, today=date(2025, 1, 22))
    assert funding.paid_fen() == AWARD


def test_a_payment_is_reported_once_it_happened():
    funding = granted()
    refused("funding.payment.not_in_future", funding.report_payment, OFFICE, award_key(funding), 1, "paid",
            "bank-1", date(2025, 1, 11), date(2025, 1, 10))


def test_an_unknown_key_is_not_found():
    funding = granted()
    with pytest.raises(Refused) as caught:
        funding.report_payment(OFFICE, key(funding, "award", "twice"), 1, "paid", "b", EFFECTIVE, EFFECTIVE)
    assert caught.value.code == "not_found"


def test_whoever_decided_the_award_cannot_report_or_retry_its_payments():
    funding = granted()
    refused("separation_of_duties.decide_release", funding.report_payment, DECIDER, award_key(funding), 1, "paid",
            "bank-1", EFFECTIVE, EFFECTIVE)
    report(funding, "failed")
    refused("separation_of_duties.decide_release", funding.retry, DECIDER, award_key(funding), "x", EFFECTIVE)


# -- the timer --------------------------------------------------------------------------------------
def test_a_timer_after_downtime_fires_every_missed_deadline_once():
    funding = national()
    new_events(funding)
    assert funding.tick(date(2026, 12, 31)) == 0                 # the day before: nothing
    assert funding.tick(date(2030, 6, 1)) == 2                   # down for years: both, once each
    events = new_events(funding)
    assert [(type(e).__name__, e.deadline, e.due_on, e.effective_on) for e in events] == [
        ("DeadlineReached", "service_money", date(2027, 1, 1), date(2027, 1, 1)),
        ("DeadlineReached", "commitment", date(2028, 1, 1), date(2028, 1, 1))]
    assert funding.tick(date(2030, 6, 1)) == 0
    assert funding.tick(date(2031, 6, 1)) == 0


def test_a_deadline_fires_on_its_day():
    funding = national()
    assert funding.tick(date(2027, 1, 1)) == 1


# -- an early end -----------------------------------------------------------------------------------
def paid_rent_until(funding, periods, today):
    for period in periods:
        funding.report_payment(OFFICE, key(funding, "rent_subsidy", period), 1, "paid", f"bank-{period}",
                               today, today)


def test_an_early_end_mid_month_claims_back_what_was_paid_for_later_days():
    funding = rent_funding(monthly_rent_fen=1_000_000)             # 10,000 yuan a month from 1 January
    funding.tick(date(2025, 3, 1))                            # January, February, March released
    paid_rent_until(funding, ["2025-01", "2025-02", "2025-03"], date(2025, 3, 2))
    new_events(funding)
    funding.end_early(date(2025, 2, 14), "left Changping", date(2025, 3, 10))
    events = new_events(funding)
    assert names(events) == ["EndedEarly", "RecoveryClaimed", "RecoveryClaimed"]
    ended, february, march = events
    assert (ended.ended_on, ended.effective_on) == (date(2025, 2, 14), date(2025, 2, 14))
    assert sorted(ended.deadlines_cancelled) == ["commitment", "rent_subsidy"]
    assert (february.period, february.overpaid_fen) == ("2025-02", 500_000)   # 14 of February's 28 days
    assert (march.period, march.overpaid_fen) == ("2025-03", 1_000_000)
    assert february.paid_key == key(funding, "rent_subsidy", "2025-02")
    assert february.idempotency_key == key(funding, "rent_subsidy_recovery", "2025-02")
    assert (february.rule, february.policy_edition) == ("A.rent.recovery.early_end", "changju-2024")
    assert funding.recovered_fen() == 1_500_000
    assert funding.tick(date(2030, 1, 1)) == 0                # no instalment, no deadline after the end
    refused("funding.ended.once", funding.end_early, date(2025, 2, 20), "again", date(2025, 3, 10))
    refused("funding.ended", funding.choose_housing, "flat", date(2025, 3, 10))


def test_an_early_end_cancels_unpaid_later_instalments_and_claims_a_straddling_one_when_paid():
    funding = rent_funding(monthly_rent_fen=1_000_000)
    funding.tick(date(2025, 3, 1))
    paid_rent_until(funding, ["2025-01"], date(2025, 1, 2))
    funding.end_early(date(2025, 2, 14), "left the unit", date(2025, 3, 10))
    feb, mar = key(funding, "rent_subsidy", "2025-02"), key(funding, "rent_subsidy", "2025-03")
    assert (funding.disbursements[feb].status, funding.disbursements[mar].status) == ("scheduled", "cancelled")
    assert funding.recoveries == {}
    refused("funding.disbursement.cancelled", funding.report_payment, OFFICE, mar, 1, "paid", "b", EFFECTIVE,
            date(2025, 3, 10))
    funding.report_payment(OFFICE, feb, 1, "paid", "bank-feb", date(2025, 3, 10), date(2025, 3, 10))
    assert funding.recovered_fen() == 500_000
    funding.report_payment(OFFICE, feb, 1, "returned", "bank-feb", date(2025, 3, 11), date(2025, 3, 11))
    assert funding.recovered_fen() == 0                           # the money came back: nothing to recover
    assert names(new_events(funding))[-2:] == ["DisbursementReturned", "RecoveryWithdrawn"]


def test_an_end_stops_service_money_claims_after_the_end_date():
    funding = national()
    funding.end_early(date(2025, 5, 31), "left the unit", date(2025, 6, 10))
    refused("funding.ended.after_end", funding.claim_service_money, date(2025, 6, 1), 100, "training", "d",
            date(2025, 6, 10))
    assert funding.claim_service_money(date(2025, 5, 31), 100, "training", "d", date(2025, 6, 10))[
        "approved_fen"] == 100


def test_an_end_is_recorded_once_it_happened_and_not_before_the_start():
    funding = granted()
    refused("funding.early_end.not_in_future", funding.end_early, date(2025, 3, 2), "x", date(2025, 3, 1))
    refused("funding.early_end.before_start", funding.end_early, date(2024, 12, 31), "x", date(2025, 3, 1))


def test_an_end_on_the_last_day_of_a_term_keeps_that_deadline():
    funding = national()
    funding.end_early(date(2026, 12, 31), "left", date(2026, 12, 31))
    assert funding.deadlines["service_money"]["status"] == "pending"      # it ends tomorrow anyway
    assert funding.deadlines["commitment"]["status"] == "cancelled"
    assert funding.tick(date(2027, 1, 1)) == 1


def test_stored_v1_events_are_upcast():
    state = {"originator_id": uuid.UUID(int=1), "obligation_id": "award", "period": "once", "due_on": EFFECTIVE,
             "purpose": "award money (奖励资金)"}
    CaseFunding.DisbursementScheduled.upcast_v1_v2(state)
    assert state["case_id"] == str(uuid.UUID(int=1)) and state["attempt"] == 1
    assert state["period_starts_on"] == state["effective_on"] == EFFECTIVE
    opened = {}
    CaseFunding.Opened.upcast_v1_v2(opened)
    assert opened == {"unit_id": None}
