"""application: the nameko service. Entrypoints only translate calls into commands and queries."""
from shared.contracts import application as contracts
from shared.errors import not_found
from shared.platform import base  # not `import PlatformService`: `nameko run` would take it for a service
from shared.platform.access_log import reads_field, reads_items
from shared.platform.endpoints import command, query
from shared.platform.store import EventStore

from services.application import commands
from services.application import placement_endpoints   # the module: `nameko run` looks for services in ours
from services.application.access import TABLE, case_facts, unit_facts
from services.application.app import CASES, ApplicationApplication
from shared.contracts import platform as privacy_contracts
from shared.privacy.erasure import ErasePerson


class ApplicationService(placement_endpoints.PlacementEndpoints, base.PlatformService, base.InboxService):
    name = "application"
    store = EventStore(ApplicationApplication)

    @command(privacy_contracts.ErasePerson, roles=TABLE.roles("erase_person"))
    def erase_person(self, call):
        """Erases a talent's personal data by destroying their data keys (PIPL art. 47; docs/privacy.md):
        name them by `person_id` or by the `case_id` they were declared on, with the `legal_reason`, which is
        recorded with the erasure. Every event, amount, rule and date stays and every stream replays; the
        talent's fields read `erased` from then on in queries, history and rebuilt read models, here and in
        review and funding (the integration event `application.person.Erased` carries the person id only).
        Refuses: `not_found` (no person is known by that ID number, or the case holds no personal data)."""
        return call.handle(ErasePerson)

    @command(contracts.FileCase, roles=TABLE.roles("file_case"))
    def file_case(self, call):
        """A unit contact opens a draft case for their approved unit; the talent's form and documents may
        come at once. Refuses: `A.unit.approved`, `A.call.window` (outside the call's filing window,
        inclusive, Beijing time), `roles.own_unit`, `policy.edition.not_in_force` (no edition of the
        programme is in force today)."""
        return call.handle(commands.FileCase)

    @command(contracts.DeclareTalent, roles=TABLE.roles("declare_talent"))
    def declare_talent(self, call):
        """Declares (or corrects) the talent's details, the category and the criterion claims.
        Refuses: `A.case.editable` (not a draft nor returned)."""
        return call.handle(commands.DeclareTalent)

    @command(contracts.AttachDocuments, roles=TABLE.roles("attach_documents"))
    def attach_documents(self, call):
        """Attaches document references (SHA-256, size, media type, storage URI; never bytes);
        `replace` swaps what is attached under those codes. Refuses: `A.case.editable`."""
        return call.handle(commands.AttachDocuments)

    @command(contracts.Submit, roles=TABLE.roles("submit"))
    def submit(self, call):
        """Submits for audit: every eligibility rule and the mandatory materials are checked, and the
        assessment (edition, reference dates, each rule) is recorded. Refuses: `A.call.window` (first
        submission), `A.correction.deadline` (resubmission), `A.talent.declared`, `A.materials.mandatory`,
        and each failed eligibility rule (`A.talent.age`, `A.talent.contract`, `A.talent.months_worked`,
        `A.talent.field`, `A.talent.commitment`, `A.criterion.at_least_one`, `A.criterion.1.rank`,
        `A.criterion.recent_years`, `A.reapplicant.higher_category`, …), all failures listed in `fields`."""
        return call.handle(commands.Submit)

    @command(contracts.AgeWaiver, roles=TABLE.roles("record_age_waiver"))
    def record_age_waiver(self, call):
        """An officer records the decision relaxing the age limit for urgently needed talent (二(一)2(2)).
        Refuses: `A.talent.age_waiver` (after the audit)."""
        return call.handle(commands.AgeWaiver)

    @command(contracts.RecordPaperDelivery, roles=TABLE.roles("record_paper_delivery"))
    def record_paper_delivery(self, call):
        """An officer records the bound copies received (四(三)); a non-compliant delivery is recorded with
        what is wrong and may be recorded again once corrected. Refuses: `A.paper.after_audit`."""
        return call.handle(commands.RecordPaperDelivery)

    @query(contracts.CaseQuery, roles=TABLE.roles("status"), reads=reads_field("case_id"))
    def status(self, call):
        """The case's status document from the projection."""
        return self._case_doc(call, "status")

    @query(contracts.CaseQuery, roles=TABLE.roles("checklist"), reads=reads_field("case_id"))
    def checklist(self, call):
        """The materials checklist: each item, mandatory or not for the unit type, present or missing,
        and the reason an item was returned."""
        self._case_doc(call, "checklist")  # existence and access
        return self.store.app.checklist(call.data["case_id"])

    @query(contracts.History, roles=TABLE.roles("history"), reads=reads_field("case_id"))
    def history(self, call):
        """The case stream (a programme A case or a programme B placement) as an auditor reads it: every
        entry in stream order with who acted (the person and role in the service where it happened;
        `system:<service>` only where the system acted, with `acted_under` naming the rule), the
        reason, rule, clause, policy edition, amount, the office's reference, its dates, and the source
        event (service, event id, position) it reflects. Two business-time axes: `effective_at` (when
        the fact took effect) and `recorded_on` (when the record learnt it). `as_of` keeps the entries
        effective by that moment, `known_at` those recorded by it (both inclusive): "what had happened
        by X as far as the record knew on Y" (docs/history.md)."""
        if self.store.views.get(CASES, str(call.data["case_id"])) is not None:
            self._case_doc(call, "history")  # existence and access
        else:
            self._placement_doc(call, "history")
        return {"case_id": str(call.data["case_id"]),
                "entries": self.store.app.history(call.data["case_id"], call.data["as_of"],
                                                      call.data["known_at"])}

    @query(contracts.CasesByStatus, roles=TABLE.roles("cases_by_status"), reads=reads_items("case_id"))
    def cases_by_status(self, call):
        """Officers list cases in a status, paged, oldest filing first."""
        d = call.data
        return self.store.views.page(CASES, {"status": d["status"]}, order_by="filed_at", limit=d["limit"],
                                     offset=d["offset"])

    @query(contracts.UnitCases, roles=TABLE.roles("unit_cases"), reads=reads_items("case_id"))
    def unit_cases(self, call):
        """A unit's cases with their status (a unit contact: their own unit only), paged."""
        d = call.data
        TABLE.check("unit_cases", call.identity, unit_facts(d["unit_id"]))
        return self.store.views.page(CASES, {"unit_id": str(d["unit_id"])}, order_by="filed_at",
                                     limit=d["limit"], offset=d["offset"])

    def _case_doc(self, call, endpoint: str) -> dict:
        """The case's status document, if the caller may call `endpoint` on it (services/application/access.py)."""
        doc = self.store.views.get(CASES, str(call.data["case_id"]))
        if doc is None:
            raise not_found("case", call.data["case_id"])
        TABLE.check(endpoint, call.identity, case_facts(doc))
        return doc
