"""The registration service's Application: commands on units and on programme B's expert pool, and
their read models."""
from __future__ import annotations

from datetime import datetime, timezone
from uuid import UUID

from shared import policy
from shared.errors import conflict, not_found, rule_violation
from shared.eventstore.application import ServiceApplication, check_version, handles
from shared.eventstore.projection import Projection
from shared.privacy import ERASED
from shared.privacy.erasure import Erasing

from services.registration import commands
from services.registration import access
from services.registration.domain import PUBLISHED, Expert, Unit, unit_id_for

UNITS = "units"
EXPERTS = "experts"            # one document per candidate, whatever its status
EXPERT_POOL = "expert_pool"    # the published pool, indexed for its filters (see ExpertsView)
ANY = "*"
RECOMMENDING_UNIT_TYPES = ("university", "research_institute")


class UnitsView(Projection):
    name = "units"
    collections = (UNITS,)

    def apply(self, event, notification_id, docs):
        if not isinstance(event, Unit.Event):
            return
        key = str(event.originator_id)
        doc = docs.get(UNITS, key) or {"unit_id": key}
        if isinstance(event, Unit.Registered):
            doc.update(name=event.name, unit_type=event.unit_type, industry=event.industry, status="pending",
                       technology_company=event.technology_company, registered_at=event.meta["occurred_at"])
        elif isinstance(event, Unit.DetailsUpdated):
            doc.update(name=event.name, unit_type=event.unit_type, industry=event.industry, status="pending",
                       technology_company=event.technology_company, audit_reason=None,
                       updated_at=event.meta["occurred_at"])
        elif isinstance(event, Unit.Approved | Unit.Rejected | Unit.ReturnedForCorrection):
            doc.update(status=AUDITED_STATUS[type(event).__name__], audit_reason=event.reason,
                       audited_by=event.meta["actor"]["actor_id"])
        doc["version"] = event.originator_version
        docs.put(UNITS, key, doc)


AUDITED_STATUS = {"Approved": "approved", "Rejected": "rejected", "ReturnedForCorrection": "returned"}


def tag(value: str | None) -> str | None:
    """How pool filters compare labels: case and extra spaces ignored."""
    return None if value is None else " ".join(value.split()).casefold()


class ExpertsView(Projection):
    """Two collections. `experts`: one document per candidate (public profile, status, waiver, audit
    trail; never the ID number or contact). `expert_pool`: the published pool, indexed so that every
    combination of filters is one equality match on the view store, with exact totals and paging:
    for each published expert, one document per (field or "*", keyword or "*") pair of its
    normalised fields and expertise keywords. A query names the field and keyword it filters on, "*"
    for none, so each expert matches at most once. Withdrawal marks the expert's index documents
    `status: withdrawn` (documents are never deleted; the projection is rebuildable from zero)."""
    name = "experts"
    collections = (EXPERTS, EXPERT_POOL)

    def __init__(self, app=None):
        self.app = app   # its vault seals the expert's name for the read model (docs/privacy.md)

    def apply(self, event, notification_id, docs):
        if not isinstance(event, Expert.Event):
            return
        key = str(event.originator_id)
        doc = docs.get(EXPERTS, key) or {"expert_id": key}
        in_pool_before = doc.get("status") == PUBLISHED
        if isinstance(event, Expert.Recommended):
            doc.update(name=sealed_name(self.app, key, event.name), institution_name=event.institution_name,
                       institution_kind=event.institution_kind, degree=event.degree, title=event.title,
                       work_years=event.work_years, fields=list(event.fields), expertise=list(event.expertise),
                       policy_edition=event.policy_edition, recommending_unit_id=event.recommending_unit_id,
                       recommended_by=event.meta["actor"]["actor_id"], recommended_at=event.meta["occurred_at"],
                       status="recommended", waiver=None, published_on=None, waived=[], withdrawal_reason=None)
        elif isinstance(event, Expert.WaiverRecorded):
            doc.update(waiver={"waiver": event.waiver, "reason": event.reason, "decided_by": event.decided_by,
                               "recorded_at": event.meta["occurred_at"]})
        elif isinstance(event, Expert.Published):
            doc.update(status=PUBLISHED, published_on=event.published_on.isoformat(), waived=list(event.waived),
                       published_by=event.meta["actor"]["actor_id"], published_at=_utc(event.meta["occurred_at"]),
                       published_position=notification_id)
        elif isinstance(event, Expert.Withdrawn):
            doc.update(status="withdrawn", withdrawal_reason=event.reason,
                       withdrawn_at=event.meta["occurred_at"], withdrawn_by=event.meta["actor"]["actor_id"])
        doc["version"] = event.originator_version
        docs.put(EXPERTS, key, doc)
        if in_pool_before or doc["status"] == PUBLISHED:
            self._index(doc, docs)   # entering or leaving the pool

    @staticmethod
    def _index(doc: dict, docs) -> None:
        entry = {k: doc[k] for k in POOL_FIELDS}
        entry.update({k: doc.get(k) for k in POOL_ORDER})
        entry.update(institution=tag(doc["institution_name"]))
        for field in (ANY, *{tag(f) for f in doc["fields"]}):
            for keyword in (ANY, *{tag(k) for k in doc["expertise"]}):
                docs.put(EXPERT_POOL, f"{doc['expert_id']}|{field}|{keyword}",
                         {**entry, "field": field, "keyword": keyword})


# "Earliest publication first": by the day, then the business time of the publication, then the order it
# was recorded in (the store position: stable, and unique); the expert id never decides.
POOL_ORDER = ("published_on", "published_at", "published_position")
POOL_FIELDS = ("expert_id", "name", "institution_name", "institution_kind", "degree", "title", "work_years",
               "fields", "expertise", "status", "published_on", "version")


def sealed_name(app, expert_id: str, name: str):
    """The expert's name as the read model keeps it: sealed under the expert's data key, so an
    erasure reaches the read model too (and a rebuild after it finds `erased` to seal)."""
    vault = getattr(app, "vault", None)
    if vault is None or name == ERASED:
        return name
    return vault.seal_for_view(expert_id, name, EXPERTS, expert_id, "name")


def opened(app, doc: dict) -> dict:
    """A read-model document with the expert's name opened (or `erased`)."""
    vault = getattr(app, "vault", None)
    if vault is None or "name" not in doc:
        return doc
    return {**doc, "name": vault.open_from_view(doc["name"], EXPERTS, doc["expert_id"], "name")}


def _utc(occurred_at: str) -> str:
    """A recorded time as UTC text, so that text order is time order whatever offset it was written with."""
    return datetime.fromisoformat(occurred_at).astimezone(timezone.utc).isoformat()


def pool_page(views, *, field=None, keyword=None, institution=None, institution_kind=None, limit=50, offset=0,
              app=None):
    """The published pool, filtered and paged, earliest publication first."""
    where = {"status": PUBLISHED, "field": tag(field) or ANY, "keyword": tag(keyword) or ANY}
    if institution is not None:
        where["institution"] = tag(institution)
    if institution_kind is not None:
        where["institution_kind"] = institution_kind
    page = views.page(EXPERT_POOL, where, order_by=POOL_ORDER, limit=limit, offset=offset)
    for item in page["items"]:
        for index_only in ("field", "keyword", "institution", "published_at", "published_position"):
            item.pop(index_only, None)
    page["items"] = [opened(app, item) for item in page["items"]]
    return page


class RegistrationApplication(Erasing, ServiceApplication):
    name = "registration"
    ACCESS = access.TABLE

    def projections(self):
        return (UnitsView(), ExpertsView(self))

    def inbound_handlers(self):
        return {}

    # -- commands: units ------------------------------------------------------------------------
    @handles(commands.RegisterUnit)
    def register_unit(self, command, uow) -> dict:
        unit_id = unit_id_for(command.credit_code)
        access.check("register_unit", uow.actor, access.unit_facts(unit_id, registering=True))
        if uow.find(unit_id) is not None:
            raise conflict("a unit with this credit code is already registered", rule="registration.unique")
        unit = Unit.register(unit_id, command.to_dict(), policy.current("A"), self.clock.today())
        uow.add(unit)
        return {"unit_id": str(unit.id), "version": unit.version}

    @handles(commands.AuditUnit)
    def audit_unit(self, command, uow) -> dict:
        unit = self._unit(uow, command.unit_id, command.expected_version)
        access.check("audit_unit", uow.actor)
        AUDIT_OUTCOMES[command.outcome](unit, command.reason)
        return _unit_result(unit)

    @handles(commands.UpdateUnitDetails)
    def update_details(self, command, uow) -> dict:
        access.check("update_details", uow.actor, access.unit_facts(command.unit_id))
        unit = self._unit(uow, command.unit_id, command.expected_version)
        unit.update_details(command.to_dict("unit_id"), policy.current("A"), self.clock.today())
        return _unit_result(unit)

    @staticmethod
    def _unit(uow, unit_id, expected_version) -> Unit:
        unit = uow.get(Unit, unit_id, "unit")
        check_version(unit, expected_version)
        return unit

    # -- commands: programme B's expert pool ----------------------------------------------------
    @handles(commands.RecommendExpert)
    def recommend_expert(self, command, uow) -> dict:
        """A unit contact files the form for their own institution only; an officer for any."""
        recommending_unit_id = uow.actor.unit_id if uow.actor.role == "unit_contact" else None
        # a unit contact recommends for the unit their token names (B.expert.recommender checks it below)
        access.check("recommend_expert", uow.actor, access.unit_facts(recommending_unit_id))
        form = command.to_dict()
        expert_id = UUID(self.vault.person_for_id_number(form["id_number"]))   # the keyed index, not the number
        if uow.find(expert_id) is not None:
            raise conflict("this person (ID number) has already been recommended to the pool",
                           rule="B.expert.unique")
        if recommending_unit_id is not None:
            unit_id = _uuid_or_none(recommending_unit_id)
            _require_recommending_unit(uow.find(unit_id) if unit_id else None, form["institution_name"])
        expert = Expert.recommend(expert_id, form, policy.current("B"), recommending_unit_id)
        uow.add(expert)
        return _expert_result(expert)

    @handles(commands.RecordExpertWaiver)
    def record_expert_waiver(self, command, uow) -> dict:
        expert = self._expert(uow, command.expert_id, command.expected_version)
        access.check("record_expert_waiver", uow.actor)
        expert.record_waiver(command.waiver, command.reason, uow.actor.actor_id, policy.edition(expert.policy_edition))
        return _expert_result(expert)

    @handles(commands.PublishExpert)
    def publish_expert(self, command, uow) -> dict:
        expert = self._expert(uow, command.expert_id, command.expected_version)
        access.check("publish_expert", uow.actor)
        expert.publish(policy.edition(expert.policy_edition), self.clock.today())
        return {**_expert_result(expert), "published_on": expert.published_on.isoformat()}

    @handles(commands.WithdrawExpert)
    def withdraw_expert(self, command, uow) -> dict:
        expert = self._expert(uow, command.expert_id, command.expected_version)
        access.check("withdraw_expert", uow.actor)
        expert.withdraw(command.reason)
        return _expert_result(expert)

    @staticmethod
    def _expert(uow, expert_id, expected_version) -> Expert:
        expert = uow.get(Expert, expert_id, "expert")
        check_version(expert, expected_version)
        return expert

    # -- queries ----------------------------------------------------------------------------------
    def expert(self, expert_id) -> Expert:
        expert = self.get_or_none(UUID(str(expert_id)))
        if not isinstance(expert, Expert):
            raise not_found("expert", expert_id)
        return expert


def _unit_result(unit: Unit) -> dict:
    return {"unit_id": str(unit.id), "status": unit.status, "version": unit.version}


def _expert_result(expert: Expert) -> dict:
    return {"expert_id": str(expert.id), "status": expert.status, "version": expert.version}


def _uuid_or_none(text: str) -> UUID | None:
    try:
        return UUID(text)
    except ValueError:
        return None


def _require_recommending_unit(unit, institution_name: str) -> None:
    """A unit contact recommends for their own institution only: a university or research institute
    whose registration was approved, under its registered name."""
    if not isinstance(unit, Unit) or unit.status != "approved" or unit.unit_type not in RECOMMENDING_UNIT_TYPES:
        standing = "not registered" if not isinstance(unit, Unit) else f"a {unit.unit_type}, {unit.status}"
        raise rule_violation("B.expert.recommender", "a unit contact may recommend only for a university or "
                             f"research institute whose registration was approved (the unit is {standing}); "
                             "an officer records other institutions' forms")
    if " ".join(institution_name.split()) != " ".join(unit.name.split()):
        raise rule_violation("B.expert.recommender", f"a unit contact recommends for their own institution "
                             f"({unit.name}) only", fields={"institution_name": [f"must be {unit.name}"]})


AUDIT_OUTCOMES = {"approve": Unit.approve, "reject": Unit.reject, "return": Unit.return_for_correction}

