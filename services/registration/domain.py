"""Units and their registration audit; programme B's expert pool. Pure domain: no nameko, no kombu,
no clock (business dates are handed in).

A unit's id is derived from its unified social credit code, so the same unit can never be
registered twice, even by two racing requests. An expert's id is the person's random id, found
from the ID number only through the keyed index (shared/privacy/keystore.py), so the same person
is never in the pool twice and nobody can compute the id from an ID number.
"""
from __future__ import annotations

from datetime import date
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from shared.errors import rule_violation
from shared.eventstore.aggregate import Stream

from shared.materials import registration_missing_mandatory

UNITS = uuid5(NAMESPACE_URL, "urn:changping:units")


def require_registration_rules(policy: dict, details: dict) -> None:
    """二(一)1: an enterprise or financial institution is registered (business and tax) in Changping
    (a university or institute qualifies by transforming results there, which its audit judges);
    二(二)1: the mandatory registration materials for this unit type (a university or research
    institute needs no tax certificate)."""
    if details["unit_type"] in policy["unit"]["must_register_in_changping"] and not details["registered_in_changping"]:
        raise rule_violation("A.unit.changping", f"a unit of type {details['unit_type']} must be registered in "
                             "Changping (在昌平区工商注册且税务登记, 二(一)1)",
                             fields={"registered_in_changping": ["must be true for this unit type"]})
    unit_type, materials = details["unit_type"], details["materials"]
    missing = registration_missing_mandatory(policy, unit_type, [m["code"] for m in materials])
    if missing:
        raise rule_violation("A.unit.materials", f"mandatory registration materials missing: {', '.join(missing)}",
                             fields={f"materials.{code}": ["mandatory (*), nothing attached"] for code in missing})


def require_registration_window(policy: dict, details: dict, today: date) -> None:
    """四(一)1: units register, or update the details of an existing registration, inside the call's
    registration window (inclusive, Beijing calendar dates); filing follows the audit's approval, which
    is not bound by it. Programme B's companies (a declared Changping technology company) register when
    they seek a placement: the programme A call's window does not bind them."""
    if details.get("technology_company"):
        return
    window = policy["call"]["registration_window"]
    opens, closes = _day(window["opens"]), _day(window["closes"])
    if not opens <= today <= closes:
        raise rule_violation("A.unit.registration_window", f"the {policy['edition']} call has units register or "
                             f"update their details from {opens} to {closes} (Beijing time, 四(一)1); today is {today}",
                             fields={"registered_on": [f"outside the registration window {opens}..{closes}"]})


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def require_company_rules(details: dict) -> None:
    """Programme B's companies are Changping technology companies (昌平区科技型企业, 三(二)): only an
    enterprise may declare itself one (its registration audit judges the claim)."""
    if details.get("technology_company") and details["unit_type"] != "enterprise":
        raise rule_violation("B.company.enterprise", f"only an enterprise may declare itself a technology company, "
                             f"not a unit of type {details['unit_type']} (昌平区科技型企业)",
                             fields={"technology_company": ["only an enterprise may be a technology company"]})


def unit_id_for(credit_code: str) -> UUID:
    return uuid5(UNITS, credit_code.upper())


class Unit(Stream):
    STREAM = "unit"

    # -- explicit event classes: v2 added `technology_company`; stored v1 events are upcast (False) --------
    class Registered(Stream.Created):
        class_version = 2
        name: str
        credit_code: str
        unit_type: str
        industry: str
        registered_in_changping: bool
        contact: dict
        materials: list
        technology_company: bool

        @staticmethod
        def upcast_v1_v2(state):
            state["technology_company"] = False

    class DetailsUpdated(Stream.Event):
        class_version = 2
        name: str
        unit_type: str
        industry: str
        registered_in_changping: bool
        contact: dict
        materials: list
        technology_company: bool

        @staticmethod
        def upcast_v1_v2(state):
            state["technology_company"] = False

    @classmethod
    def register(cls, unit_id: UUID, details: dict, policy: dict, today: date) -> Unit:
        require_registration_window(policy, details, today)
        require_registration_rules(policy, details)
        require_company_rules(details)
        return cls(id=unit_id, **details)

    @event(Registered)
    def __init__(self, id: UUID, name: str, credit_code: str, unit_type: str, industry: str,  # noqa: A002
                 registered_in_changping: bool, contact: dict, materials: list, technology_company: bool = False):
        self.name, self.credit_code = name, credit_code
        self.unit_type, self.industry = unit_type, industry
        self.registered_in_changping = registered_in_changping
        self.contact, self.materials = contact, materials
        self.technology_company = technology_company
        self.status = "pending"
        self.audit_reason: str | None = None

    def update_details(self, details: dict, policy: dict, today: date) -> None:
        """For a new call, or after a return for correction: the new details await a new audit."""
        if self.status == "pending":
            raise rule_violation("registration.update.audited", "a registration awaiting its audit cannot change; "
                                 "wait for the audit or its return for correction")
        require_registration_window(policy, details, today)
        require_registration_rules(policy, details)
        require_company_rules(details)
        self._details_updated(**details)

    def approve(self, reason: str) -> None:
        self._require_pending()
        self._approve(reason=reason)

    def reject(self, reason: str) -> None:
        self._require_pending()
        self._reject(reason=reason)

    def return_for_correction(self, reason: str) -> None:
        self._require_pending()
        self._returned(reason=reason)

    def _require_pending(self) -> None:
        if self.status != "pending":
            raise rule_violation("registration.audit.once", f"the unit's registration is already {self.status}")

    @event(DetailsUpdated)
    def _details_updated(self, name: str, unit_type: str, industry: str, registered_in_changping: bool,
                         contact: dict, materials: list, technology_company: bool = False):
        self.name, self.unit_type, self.industry = name, unit_type, industry
        self.registered_in_changping, self.contact, self.materials = registered_in_changping, contact, materials
        self.technology_company = technology_company
        self.status, self.audit_reason = "pending", None

    @event("ReturnedForCorrection")
    def _returned(self, reason: str) -> None:
        self.status, self.audit_reason = "returned", reason

    @event("Approved")
    def _approve(self, reason: str) -> None:
        self.status, self.audit_reason = "approved", reason

    @event("Rejected")
    def _reject(self, reason: str) -> None:
        self.status, self.audit_reason = "rejected", reason


# -- programme B: the expert pool (科技副总 拟聘专家人才库) --------------------------------------------
#
#   recommended ──(waiver, at most one)──▶ recommended ──publish──▶ published ──withdraw──▶ withdrawn
#        └──────────────────────────────── withdraw ─────────────────────────────────────────▲
#
# Publication checks 二(二)1-2 against the edition the candidate was recommended under; a recorded
# waiver (拥有核心知识产权或成熟科技成果, 昌平区企业急需紧缺) relaxes both conditions. Withdrawal is final.

EXPERTS = uuid5(NAMESPACE_URL, "urn:changping:experts")
RECOMMENDED, PUBLISHED, WITHDRAWN = "recommended", "published", "withdrawn"


def legacy_expert_id(id_number: str) -> UUID:
    """The id experts were recommended under before the keyed index: uuid5 of the ID number, which
    anyone holding the number can compute. Kept only for the index migration (services/keystore.py)."""
    return uuid5(EXPERTS, "".join(id_number.split()).upper())


def require_institution_kind(policy: dict, kind: str) -> None:
    """二(一): the dispatching institution is one of the edition's kinds."""
    kinds = [k["code"] for k in policy["expert"]["institution_kinds"]]
    if kind not in kinds:
        raise rule_violation("B.expert.institution", f"a dispatching institution of kind {kind!r} may not recommend "
                             f"experts; the {policy['edition']} edition allows: {', '.join(kinds)} (二(一))",
                             fields={"institution_kind": [f"one of: {', '.join(kinds)}"]})


def unmet_conditions(policy: dict, degree: str, title: str, work_years: int) -> dict[str, str]:
    """二(二)1-2 against the edition: the rule ids not met, each with why."""
    expert = policy["expert"]
    unmet = {}
    if degree not in expert["qualifying_degrees"] and title not in expert["qualifying_titles"]:
        unmet["B.expert.qualification"] = (f"needs a degree in {expert['qualifying_degrees']} or a title in "
                                           f"{expert['qualifying_titles']} (博士学位或副高级及以上职称, 二(二)1); "
                                           f"has {degree} / {title}")
    if work_years < expert["min_work_years"]:
        unmet["B.expert.work_years"] = (f"needs at least {expert['min_work_years']} years of work "
                                        f"(2年及以上工作经历, 二(二)2); has {work_years}")
    return unmet


class Expert(Stream):
    """A candidate recommended by a dispatching institution, and, once published, a pool expert. Holds the
    expert's personal data (name, ID number, contact): none of it is in a published payload."""
    STREAM = "expert"

    @classmethod
    def recommend(cls, expert_id: UUID, form: dict, policy: dict, recommending_unit_id: str | None = None) -> Expert:
        require_institution_kind(policy, form["institution_kind"])
        return cls(id=expert_id, policy_edition=policy["edition"], recommending_unit_id=recommending_unit_id,
                   **form)

    @event("Recommended")
    def __init__(self, id: UUID, institution_name: str, institution_kind: str, name: str,  # noqa: A002
                 id_number: str, contact: dict, degree: str, title: str, work_years: int, fields: list,
                 expertise: list, policy_edition: str, recommending_unit_id: str | None):
        self.institution_name, self.institution_kind = institution_name, institution_kind
        self.name, self.id_number, self.contact = name, id_number, contact
        self.degree, self.title, self.work_years = degree, title, work_years
        self.fields, self.expertise = list(fields), list(expertise)
        self.policy_edition, self.recommending_unit_id = policy_edition, recommending_unit_id
        self.status = RECOMMENDED
        self.waiver: dict | None = None
        self.published_on: date | None = None
        self.withdrawal_reason: str | None = None

    # -- commands -------------------------------------------------------------------------------
    def record_waiver(self, waiver: str, reason: str, decided_by: str, policy: dict) -> None:
        """The relaxation 二(二) allows, decided by an officer before publication; one per candidate."""
        self._require_not_withdrawn()
        if self.status == PUBLISHED:
            raise rule_violation("B.expert.waiver.before_publication",
                                 "the expert is already published: a waiver is recorded before publication")
        if self.waiver is not None:
            raise rule_violation("B.expert.waiver.once", f"a waiver ({self.waiver['waiver']}) is already recorded "
                                 f"by {self.waiver['decided_by']}")
        grounds = policy["expert"]["waivers"]
        if waiver not in grounds:
            raise rule_violation("B.expert.waiver", f"{waiver!r} is no ground for a waiver; the {policy['edition']} "
                                 f"edition allows: {', '.join(grounds)} (二(二) 可适当放宽)",
                                 fields={"waiver": [f"one of: {', '.join(grounds)}"]})
        self._waiver_recorded(waiver=waiver, reason=reason, decided_by=decided_by)

    def publish(self, policy: dict, today: date) -> None:
        """Into the published pool, once, if 二(二)1-2 are met or waived. `policy` is the edition the
        candidate was recommended under (`policy_edition`)."""
        self._require_not_withdrawn()
        if self.status == PUBLISHED:
            raise rule_violation("B.expert.publish.once",
                                 f"the expert is already in the pool since {self.published_on}")
        unmet = unmet_conditions(policy, self.degree, self.title, self.work_years)
        if unmet and self.waiver is None:
            rule = next(iter(unmet))
            raise rule_violation(rule, "; ".join(unmet.values()) + " — and no waiver is recorded",
                                 fields={RULE_FIELDS[r]: [why] for r, why in unmet.items()})
        self._published(published_on=today, institution_kind=self.institution_kind, fields=list(self.fields),
                        policy_edition=policy["edition"], waived=sorted(unmet))

    def withdraw(self, reason: str) -> None:
        self._require_not_withdrawn()
        self._withdrawn(reason=reason)

    def _require_not_withdrawn(self) -> None:
        if self.status == WITHDRAWN:
            raise rule_violation("B.expert.withdrawn", f"the expert was withdrawn: {self.withdrawal_reason}")

    # -- events ---------------------------------------------------------------------------------
    @event("WaiverRecorded")
    def _waiver_recorded(self, waiver: str, reason: str, decided_by: str) -> None:
        self.waiver = {"waiver": waiver, "reason": reason, "decided_by": decided_by}

    @event("Published")
    def _published(self, published_on: date, institution_kind: str, fields: list, policy_edition: str,
                   waived: list) -> None:
        self.status, self.published_on = PUBLISHED, published_on

    @event("Withdrawn")
    def _withdrawn(self, reason: str) -> None:
        self.status, self.withdrawal_reason = WITHDRAWN, reason


RULE_FIELDS = {"B.expert.qualification": "degree", "B.expert.work_years": "work_years"}
