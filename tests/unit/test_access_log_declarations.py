"""Every query that can return a person's data says what it reads, so the access log records it."""
import pytest

from services.reference import SERVICES, endpoints, service_class

NOT_PERSONAL = {"access_log"}   # the log itself: auditors only, and who read it is not a person's data

QUERIES = [(service, name, contract) for service in SERVICES for name, contract, _ in endpoints(service_class(service))
           if not contract.write and contract.roles is not None]


def test_the_walk_finds_the_queries():
    names = {f"{service}.{name}" for service, name, _ in QUERIES}
    assert {"application.history", "application.status", "funding.entitlements", "registration.get_expert",
            "review.review", "application.case_events", "registration.access_log"} <= names


@pytest.mark.parametrize("service, name, contract", QUERIES, ids=lambda v: v if isinstance(v, str) else "")
def test_each_query_declares_what_it_reads(service, name, contract):
    if name in NOT_PERSONAL:
        assert contract.reads is None
    else:
        assert contract.reads is not None, f"{service}.{name} returns personal data: declare reads= on its @query"
