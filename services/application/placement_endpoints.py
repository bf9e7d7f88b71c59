"""The application service's programme B entrypoints (科技副总 matchmaking and placements), mixed
into ApplicationService. Thin: each translates a call into a command or a query."""
from shared.contracts import application as contracts
from shared.errors import not_found
from shared.platform.access_log import reads_field, reads_items, reads_record
from shared.platform.endpoints import command, query
from shared.platform.timers import timer_from_config
from shared.logs import get_logger

from services.application import commands
from services.application.access import TABLE, cooperation_facts, placement_facts
from services.application.placements import PLACEMENTS
log = get_logger("application.term_timer")


class PlacementEndpoints:
    @command(contracts.ProposeCooperation, roles=TABLE.roles("propose_cooperation"))
    def propose_cooperation(self, call):
        """A company proposes cooperation to a published pool expert with its need; the company's side is
        confirmed by proposing. Refuses: `roles.own_unit`, `B.company.approved`, `B.company.technology`
        (a Changping technology company), `B.expert.published`."""
        return call.handle(commands.ProposeCooperation)

    @command(contracts.ConfirmCooperation, roles=TABLE.roles("confirm_cooperation"))
    def confirm_cooperation(self, call):
        """The company's contact or the expert confirms the cooperation intent (双向选择); it is agreed when
        both have. Refuses: `roles.own_unit` (the company's contact), `roles.own_placement` (the expert)."""
        return call.handle(commands.ConfirmCooperation)

    @command(contracts.FileProject, roles=TABLE.roles("file_project"))
    def file_project(self, call):
        """The company files the cooperation project with its expert (立项申报): the placement case begins.
        Refuses: `roles.own_unit`, `B.cooperation.agreed`, `B.cooperation.one_project`, `B.project.kind`,
        `B.expert.one_project_per_term` (one subsidised project per expert per service term, also when
        filings race), `policy.edition.not_in_force` (no scheme edition is in force today)."""
        return call.handle(commands.FileProject)

    @command(contracts.RecordAgreement, roles=TABLE.roles("record_agreement"))
    def record_agreement(self, call):
        """The three-party agreement (company, recommending institution, expert), with the management mode
        and IP ownership if the parties settled them. Refuses: `B.agreement.after_filing`."""
        return call.handle(commands.RecordAgreement)

    @command(contracts.Appoint, roles=TABLE.roles("appoint"))
    def appoint(self, call):
        """The appointment letters: the 2-year term starts. Refuses: `B.project.one_vice_president` (a project
        is appointed once, to its one expert, also when requests race), `B.appointment.after_agreement`,
        `B.appointment.after_signing` (the term starts on or after the agreement's `signed_on`; the letters
        follow the signed agreement, seed 三(三)), `B.appointment.late_recording` (a `starts_on` before today
        is a late recording and needs `late_recording_reason`, recorded on the Appointed event),
        `policy.edition.not_in_force` (the placement's scheme edition is no longer in force today)."""
        return call.handle(commands.Appoint)

    @command(contracts.ExtendTerm, roles=TABLE.roles("extend_term"))
    def extend_term(self, call):
        """After a major breakthrough, a recorded decision with a new end date; it stays the same term.
        Refuses: `B.term.extend_in_term`, `B.term.extend_later`."""
        return call.handle(commands.ExtendTerm)

    @command(contracts.TerminateEarly, roles=TABLE.roles("terminate_early"))
    def terminate_early(self, call):
        """The placement ends before its term, from the day after `ended_on`. Refuses: `B.term.terminate_in_term`,
        `B.term.terminate_not_in_future` (`ended_on` after today: record an end once it has happened, as
        programme A's `funding.early_end.not_in_future`)."""
        return call.handle(commands.TerminateEarly)

    @command(contracts.RecordEvaluation, roles=TABLE.roles("record_evaluation"))
    def record_evaluation(self, call):
        """The experts' evaluation when the term is over: the expert's evaluation opinion (任职评价意见).
        Refuses: `B.evaluation.after_term`."""
        return call.handle(commands.RecordEvaluation)

    @query(contracts.CaseQuery, roles=TABLE.roles("placement"), reads=reads_field("case_id"))
    def placement(self, call):
        """A placement's status document: parties, project, term."""
        return self._placement_doc(call, "placement")

    @query(contracts.PlacementsByStatus, roles=TABLE.roles("placements_by_status"), reads=reads_items("case_id"))
    def placements_by_status(self, call):
        """Officers list placements in a status, paged, oldest filing first."""
        d = call.data
        return self.store.views.page(PLACEMENTS, {"status": d["status"]}, order_by="filed_at", limit=d["limit"],
                                     offset=d["offset"])

    @query(contracts.CooperationQuery, roles=TABLE.roles("cooperation"), reads=reads_record("cooperation_id"))
    def cooperation(self, call):
        """A cooperation intent: the company, the expert, the need and who confirmed."""
        cooperation = self.store.app.cooperation(call.data["cooperation_id"])
        TABLE.check("cooperation", call.identity, cooperation_facts(cooperation))
        return {"cooperation_id": str(cooperation.id), "unit_id": str(cooperation.unit_id),
                "expert_id": str(cooperation.expert_id), "field": cooperation.field, "need": cooperation.need,
                "confirmed_by": cooperation.confirmed_by, "agreed": cooperation.agreed,
                "case_id": str(cooperation.placement_id) if cooperation.placement_id else None}

    @timer_from_config("APPLICATION", default=60)
    def expire_terms(self):
        """Records the end of every placement term that is due by business time, once; only the instance
        that runs the store's followers does it (its read models are current)."""
        if not self.store.lease.is_leader():
            return
        try:
            expired = self.store.app.expire_due_terms(self.store.views)
        except Exception:
            log.exception("term timer failed; the next tick retries")
            return
        if expired:
            log.info("terms expired", cases=len(expired))

    def _placement_doc(self, call, endpoint: str) -> dict:
        """The placement's document, if the caller may call `endpoint` on it (services/application/access.py)."""
        doc = self.store.views.get(PLACEMENTS, str(call.data["case_id"]))
        if doc is None:
            raise not_found("placement", call.data["case_id"])
        TABLE.check(endpoint, call.identity, placement_facts(doc))
        return doc
