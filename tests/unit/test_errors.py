import json

import pytest

from shared.errors import Refused, ServiceError, conflict, forbidden, not_found, rule_violation, validation_error


def test_a_refusal_reaches_the_caller_as_a_service_error_with_its_rule():
    error = ServiceError.of(rule_violation("A.award.cap", "too much", fields={"award_fen": ["at most 1"]}))
    assert json.loads(str(error)) == {"code": "rule_violation", "message": "too much",
                                      "fields": {"award_fen": ["at most 1"]}, "rule": "A.award.cap"}


def test_absent_rule_survives_string_serialisation():
    """nameko re-creates the error from str() of its args: the rule None arrives as 'None'."""
    original = ServiceError.of(not_found("case", "c-1"))
    rebuilt = ServiceError(*[str(arg) if arg is None else arg for arg in original.args])
    assert rebuilt.rule is None
    assert "rule" not in rebuilt.to_dict()


def test_helpers_set_their_codes():
    assert validation_error({"x": ["bad"]}).code == "validation_error"
    assert forbidden("no").code == "forbidden"
    assert conflict("busy", rule="expected_version").rule == "expected_version"
    assert not_found("unit", 7).message == "unit 7 does not exist"


@pytest.mark.parametrize("refusal", [validation_error({}), forbidden("no"), conflict("busy"), not_found("x", 1),
                                     rule_violation("r", "m")])
def test_refusals_are_not_the_wire_type(refusal):
    """Domain and application code raise refusals; only the endpoint layer makes a ServiceError."""
    assert isinstance(refusal, Refused) and not isinstance(refusal, ServiceError)
    assert ServiceError.of(refusal).code == refusal.code
