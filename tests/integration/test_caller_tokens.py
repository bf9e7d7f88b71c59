"""Caller tokens against the running services: a portal can vouch only for the roles its issuer key
may grant. The unit portal's own key, used as a portal backend would use it, cannot decide an award;
the officers' portal can, and the flow carries on."""
import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest

from shared.errors import ServiceError
from shared.identity import TokenIssuer
from shared.keys import raw_public
from tests.support import flows
from tests.support.cluster import command_id, eventually
from tests.support.flows import case_status

SERVICES = ("registration", "application", "review", "funding")
AWARD_FEN = 200_000_000


def positions(cluster) -> dict:
    return {service: cluster.health(service)["position"] for service in SERVICES}


def refused(cluster, token, call):
    with cluster.rpc(token=token) as rpc, pytest.raises(ServiceError) as caught:
        call(rpc)
    return caught.value


def decide(case_id):
    return lambda rpc: rpc.review.decide_award(command_id=command_id(), case_id=case_id, award_fen=AWARD_FEN,
                                               reason="工作组决定")


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def scored_case(cluster):
    """A case scored by the reviewers, waiting for the working group's decision."""
    return flows.scored_case(cluster)


def test_the_unit_portal_cannot_make_a_decision_maker_and_nothing_moves(cluster, scored_case):
    unit_portal = TokenIssuer.load(cluster.keys_dir, "unit-portal")
    officer_portal = TokenIssuer.load(cluster.keys_dir, "officer-portal")
    # what a compromised or buggy unit portal could try with its own key
    now = int(time.time())
    claims = {"sub": "decider-x", "role": "decision_maker", "iat": now, "exp": now + 600}
    attempts = {
        # the minting helper knows no grants: the services' registry is the authority
        "role it may not grant": unit_portal.token("decider-x", "decision_maker"),
        "claims to be the officers' portal": jwt.encode({**claims, "iss": "officer-portal"}, unit_portal.private_key,
                                                        algorithm="EdDSA", headers={"kid": unit_portal.kid}),
        "names the officers' portal's key": jwt.encode({**claims, "iss": "officer-portal"}, unit_portal.private_key,
                                                       algorithm="EdDSA", headers={"kid": officer_portal.kid}),
    }
    # and with no private key at all: HS256 keyed with the officers' portal's public key
    signing_input = (f"{b64(json.dumps({'alg': 'HS256', 'kid': officer_portal.kid}).encode())}."
                     f"{b64(json.dumps({**claims, 'iss': 'officer-portal'}).encode())}")
    secret = raw_public(officer_portal.private_key.public_key())
    attempts["HS256 with the public key"] = \
        f"{signing_input}.{b64(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())}"

    before = positions(cluster)
    for what, token in attempts.items():
        error = refused(cluster, token, decide(scored_case))
        assert error.code == "unauthenticated", (what, error.to_dict())
    assert "'unit-portal' may not grant role 'decision_maker'" in \
        refused(cluster, attempts["role it may not grant"], decide(scored_case)).message
    assert positions(cluster) == before
    assert case_status(cluster, scored_case)["status"] != "disbursement_scheduled"


def signed_by_the_officers_portal(cluster, actor_id: str, role: str, lifetime: int) -> str:
    """A token signed with the officers' portal's real key, with claims `issue_token` would refuse to mint."""
    portal, now = TokenIssuer.load(cluster.keys_dir, "officer-portal"), int(time.time())
    return jwt.encode({"sub": actor_id, "role": role, "iss": "officer-portal", "iat": now, "exp": now + lifetime},
                      portal.private_key, algorithm="EdDSA", headers={"kid": portal.kid})


def test_no_caller_token_acts_as_system(cluster):
    system = signed_by_the_officers_portal(cluster, "system:funding", "system", lifetime=600)
    catch_up = lambda rpc: rpc.review.events_after(position=0, limit=10)   # noqa: E731  (system may catch up)
    assert "system" in refused(cluster, system, catch_up).message
    with cluster.rpc("auditor-1", "auditor") as rpc:      # the same call, by a role a portal may grant
        assert catch_up(rpc)["events"]


def test_an_overlong_token_is_refused(cluster):
    day = signed_by_the_officers_portal(cluster, "auditor-1", "auditor", lifetime=86400)
    error = refused(cluster, day, lambda rpc: rpc.application.status(case_id="00000000-0000-4000-8000-000000000000"))
    assert error.code == "unauthenticated" and "longer than" in error.message


def test_the_officers_portal_decides_and_the_flow_carries_on(cluster, scored_case):
    """After the refusals above (module order), the genuine decision applies normally."""
    with cluster.rpc("decider-1", "decision_maker") as rpc:
        decided = decide(scored_case)(rpc)
    assert decided["replayed"] is False
    eventually(lambda: case_status(cluster, scored_case)["status"] == "disbursement_scheduled", timeout=30)
    with cluster.rpc("auditor-1", "auditor") as rpc:
        entries = rpc.application.history(case_id=scored_case)["entries"]
    decision = [e for e in entries if e["type"] == "DecisionRecorded"]
    assert len(decision) == 1
    with cluster.rpc("fo-1", "funding_officer") as rpc:
        items = rpc.funding.disbursements(case_id=scored_case)["items"]
    assert [i["amount_fen"] for i in items] == [AWARD_FEN]
