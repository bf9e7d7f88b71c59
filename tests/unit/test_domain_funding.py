"""A case's funding: scheduling the award. Pure domain, no store."""
import uuid
from datetime import date


from services.funding.domain import CaseFunding, idempotency_key

DUE = date(2024, 11, 1)


def opened() -> CaseFunding:
    return CaseFunding(id=uuid.uuid4(), programme="A")


def schedule(funding, amount):
    funding.schedule_award(amount, DUE, "A.award.cap", "changju-2024")


def test_the_idempotency_key_names_case_obligation_and_period():
    case_id = uuid.UUID("12345678-1234-5678-1234-567812345678")
    assert idempotency_key(case_id, "award", "once") == "12345678-1234-5678-1234-567812345678:award:once"
    assert idempotency_key(case_id, "subsidy", "2025-01") != idempotency_key(case_id, "subsidy", "2025-02")


def test_an_award_is_scheduled_once_with_its_provenance():
    funding = opened()
    schedule(funding, 200_000_000)
    scheduled = funding.collect_events()[-1]
    assert type(scheduled).__name__ == "DisbursementScheduled"
    assert scheduled.idempotency_key == idempotency_key(funding.id, "award", "once")
    assert (scheduled.amount_fen, scheduled.due_on) == (200_000_000, DUE)
    assert (scheduled.rule, scheduled.policy_edition) == ("A.award.cap", "changju-2024")
    assert funding.scheduled == {idempotency_key(funding.id, "award", "once"): 200_000_000}


def test_a_zero_award_schedules_nothing():
    funding = opened()
    schedule(funding, 0)
    assert funding.scheduled == {}
    assert funding.version == 1


def test_the_same_award_is_never_scheduled_twice():
    funding = opened()
    schedule(funding, 500)
    schedule(funding, 500)
    schedule(funding, 700)
    assert list(funding.scheduled.values()) == [500]
    assert funding.version == 2


def test_the_key_differs_per_case():
    first, second = opened(), opened()
    schedule(first, 1)
    schedule(second, 1)
    assert set(first.scheduled).isdisjoint(second.scheduled)
