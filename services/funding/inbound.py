"""What other services' events do to funding: review's decision opens and grants a case's
funding (programme A); application's placement events open, appoint, extend, end and expire a
placement's funding (programme B).

Each handler is `handler(envelope, uow)`: the inbox gives it a unit of work acting as
system:funding, caused by the event, and records what it changed with the inbox's tracking row.
"""
from __future__ import annotations

from uuid import UUID

from shared import policy as policies
from shared.actors import normal_form
from shared.clock import BEIJING
from shared.errors import Refused
from shared.policy.figures import changju_figures

from services.funding import budget, reservations
from services.funding.cases import funding_of
from services.funding.domain import CaseFunding
from services.funding.placement import ExpertSubsidisedTerms, PlacementFunding

APPOINTMENT_FIELDS = ("unit_id", "expert_id", "starts_on", "ends_on", "kind", "project_funds_fen", "policy_edition")


def handlers() -> dict:
    """Event type -> handler."""
    return {"review.case_review.Opened": review_opened,
            "review.case_review.AwardDecided": award_decided,
            "application.placement.ProjectFiled": project_filed,
            "application.placement.Appointed": appointed,
            "application.placement.TermExtended": term_extended,
            "application.placement.TerminatedEarly": terminated_early,
            "application.placement.TermExpired": term_expired}


def _today(uow):
    return uow.app.clock.today()


# -- programme A: review -----------------------------------------------------------------------------
def review_opened(envelope, uow) -> None:
    payload = envelope["payload"]
    uow.add(CaseFunding(id=envelope["case_id"], programme=payload["programme"], unit_id=payload.get("unit_id")))


def award_decided(envelope, uow) -> None:
    """Funding accepts the decision if the year(s) it falls due in have the budget for it: the
    reservation and the grant commit together; otherwise it records the decline (funding.budget.exceeded)."""
    funding = funding_of(uow, envelope["case_id"])   # opened by the same review stream, so present
    decision, today = upcast_award_decided(envelope), _today(uow)
    if funding.decision is None:
        try:
            budget.reserve(uow, "A", funding.id, reservations.award_decision(decision, today), key=str(funding.id))
        except Refused as refusal:
            if refusal.rule != "funding.budget.exceeded":
                raise
            funding.decline(decision, refusal)
            return
    funding.grant(decision, today)


def upcast_award_decided(envelope: dict) -> dict:
    """review.case_review.AwardDecided as a decision, whatever its schema version. v1 knew only
    the award: an outstanding talent, first application, not a national/Beijing talent, terms
    starting on the Beijing date the decision occurred. v3 records the figures the decision used
    (shared/policy/figures.py); before v3 they are the named edition's."""
    payload = envelope["payload"]
    decision = {key: payload[key] for key in ("award_fen", "rule", "policy_edition", "inputs")}
    if envelope["schema_version"] >= 2:
        decision.update({key: payload[key] for key in ("category", "prior_changju_award_fen",
                                                       "national_or_beijing_talent", "effective_on")})
    else:
        decision.update(category="outstanding", prior_changju_award_fen=0, national_or_beijing_talent=False,
                        effective_on=envelope["occurred_at"].astimezone(BEIJING).date())
    if envelope["schema_version"] >= 3:
        decision["figures"] = dict(payload["figures"])
    else:   # the figures of the edition it names: the same, for a released edition is frozen
        decision["figures"] = changju_figures(policies.edition(decision["policy_edition"]), decision["category"])
    decision.update(decided_by=normal_form(envelope["actor"]["actor_id"]), decision_event_id=str(envelope["event_id"]))
    return decision


# -- programme B: application's placement -------------------------------------------------------------
def project_filed(envelope, uow) -> None:
    if uow.find(_placement_id(envelope)) is None:
        uow.add(_placement_funding(envelope, cooperation_id=envelope["payload"]["cooperation_id"]))


def appointed(envelope, uow) -> None:
    """The appointment grants the placement's money. An expert's project subsidy goes to one
    placement per term: the expert's claim record (deterministic id) is saved in the same
    transaction, so two placements appointed at once cannot both take it."""
    p, case_id = envelope["payload"], _placement_id(envelope)
    funding = uow.find(case_id)
    if funding is None:   # no ProjectFiled seen (e.g. a stream that began before funding followed it)
        funding = _placement_funding(envelope, cooperation_id=None)
    uow.add(funding)      # first: the placement's events are recorded before the claim record's
    terms_id = ExpertSubsidisedTerms.id_for(p["expert_id"])
    terms = uow.find(terms_id) or ExpertSubsidisedTerms(id=terms_id, expert_id=str(p["expert_id"]))
    held_by = terms.holder(case_id, p["starts_on"], p["ends_on"])
    if held_by is None:
        terms.claim(placement_id=str(case_id), starts_on=p["starts_on"], ends_on=p["ends_on"])
        uow.add(terms)
    today = _today(uow)
    funding.appoint({**{k: p[k] for k in APPOINTMENT_FIELDS}, "appointed_by": envelope["actor"]["actor_id"],
                     "appointment_event_id": envelope["event_id"], "project_subsidy_held_by": held_by},
                    today)
    # The money the appointment commits, in the years it falls due. The appointment is application's
    # fact, so funding cannot decline it: a year without enough budget refuses the event, which the inbox
    # parks with funding.budget.exceeded until the office raises the budget and an operator replays it.
    budget.reserve(uow, "B", case_id, reservations.placement(funding, today), key=str(case_id))


def term_extended(envelope, uow) -> None:
    if (funding := _appointed_placement(envelope, uow)) is not None:
        before = reservations.placement(funding, _today(uow)).get("living_subsidy", {})
        funding.extend(envelope["payload"]["ends_on"], envelope["payload"]["reason"], _today(uow))
        after = reservations.placement(funding, _today(uow)).get("living_subsidy", {})
        more = {year: after[year] - before.get(year, 0) for year in after if after[year] > before.get(year, 0)}
        budget.reserve(uow, "B", funding.id, {"living_subsidy": more},
                       key=f"{funding.id}:extended-{envelope['payload']['ends_on']}")   # refused: parked, as appointed


def terminated_early(envelope, uow) -> None:
    if (funding := _appointed_placement(envelope, uow)) is not None:
        funding.end_early(envelope["payload"]["ended_on"], envelope["payload"]["reason"], _today(uow))
        _settle(uow, funding, f"ended early on {envelope['payload']['ended_on']}")


def term_expired(envelope, uow) -> None:
    if (funding := _appointed_placement(envelope, uow)) is not None:
        if funding.expire(envelope["payload"]["ends_on"], _today(uow)):   # records nothing if already ended
            _settle(uow, funding, f"the term expired on {envelope['payload']['ends_on']}")


def _settle(uow, funding: PlacementFunding, reason: str) -> None:
    """Give the budget back what the placement will no longer pay (`budget.settle`)."""
    starts = funding.appointment["starts_on"].year
    budget.settle(uow, "B", funding, range(starts, starts + 6), reason)


def _placement_id(envelope: dict) -> UUID:
    """A placement's stream id is its case id."""
    return UUID(str(envelope.get("case_id") or envelope["stream_id"]))


def _placement_funding(envelope, cooperation_id) -> PlacementFunding:
    p = envelope["payload"]
    return PlacementFunding(id=_placement_id(envelope), unit_id=p["unit_id"], expert_id=p["expert_id"],
                            cooperation_id=cooperation_id, kind=p["kind"], project_funds_fen=p["project_funds_fen"],
                            policy_edition=p["policy_edition"])


def _appointed_placement(envelope, uow) -> PlacementFunding | None:
    """The placement's funding once appointed; None before (a placement that ends before its
    appointment, or that funding never saw filed, has no money to change)."""
    funding = uow.find(_placement_id(envelope))
    if isinstance(funding, PlacementFunding) and funding.appointment is not None:
        return funding
    return None
