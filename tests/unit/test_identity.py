import time

import jwt
import pytest

from shared.errors import Refused
from shared.identity import ALGORITHM, Identity, issue_token, require_role, system_actor, verify_token

KEY = "unit-test-signing-key-of-at-least-32-bytes"
OTHER_KEY = "another-signing-key-nobody-shares-with-us"


def test_issue_then_verify_round_trip():
    token = issue_token(KEY, "contact-7", "unit_contact", "unit-42")
    assert verify_token(token, KEY) == Identity("contact-7", "unit_contact", "unit-42")


def test_an_identity_without_a_unit():
    assert verify_token(issue_token(KEY, "officer-1", "officer"), KEY) == Identity("officer-1", "officer", None)


def refusal(token, key=KEY, **kwargs) -> Refused:
    with pytest.raises(Refused) as caught:
        verify_token(token, key, **kwargs)
    return caught.value


def test_expired_token_is_refused():
    token = issue_token(KEY, "officer-1", "officer", ttl_seconds=60, now=time.time() - 3600)
    error = refusal(token)
    assert error.code == "unauthenticated"
    assert "expired" in error.message


def test_token_still_inside_its_ttl_is_accepted():
    token = issue_token(KEY, "officer-1", "officer", ttl_seconds=900, now=time.time() - 600)
    assert verify_token(token, KEY).actor_id == "officer-1"


def test_token_signed_with_another_key_is_refused():
    assert refusal(issue_token(OTHER_KEY, "officer-1", "officer")).code == "unauthenticated"


def test_tampered_token_is_refused():
    header, claims, signature = issue_token(KEY, "contact-7", "unit_contact").split(".")
    forged_claims = jwt.encode({"sub": "contact-7", "role": "officer", "iss": "changping-portal",
                                "exp": int(time.time()) + 60}, KEY, algorithm=ALGORITHM).split(".")[1]
    assert refusal(".".join([header, forged_claims, signature])).code == "unauthenticated"


def test_wrong_issuer_is_refused():
    token = issue_token(KEY, "officer-1", "officer", issuer="someone-else")
    assert refusal(token).code == "unauthenticated"
    assert verify_token(token, KEY, issuer="someone-else").role == "officer"


def test_unknown_role_in_a_validly_signed_token_is_refused():
    token = jwt.encode({"sub": "x", "role": "superuser", "iss": "changping-portal",
                        "exp": int(time.time()) + 60}, KEY, algorithm=ALGORITHM)
    error = refusal(token)
    assert error.code == "unauthenticated"
    assert "superuser" in error.message


def test_token_without_a_role_claim_is_refused():
    token = jwt.encode({"sub": "x", "iss": "changping-portal", "exp": int(time.time()) + 60}, KEY,
                       algorithm=ALGORITHM)
    assert refusal(token).code == "unauthenticated"


def test_unsigned_token_is_refused():
    token = jwt.encode({"sub": "x", "role": "officer", "iss": "changping-portal",
                        "exp": int(time.time()) + 60}, None, algorithm="none")
    assert refusal(token).code == "unauthenticated"


@pytest.mark.parametrize("missing", [None, ""])
def test_missing_token_is_refused(missing):
    assert refusal(missing).code == "unauthenticated"


def test_issuing_for_an_unknown_role_fails():
    with pytest.raises(ValueError):
        issue_token(KEY, "x", "superuser")


def test_require_role_allows_listed_roles_and_forbids_others():
    require_role(Identity("o", "officer"), ("officer", "auditor"))
    with pytest.raises(Refused) as caught:
        require_role(Identity("c", "unit_contact", "u"), ("officer", "auditor"))
    assert caught.value.code == "forbidden"
    assert caught.value.rule == "roles"


def test_system_actor_is_named_after_its_service():
    assert system_actor("funding") == Identity("system:funding", "system", None)
