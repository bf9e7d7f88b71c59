"""Every query that can return a person's data says what it reads, so the access log records it."""
import pytest

from services.registry import endpoints

NOT_PERSONAL = {"access_log",    # the log itself: auditors only, and who read it is not a person's data
                "budget", "budget_csv"}   # a programme's year in totals: no case, no person

QUERIES = [(e.service, e.method, e) for e in endpoints() if not e.write and e.roles is not None]


def test_the_walk_finds_the_queries():
    names = {f"{service}.{name}" for service, name, _ in QUERIES}
    assert {"application.history", "application.status", "funding.entitlements", "registration.get_expert",
            "review.review", "application.case_events", "registration.access_log"} <= names


@pytest.mark.parametrize("service, name, contract", QUERIES, ids=lambda v: v if isinstance(v, str) else "")
def test_each_query_declares_what_it_reads(service, name, contract):
    if name in NOT_PERSONAL:
        assert not contract.reads
    else:
        assert contract.reads, f"{service}.{name} returns personal data: declare reads= on its @query"
