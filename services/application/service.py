"""application: the nameko service. Entrypoints only translate calls into commands and queries."""
from shared.contracts import application as contracts
from shared.errors import forbidden, not_found
from shared.platform import base  # not `import PlatformService`: `nameko run` would take it for a service
from shared.platform.endpoints import command, query
from shared.platform.store import EventStore

from services.application import commands
from services.application import placement_endpoints   # the module: `nameko run` looks for services in ours
from services.application.app import CASES, ApplicationApplication, check_case_access

READERS = ("unit_contact", "officer", "reviewer", "decision_maker", "funding_officer", "auditor")


class ApplicationService(placement_endpoints.PlacementEndpoints, base.PlatformService, base.InboxService):
    name = "application"
    store = EventStore(ApplicationApplication)

    @command(contracts.FileCase, roles=("unit_contact",))
    def file_case(self, call):
        """A unit contact opens a draft case for their approved unit; the talent's form and documents may
        come at once. Refuses: `A.unit.approved`, `A.call.window` (outside the call's filing window,
        inclusive, Beijing time), `roles.own_unit`, `policy.edition.not_in_force` (no edition of the
        programme is in force today)."""
        return call.handle(commands.FileCase)

    @command(contracts.DeclareTalent, roles=("unit_contact",))
    def declare_talent(self, call):
        """Declares (or corrects) the talent's details, the category and the criterion claims.
        Refuses: `A.case.editable` (not a draft nor returned)."""
        return call.handle(commands.DeclareTalent)

    @command(contracts.AttachDocuments, roles=("unit_contact",))
    def attach_documents(self, call):
        """Attaches document references (SHA-256, size, media type, storage URI; never bytes);
        `replace` swaps what is attached under those codes. Refuses: `A.case.editable`."""
        return call.handle(commands.AttachDocuments)

    @command(contracts.Submit, roles=("unit_contact",))
    def submit(self, call):
        """Submits for audit: every eligibility rule and the mandatory materials are checked, and the
        assessment (edition, reference dates, each rule) is recorded. Refuses: `A.call.window` (first
        submission), `A.correction.deadline` (resubmission), `A.talent.declared`, `A.materials.mandatory`,
        and each failed eligibility rule (`A.talent.age`, `A.talent.contract`, `A.talent.months_worked`,
        `A.talent.field`, `A.talent.commitment`, `A.criterion.at_least_one`, `A.criterion.1.rank`,
        `A.criterion.recent_years`, `A.reapplicant.higher_category`, …), all failures listed in `fields`."""
        return call.handle(commands.Submit)

    @command(contracts.AgeWaiver, roles=("officer",))
    def record_age_waiver(self, call):
        """An officer records the decision relaxing the age limit for urgently needed talent (二(一)2(2)).
        Refuses: `A.talent.age_waiver` (after the audit)."""
        return call.handle(commands.AgeWaiver)

    @command(contracts.RecordPaperDelivery, roles=("officer",))
    def record_paper_delivery(self, call):
        """An officer records the bound copies received (四(三)); a non-compliant delivery is recorded with
        what is wrong and may be recorded again once corrected. Refuses: `A.paper.after_audit`."""
        return call.handle(commands.RecordPaperDelivery)

    @query(contracts.CaseQuery, roles=READERS)
    def status(self, call):
        """The case's status document from the projection."""
        return self._case_doc(call)

    @query(contracts.CaseQuery, roles=("unit_contact", "officer", "auditor"))
    def checklist(self, call):
        """The materials checklist: each item, mandatory or not for the unit type, present or missing,
        and the reason an item was returned."""
        self._case_doc(call)  # existence and access
        return self.store.app.checklist(call.data["case_id"])

    @query(contracts.History, roles=("unit_contact", "expert", "officer", "auditor"))
    def history(self, call):
        """The case stream (a programme A case or a programme B placement) as an auditor reads it: every
        entry, who, when (business and record time), why and what caused it; `as_of` gives the case as
        it stood at that moment."""
        if self.store.views.get(CASES, str(call.data["case_id"])) is not None:
            self._case_doc(call)  # existence and access
        else:
            self._placement_doc(call)
        return {"case_id": str(call.data["case_id"]),
                "entries": self.store.app.history(call.data["case_id"], call.data["as_of"])}

    @query(contracts.CasesByStatus, roles=("officer", "auditor", "decision_maker", "funding_officer"))
    def cases_by_status(self, call):
        """Officers list cases in a status, paged, oldest filing first."""
        d = call.data
        return self.store.views.page(CASES, {"status": d["status"]}, order_by="filed_at", limit=d["limit"],
                                     offset=d["offset"])

    @query(contracts.UnitCases, roles=("unit_contact", "officer", "auditor"))
    def unit_cases(self, call):
        """A unit's cases with their status (a unit contact: their own unit only), paged."""
        d = call.data
        if call.identity.role == "unit_contact" and call.identity.unit_id != str(d["unit_id"]):
            raise forbidden("a unit contact may see only their own unit's cases", rule="roles.own_unit")
        return self.store.views.page(CASES, {"unit_id": str(d["unit_id"])}, order_by="filed_at",
                                     limit=d["limit"], offset=d["offset"])

    def _case_doc(self, call) -> dict:
        doc = self.store.views.get(CASES, str(call.data["case_id"]))
        if doc is None:
            raise not_found("case", call.data["case_id"])
        check_case_access(call.identity, doc)
        return doc
