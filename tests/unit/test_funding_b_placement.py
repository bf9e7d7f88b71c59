"""Programme B's PlacementFunding aggregate, every rule at its edges. Pure domain: no store, no broker."""
import uuid
from datetime import date

import pytest

from shared.errors import Refused

from services.funding.ledger import idempotency_key
from services.funding.placement import ExpertSubsidisedTerms, PlacementFunding
from services.funding.placement_money import living_months
from shared import policy as policies

EDITION = "vice-president-2.0"
UNIT = uuid.UUID("00000000-0000-4000-8000-0000000000c1")
EXPERT = uuid.UUID("00000000-0000-4000-8000-0000000000e1")
STARTS, ENDS = date(2025, 3, 15), date(2027, 3, 15)       # a 2-year term starting mid-month
DECIDER, OFFICE = "wg-1", "fo-1"


def appointment(**overrides) -> dict:
    return {"unit_id": UNIT, "expert_id": EXPERT, "starts_on": STARTS, "ends_on": ENDS,
            "kind": "science_engineering", "project_funds_fen": 40_000_000, "policy_edition": EDITION,
            "appointed_by": "system:application", "appointment_event_id": uuid.uuid4(), **overrides}


def appointed(today: date = STARTS, **overrides) -> PlacementFunding:
    a = appointment(**overrides)
    funding = PlacementFunding(id=uuid.uuid4(), unit_id=a["unit_id"], expert_id=a["expert_id"],
                               cooperation_id=uuid.uuid4(), kind=a["kind"],
                               project_funds_fen=a["project_funds_fen"], policy_edition=EDITION)
    funding.appoint(a, today)
    return funding


def living(funding) -> dict[str, tuple[int, str]]:
    return {d.period: (d.amount_fen, d.status) for d in funding.disbursements.values()
            if d.obligation_id == "living_subsidy"}


def living_fen(funding) -> int:
    return sum(amount for amount, status in living(funding).values() if status != "cancelled")


def pay(funding, obligation: str, period: str, actor: str = OFFICE, today: date = date(2030, 1, 1)):
    return funding.report_payment(actor, idempotency_key(funding.id, obligation, period), 1, "paid",
                                  f"bank-{period}", today, today)


def refused(rule: str, call, *args, **kwargs) -> Refused:
    with pytest.raises(Refused) as caught:
        call(*args, **kwargs)
    assert caught.value.rule == rule, caught.value.message
    return caught.value


# -- 1. the project subsidy ------------------------------------------------------------------------------
@pytest.mark.parametrize("kind, funds_yuan, subsidy_yuan", [
    ("science_engineering", 700_000, 300_000),                # 50% = 350,000, capped
    ("science_engineering", 600_000, 300_000),                # 50% exactly at the cap
    ("science_engineering", 400_000, 200_000),                # 50%, under the cap
    ("social_science_humanities", 250_000, 100_000),          # 50% = 125,000, the humanities cap
    ("social_science_humanities", 150_000, 75_000),
])
def test_the_project_subsidy_is_half_the_funds_capped_by_kind_to_the_company(kind, funds_yuan, subsidy_yuan):
    funding = appointed(kind=kind, project_funds_fen=funds_yuan * 100)
    key = idempotency_key(funding.id, "project_subsidy", "once")
    assert funding.scheduled == {key: subsidy_yuan * 100}
    event = next(e for e in funding.collect_events() if type(e).__name__ == "DisbursementScheduled")
    assert (event.payee, event.payee_ref, event.due_on) == ("company", f"unit:{UNIT}", STARTS)
    assert (event.rule, event.policy_edition, event.clause) == ("B.project_subsidy.cap", EDITION, "四(二)1")
    assert event.inputs["project_funds_fen"] == funds_yuan * 100 and event.inputs["kind"] == kind
    assert event.inputs["cap_fen"] == (100_000_00 if kind == "social_science_humanities" else 300_000_00)


def test_half_a_fen_is_rounded_half_up():
    funding = appointed(project_funds_fen=333)
    assert funding.entitlements["project_subsidy"]["amount_fen"] == 167


def test_an_appointment_learnt_late_is_due_the_day_funding_learns_of_it():
    funding = appointed(today=date(2025, 5, 20))
    project = funding.disbursement(idempotency_key(funding.id, "project_subsidy", "once"))
    assert project.due_on == date(2025, 5, 20)
    assert living(funding) == {"2025-03": (200_000, "scheduled"),     # the months due on 15 April and 15 May
                               "2025-04": (200_000, "scheduled")}    # are owed now


def test_the_appointment_records_every_entitlement_with_its_computation():
    funding = appointed()
    e = funding.entitlements
    assert set(e) == {"project_subsidy", "living_subsidy", "medical_green_channel", "public_rental_housing"}
    assert (e["living_subsidy"]["amount_fen"], e["living_subsidy"]["units"], e["living_subsidy"]["ceiling_fen"]) == \
        (200_000, 24, 4_800_000)
    assert e["living_subsidy"]["computation"]["inputs"]["partial_month"] == "pro_rata_days"
    assert (e["medical_green_channel"]["status"], e["medical_green_channel"]["kind"]) == ("granted", "service")
    assert e["public_rental_housing"]["ends_on"] == "2027-03-15"
    refused("funding.appointment.once", funding.appoint, appointment(), STARTS)


def test_a_second_placement_of_the_expert_in_an_overlapping_term_gets_no_project_subsidy():
    terms = ExpertSubsidisedTerms(id=ExpertSubsidisedTerms.id_for(EXPERT), expert_id=str(EXPERT))
    first = uuid.uuid4()
    terms.claim(placement_id=str(first), starts_on=STARTS, ends_on=ENDS)
    assert terms.holder(first, STARTS, ENDS) is None                          # its own claim
    assert terms.holder(uuid.uuid4(), date(2027, 3, 14), date(2029, 3, 14)) == str(first)
    assert terms.holder(uuid.uuid4(), ENDS, date(2029, 3, 15)) is None          # the next term
    funding = appointed(project_subsidy_held_by=str(first))
    project = funding.entitlements["project_subsidy"]
    assert (project["status"], project["amount_fen"], project["computation"]["rule"]) == \
        ("refused", 0, "B.project_subsidy.one_per_term")
    assert not [d for d in funding.disbursements.values() if d.obligation_id == "project_subsidy"]


# -- 2. the living subsidy -------------------------------------------------------------------------------
def test_a_full_two_year_term_starting_mid_month_pays_24_months_in_arrears_once_each():
    funding = appointed()
    assert funding.tick(date(2025, 4, 14)) == 0                  # month 1 runs to 14 April
    assert funding.tick(date(2025, 4, 15)) == 1
    assert funding.tick(date(2025, 4, 15)) == 0                  # twice: nothing more
    assert funding.next_due_on() == date(2025, 5, 15)
    assert funding.tick(date(2030, 1, 1)) == 23                  # after downtime: every missed month, once
    assert funding.tick(date(2030, 1, 1)) == 0
    months = living(funding)
    assert len(months) == 24 and set(months.values()) == {(200_000, "scheduled")}
    assert living_fen(funding) == 24 * 200_000
    last = funding.disbursement(idempotency_key(funding.id, "living_subsidy", "2027-02"))
    assert (last.period_starts_on, last.period_ends_on, last.due_on) == (date(2027, 2, 15), date(2027, 3, 14),
                                                                       date(2027, 3, 15))
    assert funding.next_due_on() is None


def test_a_month_anchored_on_the_31st_does_not_drift():
    months = living_months(policies.edition(EDITION), date(2025, 1, 31), date(2025, 5, 31))
    assert [(m.starts_on, m.last_day) for m in months] == [
        (date(2025, 1, 31), date(2025, 2, 27)), (date(2025, 2, 28), date(2025, 3, 30)),
        (date(2025, 3, 31), date(2025, 4, 29)), (date(2025, 4, 30), date(2025, 5, 30))]
    assert {m.amount_fen for m in months} == {200_000}


def test_an_extension_extends_the_schedule_to_the_new_end_with_a_part_month_pro_rata():
    funding = appointed()
    funding.tick(date(2026, 1, 1))
    funding.extend(date(2027, 9, 30), "重大项目突破", date(2026, 1, 1))
    refused("B.term.extension_later", funding.extend, date(2027, 9, 30), "again", date(2026, 1, 2))
    funding.tick(date(2030, 1, 1))
    months = living(funding)
    assert len(months) == 31
    assert months["2027-09"] == (100_000, "scheduled")              # 15 of 30 days (15–29 September)
    assert living_fen(funding) == 30 * 200_000 + 100_000


def test_an_extension_after_a_part_month_was_released_tops_it_up():
    funding = appointed(ends_on=date(2027, 3, 31))                   # the last month covers 16 of 31 days
    funding.tick(date(2027, 3, 31))
    assert living(funding)["2027-03"] == (103_226, "scheduled")  # 2,000 × 16/31 = 1,032.258… half-up
    funding.extend(date(2027, 4, 15), "重大项目突破", date(2027, 4, 1))
    assert funding.tick(date(2027, 4, 14)) == 0
    assert funding.tick(date(2027, 4, 15)) == 1
    assert living(funding)["2027-03.2"] == (200_000 - 103_226, "scheduled")
    assert living_fen(funding) == 25 * 200_000


def test_an_early_end_known_in_time_pays_the_part_month_and_nothing_after():
    funding = appointed()
    funding.tick(date(2025, 5, 20))                              # months 1 and 2 (to 14 May) released
    funding.end_early(date(2025, 6, 1), "the company withdrew", date(2025, 6, 2))
    refused("funding.ended.once", funding.end_early, date(2025, 6, 1), "again", date(2025, 6, 2))
    funding.tick(date(2030, 1, 1))
    assert living(funding) == {"2025-03": (200_000, "scheduled"), "2025-04": (200_000, "scheduled"),
                               "2025-05": (116_129, "scheduled")}    # 15 May – 1 June: 18 of 31 days
    assert funding.recoveries == {} and funding.next_due_on() is None
    assert funding.entitlements["medical_green_channel"]["status"] == "ended"


def test_an_early_end_recorded_late_cancels_unpaid_months_and_claims_back_paid_days_after_it():
    funding = appointed()
    funding.tick(date(2025, 9, 1))                               # months to 14 August released
    for period in ("2025-03", "2025-04", "2025-05"):
        pay(funding, "living_subsidy", period)
    funding.end_early(date(2025, 5, 1), "the expert left", date(2025, 9, 1))
    assert living(funding) == {"2025-03": (200_000, "paid"), "2025-04": (200_000, "paid"),
                               "2025-05": (200_000, "paid"), "2025-06": (200_000, "cancelled"),
                               "2025-07": (200_000, "cancelled")}
    claims = {r: v["overpaid_fen"] for r, v in funding.recoveries.items()}
    worth_april = round(200_000 * 17 / 30)                           # 15 April – 1 May: 17 of 30 days
    assert claims == {idempotency_key(funding.id, "living_subsidy_recovery", "2025-04"): 200_000 - worth_april,
                      idempotency_key(funding.id, "living_subsidy_recovery", "2025-05"): 200_000}
    assert funding.paid_fen("living_subsidy") - funding.recovered_fen() == 200_000 + worth_april
    event = [e for e in funding.collect_events() if type(e).__name__ == "RecoveryClaimed"][0]
    assert (event.rule, event.clause, event.ended_on) == ("B.living.recovery.early_end", "四(二)2", date(2025, 5, 1))


def test_an_unpaid_month_across_a_late_end_is_cancelled_and_released_again_for_its_days():
    funding = appointed()
    funding.tick(date(2025, 5, 20))
    funding.end_early(date(2025, 4, 30), "the expert left", date(2025, 5, 20))
    assert living(funding) == {"2025-03": (200_000, "scheduled"), "2025-04": (200_000, "cancelled"),
                               "2025-04.2": (round(200_000 * 16 / 30), "scheduled")}


def test_a_returned_payment_withdraws_its_claim_and_paying_it_again_claims_again():
    funding = appointed()
    funding.tick(date(2025, 6, 1))                               # 2025-03 and 2025-04 (to 14 May)
    pay(funding, "living_subsidy", "2025-04")
    funding.end_early(date(2025, 5, 1), "the expert left", date(2025, 6, 1))
    key = idempotency_key(funding.id, "living_subsidy", "2025-04")
    claim = idempotency_key(funding.id, "living_subsidy_recovery", "2025-04")
    overpaid = 200_000 - round(200_000 * 17 / 30)
    assert funding.recoveries[claim] == {"paid_key": key, "overpaid_fen": overpaid, "status": "claimed"}
    funding.report_payment(OFFICE, key, 1, "returned", "bank-r", date(2025, 6, 2), date(2025, 6, 2))
    assert funding.recoveries[claim]["status"] == "withdrawn"
    funding.retry(OFFICE, key, "paid again", date(2025, 6, 3))
    funding.report_payment(OFFICE, key, 2, "paid", "bank-2", date(2025, 6, 3), date(2025, 6, 3))
    assert funding.recoveries[claim]["status"] == "claimed" and funding.recovered_fen() == overpaid


def test_expiry_is_recorded_once_and_ends_the_in_term_services():
    funding = appointed()
    assert funding.expire(ENDS, date(2027, 3, 16)) is True
    assert funding.expire(ENDS, date(2027, 3, 17)) is False
    names = [type(e).__name__ for e in funding.collect_events()]
    assert names.count("TermExpired") == 1
    assert {c: e["status"] for c, e in funding.entitlements.items()} == {
        "project_subsidy": "granted", "living_subsidy": "granted", "medical_green_channel": "ended",
        "public_rental_housing": "ended"}
    assert living_fen(funding) == 24 * 200_000


def test_an_expiry_earlier_than_the_known_end_stops_the_schedule_there():
    funding = appointed()
    funding.expire(date(2026, 3, 15), date(2026, 3, 16))
    funding.tick(date(2030, 1, 1))
    assert living_fen(funding) == 12 * 200_000


# -- 3. prizes --------------------------------------------------------------------------------------------
def award(funding, level="first", year=2027, actor=DECIDER, today=date(2027, 6, 1)):
    return funding.award_prize(actor, level, year, "成果突出", today)


def test_a_prize_is_for_a_concluded_project_only():
    funding = appointed()
    refused("B.prize.concluded", award, funding)                       # still in its term
    ended = appointed()
    ended.end_early(date(2026, 1, 1), "left", date(2026, 1, 2))
    refused("B.prize.concluded", award, ended)                         # ended early: not concluded


@pytest.mark.parametrize("level, yuan", [("first", 200_000), ("second", 100_000), ("third", 50_000)])
def test_a_prize_pays_the_expert_by_level_once_per_placement(level, yuan):
    funding = appointed()
    funding.expire(ENDS, ENDS)
    awarded = award(funding, level)
    key = idempotency_key(funding.id, "prize", "2027")
    assert awarded == {"idempotency_key": key, "amount_fen": yuan * 100, "level": level, "year": 2027}
    event = [e for e in funding.collect_events() if type(e).__name__ == "DisbursementScheduled"][-1]
    assert (event.payee, event.payee_ref, event.rule, event.inputs) == (
        "expert", f"expert:{EXPERT}", "B.prize.amount", {"level": level, "year": 2027})
    refused("B.prize.once", award, funding, "third", 2028, today=date(2028, 6, 1))


def test_a_prize_year_is_from_the_conclusion_to_this_year():
    funding = appointed()
    funding.expire(ENDS, ENDS)
    refused("B.prize.year", award, funding, year=2026)
    refused("B.prize.year", award, funding, year=2028)
    assert award(funding, year=2027)["amount_fen"] == 20_000_000


def test_whoever_decided_a_prize_cannot_report_or_retry_its_payment():
    funding = appointed()
    funding.expire(ENDS, ENDS)
    award(funding)
    key = idempotency_key(funding.id, "prize", "2027")
    refused("separation_of_duties.decide_release", funding.report_payment, DECIDER, key, 1, "paid", "bank-1",
            date(2027, 6, 1), date(2027, 6, 1))
    funding.report_payment(OFFICE, key, 1, "failed", "bank-1", date(2027, 6, 1), date(2027, 6, 1))
    refused("separation_of_duties.decide_release", funding.retry, DECIDER, key, "again", date(2027, 6, 2))
    funding.retry(OFFICE, key, "account corrected", date(2027, 6, 2))
    funding.report_payment(OFFICE, key, 2, "paid", "bank-2", date(2027, 6, 2), date(2027, 6, 2))
    refused("funding.payment.paid_once", funding.report_payment, OFFICE, key, 2, "paid", "bank-3",
            date(2027, 6, 2), date(2027, 6, 2))
    pay(funding, "project_subsidy", "once", actor=DECIDER)            # not their decision: allowed


# -- 4. the breakthrough subsidy ---------------------------------------------------------------------------
@pytest.mark.parametrize("investment_yuan, subsidy_yuan", [
    (20_000_000, 5_000_000),          # 30% = 6,000,000, capped
    (16_666_667, 5_000_000),          # 30% = 5,000,000.10, capped
    (16_666_666, 4_999_999.80),
    (1_000_000, 300_000),
])
def test_the_breakthrough_subsidy_is_30_percent_at_most_5_million_to_the_company(investment_yuan, subsidy_yuan):
    funding = appointed()
    granted = funding.grant_breakthrough(DECIDER, round(investment_yuan * 100), "产业化投资", date(2026, 1, 1))
    assert granted["amount_fen"] == round(subsidy_yuan * 100)
    event = [e for e in funding.collect_events() if type(e).__name__ == "DisbursementScheduled"][-1]
    assert (event.payee, event.payee_ref, event.rule, event.policy_edition) == (
        "company", f"unit:{UNIT}", "B.breakthrough.cap", EDITION)
    assert event.inputs["investment_fen"] == round(investment_yuan * 100) and event.inputs["cap_fen"] == 500_000_000
    refused("B.breakthrough.once", funding.grant_breakthrough, DECIDER, 100, "again", date(2026, 1, 2))
    refused("separation_of_duties.decide_release", funding.report_payment, DECIDER, granted["idempotency_key"], 1,
            "paid", "bank-1", date(2026, 1, 1), date(2026, 1, 1))


def test_money_decisions_need_an_appointment():
    funding = PlacementFunding(id=uuid.uuid4(), unit_id=UNIT, expert_id=EXPERT, cooperation_id=None,
                               kind="science_engineering", project_funds_fen=100, policy_edition=EDITION)
    refused("funding.appointment.required", funding.grant_breakthrough, DECIDER, 100, "x", date(2026, 1, 1))
    refused("funding.appointment.required", funding.award_prize, DECIDER, "first", 2026, "x", date(2026, 1, 1))
    assert funding.tick(date(2030, 1, 1)) == 0
