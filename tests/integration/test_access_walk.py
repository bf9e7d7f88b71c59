"""Every endpoint of every running service, called with a token of every role, related to the record
and not, answers as the access tables say (services/<service>/access.py, rendered in
docs/reference.md): a role without a cell is refused `forbidden` (`roles`); a caller with the
relationship in their cell is not refused for who they are; a caller without it is refused
`forbidden` (`roles.<relationship>`). The tables are the input: an endpoint without a row, or
without a call below, fails. Then what the services published and logged during the whole run is
scanned for personal data (tests/support/personal_data.py).

One cluster for the module. The records: a programme A case of unit R walked to its award, a
placement (the story of services/placement_story.py), a draft case of unit U, and a recommended,
unpublished expert. Writes carry a stale `expected_version` where the command names an existing
record, so an admitted caller meets `conflict` and nothing changes; a creation may record something
new, which harms nothing here.
"""
from __future__ import annotations

import uuid
from contextlib import ExitStack
from pathlib import Path

import pytest

from services import samples
from services.placement_story import PlacementStory
from services.reference import access_table
from services.registry import endpoints
from shared.contracts.registry import SERVICES
from shared.access import ANY, IN_REVIEW, OWN_PLACEMENT, OWN_UNIT, PUBLISHED
from shared.client import cluster as rpc_cluster
from shared.errors import ServiceError
from shared.identity import ROLES, SYSTEM_ROLE
from tests.support import flows
from tests.support.cluster import command_id, eventually, running_cluster
from tests.support.personal_data import in_envelopes, in_log_lines, valid_id_number

CALLER_ROLES = tuple(role for role in ROLES if role != SYSTEM_ROLE)
STALE = 999_999
NOT_ADMITTED = ("forbidden", "unauthenticated", "validation_error")
STAFF = {"officer": "officer-9", "reviewer": "reviewer-9", "decision_maker": "decider-9",
         "funding_officer": "fo-9", "auditor": "auditor-9", "operator": "operator-9"}

# What each kind of record lets a related caller hold (None: no caller can hold it on such a record).
HOLDABLE = {
    "case": {ANY, OWN_UNIT, IN_REVIEW},              # a programme A case names no expert
    "placement": {ANY, OWN_UNIT, OWN_PLACEMENT, IN_REVIEW},
    "cooperation": {ANY, OWN_UNIT, OWN_PLACEMENT},
    "unit": {ANY, OWN_UNIT},
    "token_unit": {ANY, OWN_UNIT},                   # the unit the caller's token names
    "expert": {ANY, PUBLISHED, OWN_PLACEMENT},        # a published expert an officer recommended
    "none": {ANY},
}
# Relationships an unrelated call cannot break on such a record (a placement is in review from its filing).
UNBREAKABLE = {"placement": {IN_REVIEW}}


def w(payload: dict) -> dict:
    return {**payload, "expected_version": STALE}


REASON = {"reason": "走查"}
DRAFT = (Path(__file__).parents[2] / "shared" / "policy" / "changju-2024.yaml").read_text(encoding="utf-8")
# (service, endpoint) -> [(kind of record, payload from the targets)]
CALLS = {
    ("registration", "register_unit"): [("unit", lambda t: samples.unit_registration(t["unit_code"]))],
    ("registration", "audit_unit"): [("unit", lambda t: w({"unit_id": t["unit"], "outcome": "approve", **REASON}))],
    ("registration", "update_details"): [("unit", lambda t: w({**{k: v for k, v in samples.unit_registration(
        t["unit_code"]).items() if k != "credit_code"}, "unit_id": t["unit"]}))],
    ("registration", "get_unit"): [("unit", lambda t: {"unit_id": t["unit"]})],
    ("registration", "recommend_expert"): [("token_unit", lambda t: samples.expert_recommendation(t["e2_number"]))],
    ("registration", "record_expert_waiver"): [("none", lambda t: w({"expert_id": t["e2"], "waiver": "core_ip",
                                                                     **REASON}))],
    ("registration", "publish_expert"): [("none", lambda t: w({"expert_id": t["e2"]}))],
    ("registration", "withdraw_expert"): [("none", lambda t: w({"expert_id": t["e2"], **REASON}))],
    ("registration", "experts"): [("none", lambda t: {})],
    ("registration", "get_expert"): [("expert", lambda t: {"expert_id": t["expert"]})],
    ("registration", "expert_recommendations"): [("none", lambda t: {})],
    ("application", "file_case"): [("case", lambda t: {"unit_id": t["unit"], "programme": "A", "title": "走查申报"})],
    ("application", "declare_talent"): [("case", lambda t: w({"case_id": t["case"], "talent": samples.talent(),
                                                              "claims": samples.claims()}))],
    ("application", "attach_documents"): [("case", lambda t: w({"case_id": t["case"],
                                                                "documents": samples.case_documents()[:1]}))],
    ("application", "submit"): [("case", lambda t: w({"case_id": t["case"]}))],
    ("application", "record_age_waiver"): [("case", lambda t: w({"case_id": t["case"], **REASON}))],
    ("application", "record_paper_delivery"): [("case", lambda t: w({"case_id": t["case"],
                                                                     "delivery": samples.paper_delivery()}))],
    ("application", "status"): [("case", lambda t: {"case_id": t["case"]})],
    ("application", "checklist"): [("case", lambda t: {"case_id": t["case"]})],
    ("application", "history"): [("case", lambda t: {"case_id": t["case"]}),
                                 ("placement", lambda t: {"case_id": t["placement"]})],
    ("application", "cases_by_status"): [("none", lambda t: {"status": "draft"})],
    ("application", "unit_cases"): [("unit", lambda t: {"unit_id": t["unit"]})],
    ("application", "propose_cooperation"): [("placement", lambda t: {"unit_id": t["company"], "expert_id": t["expert"],
                                                                      "field": "智能制造", "need": "走查"})],
    ("application", "confirm_cooperation"): [("cooperation", lambda t: {"cooperation_id": t["cooperation"]})],
    ("application", "cooperation"): [("cooperation", lambda t: {"cooperation_id": t["cooperation"]})],
    ("application", "file_project"): [("cooperation", lambda t: {"cooperation_id": t["cooperation"], "title": "走查",
                                                                  "kind": "science_engineering",
                                                                  "project_funds_fen": 100})],
    ("application", "record_agreement"): [("placement", lambda t: w({"case_id": t["placement"], "signed_on": "2024-10-01",
                                                                     "management_mode": "走查", "ip_ownership": "走查"}))],
    ("application", "appoint"): [("placement", lambda t: w({"case_id": t["placement"], "post_title": "科技副总",
                                                            "starts_on": "2024-10-01"}))],
    ("application", "extend_term"): [("placement", lambda t: w({"case_id": t["placement"], "ends_on": "2027-06-01",
                                                                **REASON}))],
    ("application", "terminate_early"): [("placement", lambda t: w({"case_id": t["placement"], "ended_on": "2025-01-01",
                                                                    **REASON}))],
    ("application", "record_evaluation"): [("placement", lambda t: w({"case_id": t["placement"], "opinion": "走查",
                                                                      "rating": "good"}))],
    ("application", "placement"): [("placement", lambda t: {"case_id": t["placement"]})],
    ("application", "placements_by_status"): [("none", lambda t: {"status": "filed"})],
    ("review", "approve_audit"): [("case", lambda t: w({"case_id": t["case"], **REASON}))],
    ("review", "return_for_correction"): [("case", lambda t: w({"case_id": t["case"], **REASON, "correction_deadline":
                                                                "2024-12-31", "items": [{"item": "work_contract",
                                                                                         **REASON}]}))],
    ("review", "declare_conflict"): [("case", lambda t: w({"case_id": t["case"], **REASON}))],
    ("review", "score"): [("case", lambda t: w({"case_id": t["case"], "score": 80, "opinion": "走查"}))],
    ("review", "decide_award"): [("case", lambda t: w({"case_id": t["case"], "award_fen": 100, **REASON}))],
    ("review", "decline"): [("case", lambda t: w({"case_id": t["case"], **REASON}))],
    ("review", "review"): [("case", lambda t: {"case_id": t["case"]})],
    ("review", "declare_project_conflict"): [("placement", lambda t: w({"case_id": t["placement"], **REASON}))],
    ("review", "score_project"): [("placement", lambda t: w({"case_id": t["placement"], "score": 80, "opinion": "走查"}))],
    ("review", "decide_project"): [("placement", lambda t: w({"case_id": t["placement"], "approve": True, **REASON}))],
    ("review", "file_with_office"): [("placement", lambda t: w({"case_id": t["placement"], "reference": "走查"}))],
    ("review", "project_review"): [("placement", lambda t: {"case_id": t["placement"]})],
    ("funding", "choose_housing"): [("case", lambda t: w({"case_id": t["case"], "choice": "flat"}))],
    ("funding", "claim_service_money"): [("case", lambda t: w({"case_id": t["case"], "spent_on": "2024-10-01",
                                                               "amount_fen": 100, "purpose": "training",
                                                               "document_ref": "走查"}))],
    ("funding", "end_early"): [("case", lambda t: w({"case_id": t["case"], "ended_on": "2025-01-01", **REASON}))],
    ("funding", "report_payment"): [("none", lambda t: {"idempotency_key": t["b_key"], "attempt": 99, "outcome": "paid",
                                                        "office_reference": "走查"})],
    ("funding", "retry_disbursement"): [("none", lambda t: {"idempotency_key": t["b_key"], **REASON})],
    ("funding", "award_prize"): [("placement", lambda t: w({"case_id": t["placement"], "level": "first", "year": 2026,
                                                            **REASON}))],
    ("funding", "grant_breakthrough_subsidy"): [("placement", lambda t: w({"case_id": t["placement"],
                                                                           "investment_fen": 100, **REASON}))],
    ("funding", "entitlements"): [("case", lambda t: {"case_id": t["case"]}),
                                  ("placement", lambda t: {"case_id": t["placement"]})],
    ("funding", "disbursements"): [("case", lambda t: {"case_id": t["case"]}),
                                   ("placement", lambda t: {"case_id": t["placement"]})],
    ("funding", "disbursements_by_status"): [("none", lambda t: {"status": "unpaid"})],
    **{(service, "events_after"): [("none", lambda t: {"position": 0, "limit": 5})] for service in SERVICES},
    **{(service, "parked_events"): [("none", lambda t: {})] for service in SERVICES},
    **{(service, "replay_parked"): [("none", lambda t: {})] for service in SERVICES},
    **{(service, "health"): [("none", lambda t: {})] for service in SERVICES},
    ("funding", "record_budget"): [("none", lambda t: w({"programme": "A", "year": 2999, "obligation": "total",
                                                          "amount_fen": 100, "edition": "走查", **REASON}))],
    ("funding", "budget"): [("none", lambda t: {"programme": "A", "year": 2024})],
    ("funding", "budget_csv"): [("none", lambda t: {"programme": "A", "year": 2024})],
    ("funding", "what_if"): [("none", lambda t: {"edition": DRAFT, "limit": 5})],
    **{(service, "erase_person"): [("none", lambda t: w({"id_number": "000000000000000000", "legal_reason": "走查"}))]
       for service in ("registration", "application")},
    **{(service, "case_events"): [("case", lambda t: {"case_id": t["case"]})] for service in SERVICES},
    **{(service, "stream_events"): [("unit", lambda t: {"stream_id": t["unit"]})] for service in SERVICES},
    **{(service, "access_log"): [("case", lambda t: {"case_id": t["case"]})] for service in SERVICES},
}


class World:
    """The records the walk calls on, and a proxy per caller (opened once)."""

    def __init__(self, cluster, stack: ExitStack):
        self.cluster, self.stack, self.proxies = cluster, stack, {}
        self.t = self._build()

    def _build(self) -> dict:
        c = self.cluster
        unit_code = flows.credit_code()
        with c.rpc("contact-r", "unit_contact") as rpc:
            unit = rpc.registration.register_unit(command_id=command_id(), **samples.unit_registration(unit_code))
        with c.rpc("officer-1", "officer") as rpc:
            rpc.registration.audit_unit(command_id=command_id(), unit_id=unit["unit_id"], outcome="approve", reason="ok")
        unit_id = unit["unit_id"]
        case_id = flows.file_case(c, unit_id, "contact-r")["case_id"]
        flows.submit(c, case_id, unit_id, "contact-r")
        flows.approve_audit(c, case_id)
        flows.deliver_paper(c, case_id)
        flows.score(c, case_id)
        flows.decide_award(c, case_id, 100_000_000)
        story = PlacementStory(rpc=c.rpc, health=c.health, credit_code=flows.credit_code())
        facts = story.tell()
        unit_u = flows.approved_unit(c, "contact-u")
        draft = flows.file_case(c, unit_u, "contact-u")["case_id"]
        e2_number = valid_id_number("11010819850101" + str(uuid.uuid4().int % 900 + 100))
        with c.rpc("officer-1", "officer") as rpc:
            e2 = rpc.registration.recommend_expert(command_id=command_id(),
                                                   **samples.expert_recommendation(e2_number))["expert_id"]
        auditor = lambda service, method, **kw: self.call(("auditor-9", "auditor", None), service, method, **kw)  # noqa
        eventually(lambda: auditor("review", "review", case_id=draft), timeout=30)
        eventually(lambda: auditor("application", "status", case_id=case_id)["status"] == "disbursement_scheduled",
                   timeout=30)
        b_items = eventually(lambda: auditor("funding", "disbursements", case_id=facts["case_id"])["items"], timeout=30)
        return {"unit": unit_id, "unit_code": unit_code, "case": case_id, "draft": draft, "unit_u": unit_u,
                "company": facts["unit_id"], "placement": facts["case_id"], "cooperation": facts["cooperation_id"],
                "expert": facts["expert_id"], "e2": e2, "e2_number": e2_number,
                "b_key": b_items[0]["idempotency_key"]}

    def proxy(self, who):
        if who not in self.proxies:
            token = self.cluster.token(*who) if who else None
            self.proxies[who] = self.stack.enter_context(rpc_cluster(self.cluster.caller_uri, token, timeout=30))
        return self.proxies[who]

    def call(self, who, service: str, method: str, **payload):
        if method in ("register_unit", "file_case", "propose_cooperation", "file_project", "recommend_expert",
                      "confirm_cooperation", "replay_parked", "report_payment", "retry_disbursement") \
                or "expected_version" in payload:
            payload = {"command_id": command_id(), **payload}
        return getattr(getattr(self.proxy(who), service), method)(**payload)

    # -- who calls ----------------------------------------------------------------------------
    def related(self, role: str, kind: str):
        t = self.t
        if role == "unit_contact":
            unit = t["company"] if kind in ("placement", "cooperation") else t["unit"]
            return ("contact-r", role, unit)
        if role == "expert":
            return (t["expert"], role, None)
        return (STAFF[role], role, None)

    def unrelated(self, role: str, kind: str):
        if role == "unit_contact":
            return ("contact-x", role, None) if kind == "token_unit" else ("contact-u", role, self.t["unit_u"])
        if role == "expert":
            return (str(uuid.uuid4()), role, None)
        return self.related(role, kind)

    def unrelated_targets(self, cell) -> dict:
        """The records that break the record-side relationships of `cell`."""
        return {**self.t, **({"case": self.t["draft"]} if IN_REVIEW in cell else {}),
                **({"expert": self.t["e2"]} if PUBLISHED in cell else {})}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with running_cluster(tmp_path_factory.mktemp("access-walk"), services=()) as cluster, ExitStack() as stack:
        for service in SERVICES:      # one after the other: four imports at once starve a loaded machine
            cluster.start(service)
        yield World(cluster, stack)


def outcome(world, who, service, method, payload) -> tuple[str, str | None]:
    try:
        world.call(who, service, method, **payload)
    except ServiceError as error:
        return error.code, error.rule
    return "ok", None


def test_every_endpoint_answers_every_role_as_the_access_tables_say(world):
    wrong, walked = [], 0
    for service in SERVICES:
        table = access_table(service)
        names = {e.method for e in endpoints() if e.service == service}
        assert names == set(table.rows), f"{service}: endpoints without a row or rows without an endpoint"
        for endpoint in sorted(names):
            assert (service, endpoint) in CALLS, f"{service}.{endpoint} has a row but the walk has no call for it"
            for kind, payload_of in CALLS[(service, endpoint)]:
                if table.public(endpoint):
                    walked += 1
                    if outcome(world, None, service, endpoint, payload_of(world.t))[0] != "ok":
                        wrong.append(f"{service}.{endpoint} without a token: refused")
                    continue
                for role in CALLER_ROLES:
                    cell = table.relationships(endpoint, role)
                    related = outcome(world, world.related(role, kind), service, endpoint, payload_of(world.t))
                    walked += 1
                    if not cell:
                        if related != ("forbidden", "roles"):
                            wrong.append(f"{service}.{endpoint} [{kind}] {role}: {related}, not forbidden/roles")
                        continue
                    holds = any(r in HOLDABLE[kind] for r in cell)
                    if holds and related[0] in NOT_ADMITTED:
                        wrong.append(f"{service}.{endpoint} [{kind}] related {role}: {related}")
                    if not holds and related != ("forbidden", f"roles.{cell[0]}"):
                        wrong.append(f"{service}.{endpoint} [{kind}] {role} (no {cell} on such a record): {related}")
                    if not holds or ANY in cell or set(cell) & UNBREAKABLE.get(kind, set()):
                        continue
                    unrelated = outcome(world, world.unrelated(role, kind), service, endpoint,
                                        payload_of(world.unrelated_targets(cell)))
                    walked += 1
                    if unrelated != ("forbidden", f"roles.{cell[0]}"):
                        wrong.append(f"{service}.{endpoint} [{kind}] unrelated {role}: {unrelated}, "
                                     f"not forbidden/roles.{cell[0]}")
    assert wrong == [], f"{len(wrong)} of {walked} calls answered against the table:\n" + "\n".join(wrong)


def test_nothing_published_or_handed_to_operators_holds_personal_data(world):
    found = []
    for service in SERVICES:
        position = 0
        while True:
            page = world.call(("operator-9", "operator", None), service, "events_after", position=position, limit=1000)
            found += page["events"]
            if page["last_position"] == position:
                break
            position = page["last_position"]
    assert {e["type"] for e in found} >= {"application.case.PaperDeliveryRecorded", "registration.expert.Recommended",
                                         "application.placement.Appointed"}
    assert in_envelopes(found) == []


def test_no_log_line_holds_personal_data(world):
    logs = {service: world.cluster.log(service) for service in SERVICES}
    assert all(text.count("\n") > 20 for text in logs.values())
    assert {service: in_log_lines(text) for service, text in logs.items()} == {s: [] for s in SERVICES}
