"""One 科技副总 placement told through the running services: a university recommends a professor and
the district publishes him in the pool; a Changping technology company finds him there, proposes
cooperation and he confirms; the company files the project, the experts review it, the commission
approves it and it is filed (备案); the three-party agreement and the appointment letters start the
2-year term, which a breakthrough extends by six months. The demo narrates it; the end-to-end test
(tests/integration/test_programme_b_end_to_end.py) checks it.
"""
from __future__ import annotations

from services import samples
from services.portal import Portal
from shared.calendar import add_months

PROJECT_FUNDS_FEN = 70_000_000     # 700,000 yuan of science funds: 50% is 350,000, capped at 300,000
EXTENSION_MONTHS = 6


class PlacementStory(Portal):
    """Programme B: one placement, from the pool to an extended term."""
    id_number: str = "110108197805120031"

    def tell(self) -> dict:
        self.publish_the_expert()
        self.match_company_and_expert()
        self.review_and_file_the_project()
        self.agree_appoint_and_extend()
        return self.facts

    def publish_the_expert(self) -> None:
        self.say(f"1. A university recommends {samples.EXPERT_NAME}; the district publishes him in the pool; "
                 f"{samples.COMPANY_NAME} registers as a Changping technology company")
        expert_id = self.write("officer-1", "officer", "registration", "recommend_expert",
                               **samples.expert_recommendation(self.id_number))["expert_id"]
        self.write("officer-1", "officer", "registration", "publish_expert", expert_id=expert_id)
        unit_id = self.write("contact-9", "unit_contact", "registration", "register_unit",
                             **samples.company_registration(self.credit_code))["unit_id"]
        self.write("officer-1", "officer", "registration", "audit_unit", unit_id=unit_id, outcome="approve",
                   reason="材料齐全")
        pool = self.until(lambda: self.call("contact-9", "unit_contact", "registration", "experts", unit_id,
                                            field="advanced_manufacturing")["items"], "the pool lists the expert")
        self.facts.update(expert_id=expert_id, unit_id=unit_id, pool_size=len(pool))

    def match_company_and_expert(self) -> None:
        expert_id, unit_id = self.facts["expert_id"], self.facts["unit_id"]
        self.say("2. The company proposes cooperation with its need; the expert confirms (双向选择); the company "
                 "files the project with its funds")
        cooperation_id = self.write("contact-9", "unit_contact", "application", "propose_cooperation", unit_id,
                                    unit_id=unit_id, expert_id=expert_id, field="智能制造",
                                    need="产线视觉缺陷检测")["cooperation_id"]
        self.write(expert_id, "expert", "application", "confirm_cooperation", cooperation_id=cooperation_id)
        case_id = self.write("contact-9", "unit_contact", "application", "file_project", unit_id,
                             cooperation_id=cooperation_id, title="视觉缺陷检测产业化", kind="science_engineering",
                             project_funds_fen=PROJECT_FUNDS_FEN)["case_id"]
        self.facts.update(cooperation_id=cooperation_id, case_id=case_id)

    def review_and_file_the_project(self) -> None:
        case_id = self.facts["case_id"]
        self.say("3. Experts review the project (whoever scored may not decide); the commission approves it; "
                 "it is filed (备案) with the talent-work office")
        self.write("reviewer-1", "reviewer", "review", "score_project", case_id=case_id, score=88, opinion="可行")
        self.refused("separation_of_duties.review_decide", "reviewer-1", "decision_maker", "review",
                     "decide_project", case_id=case_id, approve=True, reason="x")
        self.write("decider-1", "decision_maker", "review", "decide_project", case_id=case_id, approve=True,
                   reason="评审通过")
        self.write("officer-1", "officer", "review", "file_with_office", case_id=case_id, reference="昌人才备-2025-017")

    def agree_appoint_and_extend(self) -> None:
        case_id = self.facts["case_id"]
        self.say("4. The three-party agreement settles IP ownership; the appointment letters start the 2-year "
                 f"term; a breakthrough extends it by {EXTENSION_MONTHS} months")
        self.write("officer-1", "officer", "application", "record_agreement", case_id=case_id,
                   signed_on=self.business_today().isoformat(), management_mode="每周在企业工作不少于2天",
                   ip_ownership="合作成果归企业所有")
        starts_on = self.business_today()
        appointed = self.write("officer-1", "officer", "application", "appoint", case_id=case_id,
                               post_title="科技副总", starts_on=starts_on.isoformat())
        self.refused("B.project.one_vice_president", "officer-2", "officer", "application", "appoint",
                     case_id=case_id, post_title="技术中心副主任", starts_on=starts_on.isoformat())
        ends_on = add_months(starts_on, 24 + EXTENSION_MONTHS)
        self.write("decider-1", "decision_maker", "application", "extend_term", case_id=case_id,
                   ends_on=ends_on.isoformat(), reason="重大技术突破：检测良率提升至99.5%")
        self.facts.update(starts_on=starts_on, ends_on=ends_on, appointed_version=appointed["version"])

    def wait_for_the_end_of_the_term(self, timeout: float) -> dict:
        case_id = self.facts["case_id"]
        return self.until(lambda: (doc := self.call("auditor-1", "auditor", "application", "placement",
                                                    case_id=case_id))["status"] == "expired" and doc,
                          "the term expires", timeout)
