"""registration: the nameko service. Entrypoints only translate calls into commands and queries."""
from shared.contracts import registration as contracts
from shared.errors import not_found
from shared.platform import base  # not `import PlatformService`: `nameko run` would take it for a service
from shared.platform.access_log import reads_field, reads_items
from shared.platform.endpoints import command, query
from shared.platform.store import EventStore

from services.registration import commands
from services.registration.access import OFFICE_ONLY, TABLE, expert_facts, unit_facts
from services.registration.app import EXPERTS, UNITS, RegistrationApplication, opened, pool_page
from shared.contracts import platform as privacy_contracts
from shared.privacy.erasure import ErasePerson


class RegistrationService(base.PlatformService):
    name = "registration"
    store = EventStore(RegistrationApplication)

    @command(contracts.RegisterUnit, roles=TABLE.roles("register_unit"))
    def register_unit(self, call):
        """A unit registers with its details and registration materials (二(二)1), awaiting audit. An enterprise
        may declare itself a Changping technology company (`technology_company`, programme B's companies).
        Refuses: `A.unit.registration_window` (outside the current call's registration window, 四(一)1: for the
        2024 call 2024-09-14 to 2024-10-20 inclusive, Beijing time; a declared technology company, programme B,
        is not bound by it), `A.unit.materials` (a mandatory material missing: the tax certificate except for
        universities and research institutes), `A.unit.changping`, `B.company.enterprise` (a technology company
        that is not an enterprise), `registration.unique` (conflict: the credit code is registered)."""
        return call.handle(commands.RegisterUnit)

    @command(contracts.AuditUnit, roles=TABLE.roles("audit_unit"))
    def audit_unit(self, call):
        """An officer approves, rejects or returns the registration for correction, with the reason.
        Refuses: `registration.audit.once` (the registration is not awaiting audit)."""
        return call.handle(commands.AuditUnit)

    @command(contracts.UpdateUnitDetails, roles=TABLE.roles("update_details"))
    def update_details(self, call):
        """A registered unit updates its details for a new call, or after a return; a new audit follows
        and the unit cannot file until it is approved again. Refuses: `registration.update.audited`
        (still awaiting audit), `A.unit.registration_window` (as `register_unit`: updates too fall inside the
        call's registration window, except a technology company's), `A.unit.materials`, `A.unit.changping`,
        `B.company.enterprise`. The audit, and filing once approved, are not bound by the window."""
        return call.handle(commands.UpdateUnitDetails)

    @query(contracts.GetUnit, roles=TABLE.roles("get_unit"), reads=reads_field("unit_id"))
    def get_unit(self, call):
        """The unit's registration and audit status (a unit contact: their own unit only)."""
        TABLE.check("get_unit", call.identity, unit_facts(call.data["unit_id"]))
        unit = self.store.views.get(UNITS, str(call.data["unit_id"]))
        if unit is None:
            raise not_found("unit", call.data["unit_id"])
        return unit

    # -- programme B: the expert pool (科技副总 拟聘专家人才库) ------------------------------------------
    @command(contracts.RecommendExpert, roles=TABLE.roles("recommend_expert"))
    def recommend_expert(self, call):
        """A dispatching institution recommends a candidate (推荐情况表, 三(一)): an officer records the form
        for any institution; a unit contact files it for their own university or research institute, whose
        registration was approved, under its registered name. The candidate awaits publication. The name,
        ID number and contact stay in this service. Refuses: `B.expert.institution` (the institution kind is
        not in the edition, 二(一)), `B.expert.recommender` (a unit contact's unit is not an approved
        university or research institute, or the name is not theirs), `B.expert.unique` (conflict: this ID
        number was already recommended)."""
        return call.handle(commands.RecommendExpert)

    @command(contracts.RecordExpertWaiver, roles=TABLE.roles("record_expert_waiver"))
    def record_expert_waiver(self, call):
        """An officer relaxes the degree/title and work-years conditions for a candidate holding core IP or
        mature results that Changping companies urgently need (二(二) 可适当放宽), with the reason; the caller
        is recorded as `decided_by`. Before publication, once. Refuses: `B.expert.waiver` (not a ground of the
        edition), `B.expert.waiver.once`, `B.expert.waiver.before_publication` (already published),
        `B.expert.withdrawn`."""
        return call.handle(commands.RecordExpertWaiver)

    @command(contracts.PublishExpert, roles=TABLE.roles("publish_expert"))
    def publish_expert(self, call):
        """An officer publishes the candidate into the pool (对外公开发布), dated today (Beijing). The
        candidate needs a PhD or an associate-senior title or above, and at least 2 years of work, unless a
        waiver is recorded. Refuses: `B.expert.qualification`, `B.expert.work_years` (a condition unmet and no
        waiver; `fields` names each unmet one), `B.expert.publish.once` (already in the pool),
        `B.expert.withdrawn`."""
        return call.handle(commands.PublishExpert)

    @command(contracts.WithdrawExpert, roles=TABLE.roles("withdraw_expert"))
    def withdraw_expert(self, call):
        """An officer takes an expert out of the pool, or withdraws a candidate not yet published, with the
        reason. Final. Refuses: `B.expert.withdrawn` (already withdrawn)."""
        return call.handle(commands.WithdrawExpert)

    @query(contracts.Experts, roles=TABLE.roles("experts"), reads=reads_items("expert_id"))
    def experts(self, call):
        """The published pool, paged, earliest publication first (by publication date, then the time it
        was published, then the order the publications were recorded — never by expert id); filter by field of work, expertise
        keyword, institution (name) and institution kind (all optional, combined). Each item is a public
        profile: name, institution, degree, title, years of work, fields, expertise, publication date."""
        d = call.data
        return pool_page(self.store.views, app=self.store.app, field=d["field"], keyword=d["keyword"],
                         institution=d["institution"],
                         institution_kind=d["institution_kind"], limit=d["limit"], offset=d["offset"])

    @query(contracts.GetExpert, roles=TABLE.roles("get_expert"), reads=reads_field("expert_id"))
    def get_expert(self, call):
        """One expert. Officers and auditors see any candidate with its waiver and history, and the
        personal data (ID number, contact); a unit contact sees published experts and the candidates
        their unit recommended; an expert sees published experts and themselves."""
        identity, expert_id = call.identity, str(call.data["expert_id"])
        doc = self.store.views.get(EXPERTS, expert_id)
        if doc is None:
            raise not_found("expert", expert_id)
        doc = opened(self.store.app, doc)
        TABLE.check("get_expert", identity, expert_facts(doc))
        if TABLE.relationships("get_expert", identity.role) == ("any",):
            expert = self.store.app.expert(call.data["expert_id"])
            return {**doc, "id_number": expert.id_number, "contact": expert.contact}
        return {k: v for k, v in doc.items() if k not in OFFICE_ONLY}

    @query(contracts.ExpertRecommendations, roles=TABLE.roles("expert_recommendations"), reads=reads_items("expert_id"))
    def expert_recommendations(self, call):
        """Officers' work list: candidates in a status (default `recommended`: awaiting publication), paged,
        oldest recommendation first."""
        d = call.data
        page = self.store.views.page(EXPERTS, {"status": d["status"]}, order_by="recommended_at",
                                     limit=d["limit"], offset=d["offset"])
        return {**page, "items": [opened(self.store.app, item) for item in page["items"]]}

    @command(privacy_contracts.ErasePerson, roles=TABLE.roles("erase_person"))
    def erase_person(self, call):
        """Erases a person's personal data by destroying their data keys (PIPL art. 47; docs/privacy.md):
        name them by `person_id`, `id_number` (through the keyed index), with the `legal_reason`,
        which is recorded with the erasure. Every event, amount, rule and date stays; the person's fields
        read `erased` from then on here and in every service that follows this one (the integration
        event `registration.person.Erased` carries the person id only). Refuses: `not_found` (no person
        is known by that ID number)."""
        return call.handle(ErasePerson)


