"""The auditor's case file and its page, built from a case walked through all four services in
process (no broker): who decided, the amount, every cause linked, money per obligation."""
import json
import re
from datetime import timedelta

from services.audit.casefile import build, totals, yuan
from services.audit.render import html_page, text_timeline
from shared.platform.endpoints import plain_json
from services.review import commands as reviewing
from tests.unit.test_case_flow import AWARD_FEN, cluster, decided_case, ready_for_decision  # noqa: F401
from tests.unit.unit_helpers import START, handled

AUDITOR = {"actor_id": "auditor-1", "role": "auditor", "issuer": "officer-portal"}


def case_file_of(cluster, case_id, **kwargs):  # noqa: F811
    cluster.settle()
    history = plain_json(cluster.application.history(case_id, kwargs.get("as_of")))
    unit_id = history[0]["data"]["unit_id"]
    events = [plain_json(e) for source in ("registration", "application", "review", "funding")
              for e in cluster.published(source) if str(e.get("case_id")) == str(case_id) or str(e["stream_id"]) == unit_id]
    return build(str(case_id), history, events, generated_at="2024-10-01T00:00:00+00:00", generated_by=AUDITOR,
                 **kwargs)


def test_the_decision_names_the_decision_maker_and_the_award(cluster):  # noqa: F811
    case_file = case_file_of(cluster, decided_case(cluster))
    facts = case_file["key_facts"]
    assert (facts["decided_by"], facts["decision"], facts["award_fen"]) == ("decider-1", "AwardDecided", AWARD_FEN)
    assert facts["decision_edition"] == "changju-2024" and facts["decision_rule"]
    decision = next(t for t in case_file["timeline"] if t["type"] == "DecisionRecorded")
    assert (decision["actor_id"], decision["role"], decision["amount_fen"]) == ("decider-1", "decision_maker", AWARD_FEN)
    assert decision["recorded_by"] == "system:application"          # the case stream recorded what review decided
    assert decision["reason"] == "评审通过" and decision["edition"] == "changju-2024"
    assert decision["cause"]["service"] == "review" and decision["cause"]["in_file"]


def test_every_cause_is_in_the_file_and_every_event_keeps_its_envelope(cluster):  # noqa: F811
    case_file = case_file_of(cluster, decided_case(cluster))
    by_anchor = {r["anchor"]: r for r in case_file["events"]}
    causes = [t["cause"] for t in case_file["timeline"] if t["cause"]]
    assert len(causes) >= 4 and all(c["in_file"] and c["anchor"] in by_anchor for c in causes)
    for record in case_file["events"]:
        envelope = record["envelope"]
        assert (record["service"], record["position"], record["event_id"]) == \
            (envelope["source"], envelope["position"], envelope["event_id"])
        assert record["proofs"] == []      # room for an inclusion proof per event (signatures: the browser test)
    assert {r["service"] for r in case_file["events"]} == {"registration", "application", "review", "funding"}
    assert json.loads(json.dumps(case_file)) == case_file            # plain JSON


def test_money_per_obligation(cluster):  # noqa: F811
    case_file = case_file_of(cluster, decided_case(cluster))
    (award,) = [r for r in case_file["totals"] if r["obligation_id"] == "award"]
    assert (award["periods"], award["scheduled_fen"], award["paid_fen"], award["unpaid_fen"]) == \
        (1, AWARD_FEN, 0, AWARD_FEN)


def test_as_of_before_the_decision_leaves_it_out(cluster, clock):  # noqa: F811
    case_id = ready_for_decision(cluster)
    clock.advance(days=10)
    handled(cluster.review, reviewing.DecideAward(case_id=case_id, award_fen=AWARD_FEN, reason="评审通过"),
            "decider-1", "decision_maker")
    everything = case_file_of(cluster, case_id)
    earlier = case_file_of(cluster, case_id, as_of=START + timedelta(days=5))
    assert everything["key_facts"]["decided_by"] == "decider-1" and earlier["key_facts"]["decided_by"] is None
    assert len(earlier["events"]) < len(everything["events"])
    assert earlier["as_of"] == (START + timedelta(days=5)).isoformat()


def test_the_page_is_self_contained_printable_and_shows_who_decided_and_how_much(cluster):  # noqa: F811
    page = html_page(case_file_of(cluster, decided_case(cluster)))
    assert "decider-1" in page and yuan(AWARD_FEN) in page and yuan(AWARD_FEN) == "1,500,000.00"
    assert "@media print" in page
    assert not re.search(r"<script|<link|<img|src=|url\(|@import|href=\"(?!#)", page)   # nothing fetched
    ids = set(re.findall(r'id="([^"]+)"', page))
    assert all(target in ids for target in re.findall(r'href="#([^"]+)"', page))       # every link lands


def test_the_page_escapes_what_the_record_holds(cluster):  # noqa: F811
    case_file = case_file_of(cluster, decided_case(cluster))
    case_file["timeline"][0]["reason"] = "<script>alert(1)</script>"
    page = html_page(case_file)
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_the_terminal_timeline(cluster):  # noqa: F811
    text = text_timeline(case_file_of(cluster, decided_case(cluster)))
    assert "decided by decider-1: AwardDecided, award 1,500,000.00 yuan" in text
    assert re.search(r"decider-1 \(decision_maker\)\s+1,500,000.00", text)


def envelope(kind, position, **payload):
    return {"source": "funding", "position": position, "event_id": f"e{position}", "type": f"funding.case_funding.{kind}",
            "stream_id": "c", "sequence": position, "occurred_at": "2025-01-01T00:00:00+08:00", "actor": {},
            "payload": payload}


def test_totals_count_payments_returns_cancellations_and_recoveries():
    records = [{"service": "funding", "type": e["type"], "envelope": e} for e in [
        envelope("DisbursementScheduled", 1, obligation_id="rent_subsidy", idempotency_key="k1", amount_fen=100,
                 payee="talent"),
        envelope("DisbursementScheduled", 2, obligation_id="rent_subsidy", idempotency_key="k2", amount_fen=100,
                 payee="talent"),
        envelope("DisbursementScheduled", 3, obligation_id="rent_subsidy", idempotency_key="k3", amount_fen=100,
                 payee="talent"),
        envelope("DisbursementPaid", 4, idempotency_key="k1", amount_fen=100),
        envelope("DisbursementPaid", 5, idempotency_key="k2", amount_fen=100),
        envelope("DisbursementReturned", 6, idempotency_key="k2", amount_fen=100),
        envelope("DisbursementCancelled", 7, idempotency_key="k3"),
        envelope("RecoveryClaimed", 8, obligation_id="rent_subsidy", idempotency_key="r1", overpaid_fen=40),
    ]]
    (rent,) = totals(records)
    assert (rent["periods"], rent["scheduled_fen"], rent["paid_fen"], rent["returned_fen"], rent["cancelled_fen"],
            rent["unpaid_fen"], rent["net_paid_fen"], rent["recovery_claimed_fen"]) == (3, 300, 200, 100, 100, 0, 100, 40)


def test_yuan_is_exact():
    assert [yuan(0), yuan(5), yuan(123_456_789), yuan(-150)] == ["0.00", "0.05", "1,234,567.89", "-1.50"]


def test_an_entry_that_changes_an_earlier_one_links_to_it(cluster):  # noqa: F811
    case_file = case_file_of(cluster, decided_case(cluster))
    assert all(t["supersedes"] == [] for t in case_file["timeline"])
    case_file["timeline"][-1]["supersedes"] = [1]
    page = html_page(case_file)
    assert '<a href="#entry-1">changes #1</a>' in page and 'id="entry-1"' in page
