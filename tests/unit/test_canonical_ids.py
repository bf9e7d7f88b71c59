"""Canonical actor ids: the probe's officer who audited a case decided its award when their id was
sent upper-cased or with a trailing space, and the decider reported the award's payment with the
id lower-cased. Every spelling of one id is one actor, when the token is verified and in every
separation-of-duties rule (also for ids recorded before tokens were normalised)."""
import uuid
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared import policy
from shared.actors import MalformedActorId, canonical_actor_id, same_actor
from shared.errors import Refused
from shared.identity import TokenIssuer, TrustedIssuers, issuer_owners, verify_token
from shared.keys import generate

from services.review.placement import PlacementReview
from tests.unit.test_domain_review import rule_of
from tests.unit.test_funding_case_funding import award_key, granted, refused
from tests.unit.unit_helpers import audited, ready

PROBE = "C1-OFFICER-10"
SPELLINGS = [PROBE, "c1-officer-10", "C1-OFFICER-10 ", " c1-Officer-10\t", "Ｃ１－ＯＦＦＩＣＥＲ－１０"]


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    directory = str(tmp_path_factory.mktemp("keys"))
    generate(directory, issuer_owners())
    return TokenIssuer.load(directory, "officer-portal"), TrustedIssuers.load(directory)


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_every_spelling_of_the_probe_is_one_canonical_id(spelling):
    assert canonical_actor_id(spelling) == "c1-officer-10"


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_a_verified_token_carries_the_canonical_id(keys, spelling):
    portal, trusted = keys
    assert verify_token(portal.token(spelling, "officer"), trusted).actor_id == "c1-officer-10"


@pytest.mark.parametrize("malformed", ["", " ", "officer-1\nx", "officer 1", "system:review", "-officer",
                                       "officer-", "a" * 129, "officer\u202e1", "张三", "officer/1", "o\x00"])
def test_a_malformed_id_is_refused_when_the_token_is_verified(keys, malformed):
    portal, trusted = keys
    with pytest.raises(MalformedActorId):
        canonical_actor_id(malformed)
    with pytest.raises(Refused) as caught:
        verify_token(portal.token(malformed, "officer"), trusted)
    assert caught.value.code == "unauthenticated"


def test_a_unit_claim_is_normalised_too(tmp_path):
    generate(str(tmp_path), issuer_owners())
    portal, trusted = TokenIssuer.load(str(tmp_path), "unit-portal"), TrustedIssuers.load(str(tmp_path))
    unit = "0F2C1B6E-8E0A-4C1D-9B7A-2D5F8E9A1B3C "
    assert verify_token(portal.token("contact-1", "unit_contact", unit), trusted).unit_id == unit.strip().lower()


@pytest.mark.parametrize("auditor", SPELLINGS)
@pytest.mark.parametrize("decider", ["c1-officer-10", "C1-OFFICER-10", "c1-officer-10 "])
def test_whoever_audited_cannot_decide_however_either_id_is_spelt(auditor, decider):
    review = ready(auditor)     # the audit as it may have been recorded before ids were normalised
    assert rule_of(review.decide_award, decider, 100, "r", policy.current("A"), date(2024, 12, 1)) == \
        "separation_of_duties.audit_decide"
    assert rule_of(review.decline, decider, "r", policy.current("A")) == "separation_of_duties.audit_decide"


@pytest.mark.parametrize("scorer", ["reviewer-7", "REVIEWER-7", "reviewer-7 "])
def test_in_programme_a_whoever_scored_a_case_cannot_decide_it(scorer):
    review = audited("officer-1")
    review.check_paper(True, {"service": "application", "event_id": "x"})
    review.score(scorer, 80, "可以")
    for decider in ("reviewer-7", "REVIEWER-7", " Reviewer-7"):
        assert rule_of(review.decide_award, decider, 100, "r", policy.current("A"), date(2024, 12, 1)) == \
            "separation_of_duties.review_decide"
        assert rule_of(review.decline, decider, "r", policy.current("A")) == "separation_of_duties.review_decide"
    review.decide_award("decider-1", 100, "r", policy.current("A"), date(2024, 12, 1))
    assert review.status == "award_decided"


def test_a_reviewers_later_score_replaces_the_earlier_one_whatever_its_spelling():
    review = audited("officer-1")
    review.check_paper(True, {"service": "application", "event_id": "x"})
    review.score("REVIEWER-7 ", 60, "x")
    review.score("reviewer-7", 90, "y")
    assert list(review.scores.values()) == [90]


def test_in_programme_b_whoever_scored_cannot_decide_however_spelt():
    import uuid
    project = PlacementReview(id=uuid.uuid4(), unit_id=uuid.uuid4(), expert_id=uuid.uuid4(), kind="science_engineering",
                              project_funds_fen=1, policy_edition="vice-president-2.0")
    project.score("Reviewer-1 ", 80, "可行")
    assert rule_of(project.decide, "reviewer-1", True, "r") == "separation_of_duties.review_decide"


@pytest.mark.parametrize("decided_by,reporter", [("DECIDER-1", "decider-1"), ("decider-1", "DECIDER-1"),
                                                 ("decider-1 ", "decider-1")])
def test_whoever_decided_cannot_report_the_payment_however_spelt(decided_by, reporter):
    funding = granted(decided_by=decided_by)
    refused("separation_of_duties.decide_release", funding.report_payment, reporter, award_key(funding), 1, "paid",
            "bank-1", date(2025, 1, 10), date(2025, 1, 10))


def test_same_actor_needs_two_ids():
    assert not same_actor(None, None) and not same_actor("a", None) and same_actor("A ", "a")


def test_the_probe_through_the_entrypoints_with_real_tokens(tmp_path):
    """The probe's calls, in process through the real entrypoints and stores (tests/golden/harness.py):
    the auditor, the scorer and the decider each try again under another spelling of their id."""
    from contextlib import redirect_stdout
    from io import StringIO

    from services import samples
    from shared.errors import ServiceError
    from tests.golden.harness import InProcessCluster
    from tests.support.flows import credit_code

    cluster = InProcessCluster(str(tmp_path))

    def call(service, method, actor, role, unit=None, **payload):
        return cluster.invoke(service, method, actor=actor, role=role, unit=unit,
                              payload={"command_id": f"cmd-{uuid.uuid4()}", **payload})

    def refused(service, method, actor, role, **payload) -> str:
        with pytest.raises(ServiceError) as caught:
            call(service, method, actor, role, **payload)
        return caught.value.rule

    try:
        with redirect_stdout(StringIO()):
            unit = call("registration", "register_unit", "contact-1", "unit_contact",
                        **samples.unit_registration(credit_code()))["unit_id"]
            call("registration", "audit_unit", "officer-1", "officer", unit_id=unit, outcome="approve", reason="ok")
            case = call("application", "file_case", "contact-1", "unit_contact", unit, unit_id=unit, programme="A",
                        title="杰出人才申报", talent=samples.talent(), claims=samples.claims(),
                        documents=samples.case_documents())["case_id"]
            call("application", "submit", "contact-1", "unit_contact", unit, case_id=case)
            call("review", "approve_audit", PROBE, "officer", case_id=case, reason="审核通过")
            call("application", "record_paper_delivery", "officer-2", "officer", case_id=case,
                 delivery=samples.paper_delivery())
            call("review", "score", "Reviewer-7 ", "reviewer", case_id=case, score=90, opinion="成果突出")
            decide = {"case_id": case, "award_fen": 100_000_000, "reason": "工作组决定"}
            for auditor in ("C1-OFFICER-10", "c1-officer-10 ", "c1-officer-10"):
                assert refused("review", "decide_award", auditor, "decision_maker", **decide) == \
                    "separation_of_duties.audit_decide"
            for scorer in ("REVIEWER-7", "reviewer-7"):
                assert refused("review", "decide_award", scorer, "decision_maker", **decide) == \
                    "separation_of_duties.review_decide"
            call("review", "decide_award", "Decider-1", "decision_maker", **decide)
            award = [d for d in cluster.invoke("funding", "disbursements", actor="fo-1", role="funding_officer",
                                               payload={"case_id": case})["items"] if d["obligation_id"] == "award"]
            report = {"idempotency_key": award[0]["idempotency_key"], "attempt": 1, "outcome": "paid",
                      "office_reference": "BANK-1"}
            for decider in ("decider-1", "DECIDER-1 "):
                assert refused("funding", "report_payment", decider, "funding_officer", **report) == \
                    "separation_of_duties.decide_release"
            assert call("funding", "report_payment", "fo-1", "funding_officer", **report)["status"] == "paid"
    finally:
        cluster.close()


ID_TEXT = st.from_regex(r"[a-z0-9](?:[a-z0-9._@-]{0,20}[a-z0-9])?", fullmatch=True)


@given(ID_TEXT, st.sampled_from([str.upper, str.title, lambda s: f" {s}\t", lambda s: s + "\n",
                                  lambda s: "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in s)]))
def test_any_spelling_of_a_well_formed_id_is_that_id(actor_id, spell):
    assert canonical_actor_id(spell(actor_id)) == actor_id
    assert same_actor(spell(actor_id), actor_id)
