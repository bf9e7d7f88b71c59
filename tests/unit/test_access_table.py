"""The access tables (services/<service>/access.py) are what the entrypoints admit: every endpoint has
a row, and its roles are the row's. The relationships themselves, on hand-made facts; the running
services are walked with real tokens in tests/integration/test_access_walk.py."""
import pytest

from shared.access import ANY, OWN_UNIT, Facts, Table
from shared.errors import Refused
from shared.identity import Identity

from services.reference import SERVICES, access_table, endpoints, service_class


@pytest.mark.parametrize("service", SERVICES)
def test_every_endpoint_has_a_row_and_admits_exactly_its_roles(service):
    table, found = access_table(service), endpoints(service_class(service))
    assert sorted(name for name, _, _ in found) == sorted(table.rows)
    for name, contract, _ in found:
        if contract.roles is None:
            assert table.public(name), name
        else:
            assert sorted(contract.roles) == sorted(table.roles(name)), name


def refusal(table, endpoint, identity, facts=Facts()) -> Refused:
    with pytest.raises(Refused) as caught:
        table.check(endpoint, identity, facts)
    assert caught.value.code == "forbidden"
    return caught.value


def test_the_probe_an_expert_reads_no_programme_a_case_history():
    from services.application.access import TABLE, case_facts
    case = case_facts({"unit_id": "5d0c4f5e-0000-4000-8000-000000000001", "status": "award_decided"})
    assert refusal(TABLE, "history", Identity("3f0c4f5e-0000-4000-8000-00000000000e", "expert"),
                   case).rule == "roles.own_placement"


def test_an_expert_reads_their_own_placement_only():
    from services.application.access import TABLE, placement_facts
    mine = placement_facts({"unit_id": "u-1", "expert_id": "3f0c4f5e-0000-4000-8000-00000000000e"})
    TABLE.check("history", Identity("3F0C4F5E-0000-4000-8000-00000000000E", "expert"), mine)
    assert refusal(TABLE, "placement", Identity("someone-else", "expert"), mine).rule == "roles.own_placement"


def test_a_reviewer_sees_a_case_once_it_is_handed_to_reviewers():
    from services.application.access import TABLE, case_facts
    reviewer = Identity("reviewer-1", "reviewer")
    for status in ("draft", "submitted", "returned"):
        assert refusal(TABLE, "status", reviewer, case_facts({"unit_id": "u", "status": status})).rule == \
            "roles.in_review"
    TABLE.check("status", reviewer, case_facts({"unit_id": "u", "status": "audit_approved"}))


def test_a_role_without_a_cell_is_refused_even_past_the_entrypoint():
    from services.review.access import TABLE
    assert refusal(TABLE, "score", Identity("officer-1", "officer")).rule == "roles"


def test_a_contact_without_a_unit_may_only_register_one():
    table = Table("t", {"x": {"unit_contact": OWN_UNIT}})
    contact = Identity("contact-1", "unit_contact")
    table.check("x", contact, Facts(unit_id="u-1", registering=True))
    assert refusal(table, "x", contact, Facts(unit_id="u-1")).rule == "roles.own_unit"
    assert refusal(table, "x", Identity("contact-1", "unit_contact", "u-2"), Facts(unit_id="u-1",
                                                                                   registering=True)).rule == \
        "roles.own_unit"


def test_a_table_refuses_an_unknown_relationship():
    with pytest.raises(ValueError):
        Table("t", {"x": {"officer": "friends"}})
    assert Table("t", {"x": {"officer": ANY}}).roles("x") == ("officer",)
