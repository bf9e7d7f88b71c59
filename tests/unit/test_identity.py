"""Caller tokens: EdDSA JWTs from registered issuers, each granting only its own roles.

Every way a token can be wrong is refused `unauthenticated`, whatever else it gets right."""
import base64
import dataclasses
import hashlib
import hmac
import json
import time
from types import SimpleNamespace

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.config import ConfigError
from shared.errors import Refused
from shared.identity import (ALGORITHM, DEFAULT_TTL_SECONDS, ISSUERS, MAX_TTL_SECONDS, ROLES, Identity, Portals,
                             TokenIssuer, TrustedIssuers, issue_token, issuer_owners, require_role, system_actor,
                             verify_token)
from shared.keys import KeyProblem, Registry, generate, key_id, load_private_key, raw_public
from shared.platform.request import Request


@pytest.fixture(scope="module")
def keys_dir(tmp_path_factory):
    directory = str(tmp_path_factory.mktemp("keys"))
    generate(directory, {**issuer_owners(),
                         "rogue-portal": ("token-issuer", ("officer", "system")),   # a registry that lists system
                         "registration": ("event-signing", ())})
    return directory


@pytest.fixture(scope="module")
def trusted(keys_dir):
    return TrustedIssuers.load(keys_dir)


@pytest.fixture(scope="module")
def unit_portal(keys_dir):
    return TokenIssuer.load(keys_dir, "unit-portal")


@pytest.fixture(scope="module")
def officer_portal(keys_dir):
    return TokenIssuer.load(keys_dir, "officer-portal")


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def raw_token(private_key, claims: dict, **header) -> str:
    """A token as anyone could sign it, bypassing issue_token's own refusals."""
    return jwt.encode(claims, private_key, algorithm="EdDSA", headers={"kid": key_id(private_key.public_key()),
                                                                       **header})


def claims_for(issuer: str, role: str, *, lifetime: int = 600, issued: float | None = None, **extra) -> dict:
    issued = int(time.time() if issued is None else issued)
    return {"sub": "someone", "role": role, "iss": issuer, "iat": issued, "exp": issued + lifetime, **extra}


def refusal(token, trusted, **kwargs) -> Refused:
    with pytest.raises(Refused) as caught:
        verify_token(token, trusted, **kwargs)
    assert caught.value.code == "unauthenticated"
    return caught.value


# -- what is accepted ------------------------------------------------------------------------------
def test_a_unit_contact_token_from_the_unit_portal_round_trips(unit_portal, trusted):
    token = unit_portal.token("contact-7", "unit_contact", "unit-42")
    assert verify_token(token, trusted) == Identity("contact-7", "unit_contact", "unit-42")


def test_the_token_is_a_standard_eddsa_jwt_naming_its_key(unit_portal, keys_dir):
    token = unit_portal.token("contact-7", "unit_contact", "unit-42", now=1_700_000_000)
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "EdDSA", "kid": unit_portal.kid, "typ": "JWT"}
    public = Registry.load(keys_dir).entry(unit_portal.kid).public()
    assert jwt.decode(token, public, algorithms=["EdDSA"], options={"verify_exp": False}) == {
        "sub": "contact-7", "role": "unit_contact", "unit": "unit-42", "iss": "unit-portal",
        "iat": 1_700_000_000, "exp": 1_700_000_000 + DEFAULT_TTL_SECONDS}


@pytest.mark.parametrize("role", [r for r in ROLES if r != "system"])
def test_every_role_but_system_has_one_default_issuer(role, keys_dir, trusted):
    assert [name for name, roles in ISSUERS.items() if role in roles] != []
    assert verify_token(Portals(keys_dir).token("someone", role), trusted).role == role


def test_officers_tokens_carry_no_unit(officer_portal, trusted):
    assert verify_token(officer_portal.token("officer-1", "officer"), trusted) == Identity("officer-1", "officer", None)


def test_a_token_inside_its_lifetime_is_accepted(officer_portal, trusted):
    token = officer_portal.token("officer-1", "officer", ttl_seconds=900, now=time.time() - 600)
    assert verify_token(token, trusted).actor_id == "officer-1"


def test_an_hour_is_the_longest_lifetime_accepted(officer_portal, trusted):
    assert verify_token(officer_portal.token("o", "officer", ttl_seconds=MAX_TTL_SECONDS), trusted).role == "officer"


# -- the grant -------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["decision_maker", "funding_officer", "officer", "operator", "expert"])
def test_a_role_the_issuer_may_not_grant_is_refused(unit_portal, trusted, role):
    error = refusal(unit_portal.token("contact-7", role, "unit-42"), trusted)
    assert "'unit-portal' may not grant role" in error.message and role in error.message


def test_the_system_role_is_never_accepted_from_a_caller_token(officer_portal, keys_dir, trusted):
    assert "system" in refusal(raw_token(officer_portal.private_key, claims_for("officer-portal", "system")),
                               trusted).message
    rogue = TokenIssuer.load(keys_dir, "rogue-portal")   # even when its registry entry lists it
    assert "system" in refusal(raw_token(rogue.private_key, claims_for("rogue-portal", "system")), trusted).message
    assert verify_token(rogue.token("o", "officer"), trusted).role == "officer"


def test_issue_token_will_not_mint_what_no_service_accepts(officer_portal):
    with pytest.raises(ValueError, match="system"):
        officer_portal.token("x", "system")
    with pytest.raises(ValueError, match="superuser"):
        officer_portal.token("x", "superuser")
    with pytest.raises(ValueError, match="at most"):
        officer_portal.token("x", "officer", ttl_seconds=MAX_TTL_SECONDS + 1)


def test_the_grant_is_checked_on_every_call_not_only_when_the_signature_is(unit_portal, keys_dir, trusted):
    token = unit_portal.token("contact-7", "unit_contact", "unit-42")
    assert verify_token(token, trusted).role == "unit_contact"           # now its signature is cached
    narrowed = TrustedIssuers(dataclasses.replace(e, roles=("expert",)) if e.owner == "unit-portal" else e
                              for e in Registry.load(keys_dir).entries.values())
    assert "may not grant" in refusal(token, narrowed).message


def test_an_unknown_role_in_a_validly_signed_token_is_refused(officer_portal, trusted):
    error = refusal(raw_token(officer_portal.private_key, claims_for("officer-portal", "superuser")), trusted)
    assert "superuser" in error.message


# -- the key and the issuer --------------------------------------------------------------------------
def test_a_key_nobody_registered_is_refused(trusted):
    stranger = Ed25519PrivateKey.generate()
    error = refusal(issue_token(stranger, "officer-portal", "x", "officer"), trusted)
    assert "not a registered token issuer" in error.message


def test_a_token_without_a_kid_is_refused(officer_portal, trusted):
    token = jwt.encode(claims_for("officer-portal", "officer"), officer_portal.private_key, algorithm="EdDSA")
    assert "kid" in refusal(token, trusted).message


def test_a_services_event_signing_key_cannot_sign_caller_tokens(keys_dir, trusted):
    _, service_key = load_private_key(keys_dir, "registration", "event-signing")
    refusal(issue_token(service_key, "registration", "x", "officer"), trusted)


def test_iss_must_be_the_owner_of_the_signing_key(unit_portal, trusted):
    """The unit portal's key signing a token that claims to come from the officers' portal."""
    token = raw_token(unit_portal.private_key, claims_for("officer-portal", "decision_maker"))
    assert "iss" in refusal(token, trusted).message
    assert "iss" in refusal(raw_token(unit_portal.private_key, claims_for("changping-portal", "unit_contact")),
                            trusted).message


def test_a_token_naming_another_issuers_kid_does_not_verify(unit_portal, officer_portal, trusted):
    token = raw_token(unit_portal.private_key, claims_for("officer-portal", "decision_maker"),
                      kid=officer_portal.kid)
    assert "Signature" in refusal(token, trusted).message


def test_a_revoked_issuer_key_verifies_nothing(officer_portal, keys_dir):
    revoked = TrustedIssuers(dataclasses.replace(e, revoked_at="2024-01-01T00:00:00+00:00")
                             if e.owner == "officer-portal" else e for e in Registry.load(keys_dir).entries.values())
    assert "revoked" in refusal(officer_portal.token("o", "officer"), revoked).message


def test_a_registry_without_token_issuers_is_refused(tmp_path):
    generate(str(tmp_path), {"registration": ("event-signing", ())})
    with pytest.raises(KeyProblem, match="token-issuer"):
        TrustedIssuers.load(str(tmp_path))


def test_a_service_without_issuer_keys_refuses_to_start(tmp_path):
    request = Request()
    request.container = SimpleNamespace(config={"KEYS": {"dir": str(tmp_path / "nothing-here")}})
    with pytest.raises(ConfigError, match="KEYS.dir.*no key registry"):
        request.setup()


# -- time ------------------------------------------------------------------------------------------
def test_an_expired_token_is_refused(officer_portal, trusted):
    token = officer_portal.token("officer-1", "officer", ttl_seconds=60, now=time.time() - 3600)
    assert "expired" in refusal(token, trusted).message


def test_a_cached_token_expires_like_any_other(officer_portal, trusted):
    token = officer_portal.token("officer-1", "officer", ttl_seconds=60)
    assert verify_token(token, trusted).role == "officer"
    assert "expired" in refusal(token, trusted, now=time.time() + 61).message


@pytest.mark.parametrize("issued_ago, lifetime", [(0, MAX_TTL_SECONDS + 1), (0, 24 * 3600), (-120, 30 * 60),
                                                  (-10 * 365 * 86400, 10 * 365 * 86400 + 3600)])
def test_a_token_that_lives_too_long_or_is_issued_in_the_future_is_refused(officer_portal, trusted, issued_ago,
                                                                            lifetime):
    claims = claims_for("officer-portal", "officer", lifetime=lifetime, issued=time.time() - issued_ago)
    refusal(raw_token(officer_portal.private_key, claims), trusted)


def test_an_exp_far_ahead_is_refused_even_if_iat_claims_otherwise(officer_portal, trusted):
    later = time.time() + 86400
    claims = {**claims_for("officer-portal", "officer", issued=later), "iat": int(later) - 600}
    assert "longer than" in refusal(raw_token(officer_portal.private_key, claims), trusted).message


@pytest.mark.parametrize("claim", ["sub", "role", "iss", "iat", "exp"])
def test_a_token_missing_a_required_claim_is_refused(officer_portal, trusted, claim):
    claims = claims_for("officer-portal", "officer")
    del claims[claim]
    refusal(raw_token(officer_portal.private_key, claims), trusted)


@pytest.mark.parametrize("claim, value", [("exp", "tomorrow"), ("iat", True), ("sub", ""), ("sub", 7),
                                          ("role", ["officer"]), ("unit", {"id": 1})])
def test_a_claim_of_the_wrong_type_is_refused(officer_portal, trusted, claim, value):
    claims = {**claims_for("officer-portal", "officer"), claim: value}
    refusal(raw_token(officer_portal.private_key, claims), trusted)


# -- the algorithm and the bytes ---------------------------------------------------------------------
def test_an_unsigned_token_is_refused(officer_portal, trusted):
    token = jwt.encode(claims_for("officer-portal", "officer"), None, algorithm="none",
                       headers={"kid": officer_portal.kid})
    assert "EdDSA" in refusal(token, trusted).message


def hs256(secret: bytes, claims: dict, kid: str) -> str:
    """HS256 by hand (PyJWT refuses to use a public key as an HMAC secret; an attacker would not)."""
    signing_input = f"{b64(json.dumps({'alg': 'HS256', 'kid': kid, 'typ': 'JWT'}).encode())}." \
                    f"{b64(json.dumps(claims).encode())}"
    return f"{signing_input}.{b64(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())}"


@pytest.mark.parametrize("form", ["raw", "registry text", "pem"])
def test_hs256_with_the_public_key_as_secret_is_refused(officer_portal, keys_dir, trusted, form):
    """The classic alg confusion: everyone holds the public key, so it must not work as an HMAC secret."""
    public = officer_portal.private_key.public_key()
    secret = {"raw": raw_public(public),
              "registry text": Registry.load(keys_dir).entry(officer_portal.kid).public_key.encode(),
              "pem": public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
              }[form]
    error = refusal(hs256(secret, claims_for("officer-portal", "decision_maker"), officer_portal.kid), trusted)
    assert "HS256" in error.message


def test_claims_changed_after_signing_are_refused(unit_portal, trusted):
    header, _, signature = unit_portal.token("contact-7", "unit_contact", "unit-42").split(".")
    forged = b64(json.dumps(claims_for("unit-portal", "unit_contact", unit="unit-43")).encode())
    assert "Signature" in refusal(".".join([header, forged, signature]), trusted).message


def test_a_header_changed_after_signing_is_refused(unit_portal, trusted):
    _, claims, signature = unit_portal.token("contact-7", "unit_contact", "unit-42").split(".")
    header = b64(json.dumps({"alg": "EdDSA", "kid": unit_portal.kid}).encode())   # no typ: other bytes
    refusal(".".join([header, claims, signature]), trusted)


@pytest.mark.parametrize("token", ["not-a-token", "a.b.c", "....", "\udcff.x.y", 12345, {"sub": "x"}, ["a"]])
def test_garbage_is_refused(trusted, token):
    refusal(token, trusted)


@pytest.mark.parametrize("missing", [None, ""])
def test_a_missing_token_is_refused(trusted, missing):
    assert "required" in refusal(missing, trusted).message


# -- roles and system ----------------------------------------------------------------------------------
def test_the_algorithm_is_eddsa():
    assert ALGORITHM == "EdDSA"


def test_require_role_allows_listed_roles_and_forbids_others():
    require_role(Identity("o", "officer"), ("officer", "auditor"))
    with pytest.raises(Refused) as caught:
        require_role(Identity("c", "unit_contact", "u"), ("officer", "auditor"))
    assert caught.value.code == "forbidden"
    assert caught.value.rule == "roles"


def test_system_actor_is_named_after_its_service():
    assert system_actor("funding") == Identity("system:funding", "system", None)
