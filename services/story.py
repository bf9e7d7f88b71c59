"""One 昌聚工程 case told through the running services, as its users drive it: the unit corrects a
returned registration and a returned application, the paper copies are redelivered, a reviewer
declares a conflict, the working group decides, the talent rents a flat and the funding office
reports a failed payment and its retry. The demo (services/demo.py) narrates it; the end-to-end
test (tests/integration/test_programme_a_end_to_end.py) checks it.
"""
from __future__ import annotations

from datetime import timedelta

from services import samples
from services.portal import Portal

AWARD_FEN = 180_000_000            # 1,800,000 yuan, under the 2,000,000 cap
RENT_PAID_FEN = 1_600_000          # 16,000 yuan a month actually paid, subsidised at most 15,000


class Story(Portal):
    """Programme A: one 昌聚工程 case."""

    # -- the story --------------------------------------------------------------------------------
    def tell(self) -> dict:
        self.register_and_approve_unit()
        self.apply_and_pass_the_audit()
        self.deliver_review_and_decide()
        self.pay_the_award_and_the_rent()
        return self.facts

    def register_and_approve_unit(self) -> None:
        self.say(f"1. {samples.UNIT_NAME} registers; the officer returns it for a clearer licence, then approves")
        registration = samples.unit_registration(self.credit_code)
        unit_id = self.write("contact-1", "unit_contact", "registration", "register_unit", **registration)["unit_id"]
        self.write("officer-1", "officer", "registration", "audit_unit", unit_id=unit_id, outcome="return",
                   reason="营业执照副本不清晰")
        corrected = {k: v for k, v in registration.items() if k != "credit_code"}
        corrected["materials"] = [samples.document(code, "clear scan") for code in samples.UNIT_MATERIALS]
        self.write("contact-1", "unit_contact", "registration", "update_details", unit_id, unit_id=unit_id,
                   **corrected)
        self.write("officer-1", "officer", "registration", "audit_unit", unit_id=unit_id, outcome="approve",
                   reason="材料齐全")
        self.facts["unit_id"] = unit_id

    def apply_and_pass_the_audit(self) -> None:
        unit_id, contact = self.facts["unit_id"], ("contact-1", "unit_contact")
        self.say(f"2. The unit files {samples.TALENT_NAME}'s application and submits it; the officer returns the "
                 "expired contract, the unit replaces it and resubmits; the audit passes")
        case_id = self.write(*contact, "application", "file_case", unit_id, unit_id=unit_id, programme="A",
                             title="杰出人才申报", talent=samples.talent(), claims=samples.claims(),
                             documents=samples.case_documents())["case_id"]
        self.facts["case_id"] = case_id
        self.write(*contact, "application", "submit", unit_id, case_id=case_id)
        deadline = (self.business_today() + timedelta(days=10)).isoformat()
        self.write("officer-1", "officer", "review", "return_for_correction", case_id=case_id, reason="合同需更新",
                   items=[{"item": "work_contract", "reason": "合同已过期"}], correction_deadline=deadline)
        self.facts["returned"] = self.until(
            lambda: self._returned_checklist(unit_id, case_id), "the application learns of the return")
        self.write(*contact, "application", "attach_documents", unit_id, case_id=case_id, replace=True,
                   documents=[samples.document("work_contract", "renewed contract")])
        self.write(*contact, "application", "submit", unit_id, case_id=case_id)
        self.write("officer-1", "officer", "review", "approve_audit", case_id=case_id, reason="审核通过")

    def _returned_checklist(self, unit_id: str, case_id: str) -> dict | None:
        checklist = self.call("contact-1", "unit_contact", "application", "checklist", unit_id, case_id=case_id)
        return checklist if checklist["status"] == "returned" else None

    def deliver_review_and_decide(self) -> None:
        case_id = self.facts["case_id"]
        self.say("3. Paper copies arrive with a blue cover and are redelivered green; a reviewer declares a "
                 "conflict, another scores; the auditor may not decide, the working group does")
        first = self.write("officer-2", "officer", "application", "record_paper_delivery", case_id=case_id,
                           delivery=samples.paper_delivery(cover_colour="blue"))
        self.facts["first_delivery"] = first["status"]
        self.write("officer-2", "officer", "application", "record_paper_delivery", case_id=case_id,
                   delivery=samples.paper_delivery())
        self.write("reviewer-2", "reviewer", "review", "declare_conflict", case_id=case_id, reason="同一课题组")
        self.refused("review.conflict_of_interest", "reviewer-2", "reviewer", "review", "score", case_id=case_id,
                     score=99, opinion="x")
        self.write("reviewer-1", "reviewer", "review", "score", case_id=case_id, score=91, opinion="成果突出")
        self.refused("separation_of_duties.audit_decide", "officer-1", "decision_maker", "review", "decide_award",
                     case_id=case_id, award_fen=AWARD_FEN, reason="x")
        self.write("decider-1", "decision_maker", "review", "decide_award", case_id=case_id, award_fen=AWARD_FEN,
                   reason="工作组决定")

    def pay_the_award_and_the_rent(self) -> None:
        case_id, unit_id, office = self.facts["case_id"], self.facts["unit_id"], ("fo-1", "funding_officer")
        self.say("4. The funding office pays the award (the decider may not release it); the talent rents a flat; "
                 "the first rent payment fails and is retried; service money is refused after award money")
        award_key = f"{case_id}:award:once"
        self.until(lambda: self._disbursement(case_id, award_key), "funding schedules the award")
        self.refused("separation_of_duties.decide_release", "decider-1", "funding_officer", "funding",
                     "report_payment", idempotency_key=award_key, attempt=1, outcome="paid", office_reference="x")
        self.write(*office, "funding", "report_payment", idempotency_key=award_key, attempt=1, outcome="paid",
                   office_reference="BANK-0001")
        self.refused("funding.payment.paid_once", *office, "funding", "report_payment", idempotency_key=award_key,
                     attempt=1, outcome="paid", office_reference="BANK-0002")
        self.write("contact-1", "unit_contact", "funding", "choose_housing", unit_id, case_id=case_id,
                   choice="rent_subsidy", monthly_rent_fen=RENT_PAID_FEN, starts_on=self.business_today().isoformat())
        first_rent = self.until(lambda: self._disbursement(case_id, None, "rent_subsidy"), "the first rent is due")
        key = first_rent["idempotency_key"]
        self.write(*office, "funding", "report_payment", idempotency_key=key, attempt=1, outcome="failed",
                   office_reference="BANK-0003", reason="账户冻结")
        self.write(*office, "funding", "retry_disbursement", idempotency_key=key, reason="账户已解冻")
        self.write(*office, "funding", "report_payment", idempotency_key=key, attempt=2, outcome="paid",
                   office_reference="BANK-0004")
        self.refused("A.service_money.excluded_after_award", "contact-1", "unit_contact", "funding",
                     "claim_service_money", unit_id, case_id=case_id, spent_on=self.business_today().isoformat(),
                     amount_fen=100_000, purpose="training", document_ref="s3://changping-materials/receipt.pdf")
        self.facts.update(award_key=award_key, first_rent=first_rent)

    def _disbursement(self, case_id: str, key: str | None, obligation: str | None = None) -> dict | None:
        items = self.call("fo-1", "funding_officer", "funding", "disbursements", case_id=case_id)["items"]
        return next((d for d in items if d["idempotency_key"] == key or d["obligation_id"] == obligation), None)

    def wait_for_the_end_of_the_term(self, timeout: float) -> dict:
        case_id = self.facts["case_id"]

        def term_over():
            deadlines = self.call("auditor-1", "auditor", "funding", "entitlements", case_id=case_id)["deadlines"]
            return deadlines if deadlines and all(d["status"] == "reached" for d in deadlines.values()) else None
        return self.until(term_over, "every deadline of the term is reached", timeout)
