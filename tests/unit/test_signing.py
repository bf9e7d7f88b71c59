"""Signed integration events: the canonical form, signing when recorded, and every reason a
consumer refuses an event (shared/signing.py, shared/keys.py)."""
import json
import uuid
from dataclasses import replace

import pytest

from shared.contracts.envelope import event_id_for
from shared.keys import KeyProblem, LiveRegistry, Registry, b64url, b64url_decode, generate, retire, revoke, rotate
from shared.messaging.translate import EventSigning, envelopes_after
from shared.signing import EventSigner, EventVerifier, Rejected, canonical, signed_schema_version

from services.registration import commands as registering
from services.registration.app import RegistrationApplication
from tests.unit.unit_helpers import meta_for, unit_details

SERVICES = ("registration", "application", "review", "funding")


@pytest.fixture
def keys(tmp_path):
    directory = str(tmp_path / "keys")
    generate(directory, {**{s: ("event-signing", ()) for s in SERVICES}, "unit-portal": ("token-issuer", ("x",))})
    return directory


@pytest.fixture
def verifier(keys):
    return EventVerifier(LiveRegistry(keys))


def signer(keys, service="review"):
    return EventSigner.load(keys, service, Registry.load(keys))


def envelope(source="review", type_="review.case_review.AwardDecided", **changes):
    stream = str(uuid.uuid4())
    body = {"event_id": str(event_id_for(source, stream, 6)), "type": type_, "schema_version": 2, "source": source,
            "stream_id": stream, "sequence": 6, "case_id": stream, "occurred_at": "2024-10-01T10:00:00+08:00",
            "recorded_at": "2024-10-01T02:00:00.123456+00:00",
            "actor": {"actor_id": "decider-1", "role": "decision_maker", "unit_id": None},
            "correlation_id": "c-1", "causation_id": None, "command_id": "cmd-1",
            "payload": {"award_fen": 200_000_000, "reason": "工作组决定", "inputs": {"scores": [88, 90]}}}
    return {**body, **changes}


def signed(keys, service="review", **changes) -> dict:
    body = envelope(source=service, **changes)
    return {**body, "position": 42, "signature": signer(keys, service).sign(body)}


def through_json(body: dict) -> dict:
    return json.loads(json.dumps(body))


def refusal(verifier, body) -> Rejected:
    with pytest.raises(Rejected) as refused:
        verifier.verify(through_json(body))
    return refused.value


# -- the canonical form ------------------------------------------------------------------
def test_the_canonical_form_sorts_keys_drops_white_space_and_keeps_characters_as_they_are():
    assert canonical({"b": [1, True, None], "a": {"d": "工作组", "c": "x\"\\\n"}}) == (
        '{"a":{"c":"x\\"\\\\\\n","d":"工作组"},"b":[1,true,null]}'.encode())


def test_the_canonical_form_is_the_same_for_a_tuple_and_a_list_and_through_json():
    value = {"z": (1, 2), "a": "é"}
    assert canonical(value) == canonical(json.loads(json.dumps(value))) == b'{"a":"\xc3\xa9","z":[1,2]}'


@pytest.mark.parametrize("value", [1.5, {"a": 2.0}, 2**53, -(2**53), {1: "x"}, {"clé": 1}, "\ud800",
                                   uuid.uuid4(), {"a": {1, 2}}])
def test_what_has_no_canonical_form_is_refused(value):
    with pytest.raises(ValueError):
        canonical(value)


def test_the_largest_safe_integers_have_a_canonical_form():
    assert canonical([2**53 - 1, -(2**53 - 1)]) == b"[9007199254740991,-9007199254740991]"


# -- signing and verifying ---------------------------------------------------------------
def test_a_signed_event_verifies_after_travelling_as_json(keys, verifier):
    body = signed(keys)
    assert verifier.verify(through_json(body)) == signer(keys).kid


def test_the_signature_is_a_compact_jws_with_a_detached_payload(keys):
    body = signed(keys)
    header, payload, signature = body["signature"].split(".")
    assert payload == ""
    assert json.loads(b64url_decode(header)) == {"alg": "EdDSA", "kid": signer(keys).kid, "purpose": "event-signing",
                                                 "schema_version": 2, "typ": "changping-event+jws"}
    assert len(b64url_decode(signature)) == 64          # Ed25519
    assert signed_schema_version(body["signature"]) == 2


def test_the_signature_covers_everything_but_the_position(keys, verifier):
    body = signed(keys)
    assert verifier.verify(through_json({**body, "position": 7}))   # the store assigns it after signing


@pytest.mark.parametrize("change", [
    {"actor": {"actor_id": "intruder", "role": "decision_maker", "unit_id": None}},
    {"payload": {"award_fen": 300_000_000, "reason": "工作组决定", "inputs": {"scores": [88, 90]}}},
    {"sequence": 7}, {"event_id": str(uuid.uuid4())}, {"case_id": str(uuid.uuid4())},
    {"occurred_at": "2024-10-02T10:00:00+08:00"}, {"recorded_at": "2024-10-01T02:00:01+00:00"},
    {"correlation_id": "c-2"}, {"causation_id": "e-1"}, {"command_id": None}, {"extra": 1},
])
def test_any_field_changed_after_signing_is_forged(keys, verifier, change):
    rejected = refusal(verifier, {**signed(keys), **change})
    assert rejected.reason == "forged" and "does not match" in rejected.detail


def test_a_field_removed_after_signing_is_forged(keys, verifier):
    body = signed(keys)
    del body["command_id"]
    assert refusal(verifier, body).reason == "forged"


def test_an_event_moved_to_another_case_stream_with_its_signature_is_forged(keys, verifier):
    original = signed(keys)
    other = str(uuid.uuid4())
    moved = {**original, "stream_id": other, "case_id": other, "event_id": str(event_id_for("review", other, 6))}
    assert "does not match" in refusal(verifier, moved).detail


def test_a_signature_taken_from_another_event_is_forged(keys, verifier):
    assert refusal(verifier, {**signed(keys), "signature": signed(keys)["signature"]}).reason == "forged"


@pytest.mark.parametrize("signature", [None, ""])
def test_an_event_without_a_signature_is_unsigned(keys, verifier, signature):
    body = signed(keys)
    body["signature"] = signature
    assert refusal(verifier, body).reason == "unsigned"
    del body["signature"]
    assert refusal(verifier, body).reason == "unsigned"


@pytest.mark.parametrize("signature", [42, "abc", "a.b.c.d", "x" * 5000, "!!!..!!!", "e30..AAAA"])
def test_a_malformed_signature_is_forged(keys, verifier, signature):
    assert refusal(verifier, {**signed(keys), "signature": signature}).reason == "forged"


def test_an_attached_payload_is_refused(keys, verifier):
    body = signed(keys)
    header, _, value = body["signature"].split(".")
    body["signature"] = f"{header}.{b64url(b'{}')}.{value}"
    assert "detached" in refusal(verifier, body).detail


def test_a_key_not_in_the_registry_is_forged(keys, tmp_path, verifier):
    elsewhere = str(tmp_path / "attacker")
    generate(elsewhere, {"review": ("event-signing", ())})
    body = envelope()
    forged = {**body, "position": 1, "signature": EventSigner.load(elsewhere, "review", Registry.load(elsewhere))
              .sign(body)}
    assert "unknown key" in refusal(verifier, forged).detail


def test_another_services_key_cannot_speak_for_a_source(keys, verifier):
    body = envelope(source="review")
    by_funding = {**body, "position": 1, "signature": signer(keys, "funding").sign(body)}
    assert "belongs to funding" in refusal(verifier, by_funding).detail


def test_a_service_cannot_emit_another_services_event_type(keys, verifier):
    body = signed(keys, "review", type_="funding.case_funding.DisbursementScheduled")
    assert "does not emit" in refusal(verifier, body).detail


def test_a_key_of_another_purpose_is_refused(keys, verifier):
    issuer = Registry.load(keys).of("unit-portal", "token-issuer")[0]
    body = signed(keys)
    header = json.loads(b64url_decode(body["signature"].split(".")[0]))
    header["kid"] = issuer.kid
    body["signature"] = b64url(canonical(header)) + ".." + body["signature"].split(".")[2]
    assert "token-issuer key" in refusal(verifier, body).detail


def test_a_header_of_another_shape_or_version_is_refused(keys, verifier):
    body = signed(keys)
    assert "schema version" in refusal(verifier, {**body, "schema_version": 1}).detail
    header = json.loads(b64url_decode(body["signature"].split(".")[0]))
    for changed in ({**header, "alg": "none"}, {**header, "purpose": "checkpoint"}, {**header, "crit": ["b64"]}):
        forged = {**body, "signature": b64url(canonical(changed)) + ".." + body["signature"].split(".")[2]}
        assert refusal(verifier, forged).reason == "forged"


def test_floats_in_a_forged_body_are_refused_not_crashed_on(keys, verifier):
    body = signed(keys)
    assert refusal(verifier, {**body, "payload": {**body["payload"], "award_fen": 2e8}}).reason == "forged"


@pytest.mark.parametrize("body", [[], "text", 7, None])
def test_a_body_that_is_not_an_object_is_refused(verifier, body):
    assert refusal(verifier, body).reason == "unsigned"


# -- keys: rotation, retirement, revocation ----------------------------------------------
def test_a_rotated_key_signs_and_the_old_one_still_verifies_until_retired(keys, verifier):
    old_signed = signed(keys)
    old_kid = signer(keys).kid
    new_kid = rotate(keys, "review", reason="test")
    assert new_kid != old_kid and signer(keys).kid == new_kid
    assert verifier.verify(through_json(signed(keys))) == new_kid      # learnt without a restart
    assert verifier.verify(through_json(old_signed)) == old_kid        # not retired yet

    retire(keys, old_kid, after_position=42, reason="rotated")
    verifier._registry._checked = 0                                    # as if RELOAD_CHECK_SECONDS had passed
    assert verifier.verify(through_json(old_signed)) == old_kid        # position 42: it signed that
    assert "retired after position 42" in refusal(verifier, {**old_signed, "position": 43}).detail
    assert refusal(verifier, {**old_signed, "position": "1"}).reason == "forged"


def test_a_revoked_key_verifies_nothing(keys, verifier):
    body = signed(keys)
    revoke(keys, signer(keys).kid, reason="left on a laptop")
    verifier._registry._checked = 0
    assert "revoked" in refusal(verifier, body).detail


def test_key_acts_are_recorded_and_the_registry_keeps_its_format(keys):
    before = json.loads(open(f"{keys}/registry.json").read())
    old_kid = signer(keys).kid
    new_kid = rotate(keys, "review", reason="yearly")
    with pytest.raises(KeyProblem, match="current key"):
        retire(keys, new_kid, after_position=1, reason="oops")
    retire(keys, old_kid, after_position=10, reason="rotated")
    with pytest.raises(KeyProblem, match="reason"):
        revoke(keys, old_kid, reason=" ")
    after = json.loads(open(f"{keys}/registry.json").read())
    assert set(after) == set(before) == {"keys"}
    assert {frozenset(entry) for entry in after["keys"]} == {frozenset(before["keys"][0])}
    acts = [json.loads(line) for line in open(f"{keys}/registry.log")]
    assert [(a["act"], a["reason"]) for a in acts] == [("rotate", "yearly"), ("retire", "rotated")]
    assert acts[0]["old_kid"] == old_kid and acts[1]["after_position"] == 10


def test_a_service_refuses_to_start_without_its_key_or_with_a_bad_one(keys, tmp_path):
    registry = Registry.load(keys)
    with pytest.raises(KeyProblem, match="no event-signing key"):
        EventSigner.load(keys, "ghost", registry)
    pem = tmp_path / "keys" / "funding.event-signing.pem"
    pem.write_text("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    with pytest.raises(KeyProblem, match="malformed"):
        EventSigner.load(keys, "funding", registry)
    revoke(keys, signer(keys, "review").kid, reason="test")
    with pytest.raises(KeyProblem, match="revoked"):
        EventSigner.load(keys, "review", Registry.load(keys))


def test_a_key_missing_from_the_registry_or_registered_to_another_owner_is_refused_at_start(keys, tmp_path):
    elsewhere = str(tmp_path / "other")
    generate(elsewhere, {"review": ("event-signing", ())})
    with pytest.raises(KeyProblem, match="not in the key registry"):
        EventSigner.load(elsewhere, "review", Registry.load(keys))
    registry = Registry.load(keys)
    kid = signer(keys, "review").kid
    registry.entries[kid] = replace(registry.entries[kid], owner="funding")
    with pytest.raises(KeyProblem, match="registered as funding's"):
        EventSigner.load(keys, "review", registry)


def test_a_registry_that_breaks_keeps_the_last_good_one(keys, verifier):
    body = signed(keys)
    with open(f"{keys}/registry.json", "w") as handle:
        handle.write("{not json")
    verifier._registry._checked = 0
    assert verifier.verify(through_json(body))
    assert "not valid JSON" in verifier._registry.problem


# -- signing when recorded -----------------------------------------------------------------
def test_events_are_signed_when_recorded_and_the_relay_forwards_the_signature(make_app, keys, verifier):
    app = make_app(RegistrationApplication)
    app.sign_event = EventSigning("registration", signer(keys, "registration"))
    unit_id = app.handle(registering.RegisterUnit(**unit_details()), meta_for("contact-1", "unit_contact",
                                                                              command_id="cmd-1")).result["unit_id"]
    envelopes, _ = envelopes_after("registration", app, 0, 100)
    assert [e["stream_id"] for e in envelopes] == [unit_id]
    assert verifier.verify(through_json(envelopes[0])) == signer(keys, "registration").kid
    stored = [app.mapper.to_domain_event(n) for n in app.recorder.select_notifications(start=1, limit=100)]
    receipts = [e for e in stored if type(e).__qualname__.startswith("CommandReceipt")]
    assert receipts and all("signature" not in e.__dict__ for e in receipts)   # never published, never signed


def test_the_relay_dumps_the_payload_with_the_schema_version_that_was_signed(make_app, keys, verifier, monkeypatch):
    """A stored event signed under an older payload version is forwarded in that version, so
    its signature still holds after a new version of the contract is added."""
    import shared.messaging.translate as translate
    from shared.contracts.events import payload_schema

    app = make_app(RegistrationApplication)
    app.sign_event = EventSigning("registration", signer(keys, "registration"))
    monkeypatch.setattr(translate, "current", lambda kind: (1, payload_schema(kind, 1)))
    app.handle(registering.RegisterUnit(**unit_details()), meta_for("contact-1", "unit_contact"))
    monkeypatch.setattr(translate, "current", lambda kind: (99, None))   # a newer version now exists
    envelopes, _ = envelopes_after("registration", app, 0, 100)
    assert envelopes[0]["schema_version"] == 1
    assert verifier.verify(through_json(envelopes[0]))


def test_an_application_without_a_signer_records_unsigned_events(make_app, verifier):
    app = make_app(RegistrationApplication)
    app.handle(registering.RegisterUnit(**unit_details()), meta_for("contact-1", "unit_contact"))
    envelopes, _ = envelopes_after("registration", app, 0, 100)
    assert "signature" not in envelopes[0]
    assert refusal(verifier, envelopes[0]).reason == "unsigned"
