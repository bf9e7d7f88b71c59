"""A new policy edition moves new decisions only: running cases keep the figures their decision
recorded, and a decision outside an edition's validity is refused while what already runs under it
continues to its end. The editions are built in a tmp policy folder (never in shared/policy)."""
import uuid
from datetime import date, datetime
from pathlib import Path

import pytest

from shared import policy
from shared.clock import BEIJING
from shared.errors import Refused
from shared.policy.figures import changju_figures

from services.application import commands as filing
from services.funding import commands as paying
from services.funding.domain import CaseFunding
from services.funding.placement import PlacementFunding
from services.review import commands as reviewing
from services import samples
from tests.unit.test_case_flow import Cluster, approved_unit, audit
from tests.unit.unit_helpers import handled

RENT_PAID = 1_700_000          # 17,000 yuan a month actually paid: above both caps


class Editions:
    """A policy folder of editions released in the test, loaded beside the shipped ones."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir()

    def release(self, base: str, name: str, *, valid_from: str, valid_until: str = "null",
                replace: dict | None = None) -> None:
        text = (policy.HERE / f"{base}.yaml").read_text(encoding="utf-8")
        text = text.replace(f"edition: {base}\n", f"edition: {name}\n", 1)
        text = _set_validity(text, valid_from, valid_until)
        for old, new in (replace or {}).items():
            assert old in text, old
            text = text.replace(old, new)
        path = self.folder / f"{name}.yaml"
        path.write_text(text, encoding="utf-8")
        with (self.folder / policy.MANIFEST).open("a", encoding="utf-8") as manifest:
            manifest.write(f"{policy.sha256_of(path)}  {path.name}\n")
        policy.configure([self.folder])


def _set_validity(text: str, valid_from: str, valid_until: str) -> str:
    lines, out, inside = text.splitlines(keepends=True), [], False
    for line in lines:
        if line.startswith("validity:"):
            inside = True
            out.append(f"validity:\n  from: {valid_from}\n  until: {valid_until}\n")
            continue
        if inside and (line.startswith("  ") or line.startswith("#")):
            continue
        inside = False
        out.append(line)
    return "".join(out)


@pytest.fixture
def editions(tmp_path):
    yield Editions(tmp_path / "editions")
    policy.configure()        # back to the shipped editions only


@pytest.fixture
def cluster(make_app):
    return Cluster(make_app)


def on(clock, day: date) -> None:
    clock.set(datetime(day.year, day.month, day.day, 9, 0, tzinfo=BEIJING))


def filed(cluster, unit_id) -> uuid.UUID:
    app, contact = cluster.application, ("contact-1", "unit_contact")
    written = handled(app, filing.FileCase(unit_id=unit_id, programme="A", title="杰出人才申报",
                                           talent={**samples.talent(), "birth_date": date(1972, 3, 15)},
                                           category="outstanding",
                                           claims=[{**samples.claims()[0], "achieved_on": date(2022, 11, 3)}],
                                           documents=samples.case_documents()), *contact, unit_id=str(unit_id))
    case_id = uuid.UUID(written["case_id"])
    handled(app, filing.Submit(case_id=case_id), *contact, unit_id=str(unit_id))
    cluster.settle()
    audit(cluster, case_id)
    handled(app, filing.RecordPaperDelivery(case_id=case_id, delivery=samples.paper_delivery()), "officer-2")
    cluster.settle()
    handled(cluster.review, reviewing.Score(case_id=case_id, score=90, opinion="成果突出"), "reviewer-1", "reviewer")
    return case_id


def decide(cluster, case_id) -> None:
    handled(cluster.review, reviewing.DecideAward(case_id=case_id, award_fen=0, reason="评审通过"),
            "decider-1", "decision_maker")
    cluster.settle()


def rent_from(cluster, unit_id, case_id, starts_on: date) -> None:
    handled(cluster.funding, paying.ChooseHousing(case_id=case_id, choice="rent_subsidy", monthly_rent_fen=RENT_PAID,
                                                  starts_on=starts_on), "contact-1", "unit_contact",
            unit_id=str(unit_id))


def rent_paid(cluster, case_id) -> dict[str, int]:
    funding = cluster.funding.repository.get(case_id)
    return {d.period: d.amount_fen for d in funding.disbursements.values() if d.obligation_id == "rent_subsidy"}


def test_a_new_edition_mid_term_moves_new_decisions_and_no_running_case(cluster, clock, editions):
    unit_id = approved_unit(cluster)
    running, later = filed(cluster, unit_id), filed(cluster, unit_id)
    decide(cluster, running)                                    # 2024-10-01, under changju-2024
    rent_from(cluster, unit_id, running, date(2024, 11, 1))

    # The office releases a new edition of the 2024 call: rent at most 16,000 a month from 2025-01-01.
    editions.release("changju-2024", "changju-2024-rent16k", valid_from="2025-01-01",
                     replace={"monthly_cap_yuan: 15000": "monthly_cap_yuan: 16000"})
    on(clock, date(2025, 2, 3))
    decide(cluster, later)                                      # a new decision: the new figure
    rent_from(cluster, unit_id, later, date(2025, 3, 1))
    cluster.funding.fire_due([running, later], today=date(2025, 6, 1))

    old, new = rent_paid(cluster, running), rent_paid(cluster, later)
    assert old == {f"{m[:4]}-{m[4:]}": 1_500_000 for m in
                   ("202411", "202412", "202501", "202502", "202503", "202504", "202505", "202506")}
    assert new == {"2025-03": 1_600_000, "2025-04": 1_600_000, "2025-05": 1_600_000, "2025-06": 1_600_000}
    assert cluster.funding.repository.get(running).figures["edition"] == "changju-2024"
    assert cluster.funding.repository.get(later).figures["edition"] == "changju-2024-rent16k"
    decisions = [e for e in cluster.published("review") if e["type"] == "review.case_review.AwardDecided"]
    assert [(d["payload"]["policy_edition"], d["payload"]["figures"]["rent_monthly_cap_fen"]) for d in decisions] \
        == [("changju-2024", 1_500_000), ("changju-2024-rent16k", 1_600_000)]


def test_a_decision_after_the_edition_ends_is_refused_and_what_runs_continues(cluster, clock, editions):
    editions.release("changju-2024", "changju-2024-ending", valid_from="2024-12-01", valid_until="2025-06-30")
    unit_id = approved_unit(cluster)
    running, late = filed(cluster, unit_id), filed(cluster, unit_id)
    on(clock, date(2025, 1, 2))
    decide(cluster, running)
    rent_from(cluster, unit_id, running, date(2025, 2, 1))

    on(clock, date(2025, 7, 1))
    with pytest.raises(Refused) as refused:
        decide(cluster, late)
    assert refused.value.rule == "policy.edition.not_in_force"
    assert "until 2025-06-30" in refused.value.message
    assert cluster.review.review(late).status == "paper_delivered"          # nothing recorded

    cluster.funding.fire_due([running], today=date(2028, 3, 1))        # the whole 36 months, past the edition
    paid = rent_paid(cluster, running)
    assert len(paid) == 36 and set(paid.values()) == {1_500_000}
    assert max(paid) == "2028-01"


# -- programme B: a dated edition of the 2.0 scheme (the seed gives no date of issue) -----------------
VP_ISSUED = dict(valid_from="2020-01-01", valid_until="2024-12-31")     # five years from a made-up issue date
UNIT, EXPERT = uuid.uuid4(), uuid.uuid4()


def appointed_placement(starts_on: date) -> PlacementFunding:
    funding = PlacementFunding(id=uuid.uuid4(), unit_id=UNIT, expert_id=EXPERT, cooperation_id=uuid.uuid4(),
                               kind="science_engineering", project_funds_fen=40_000_000,
                               policy_edition="vice-president-2.0-dated")
    funding.appoint({"unit_id": UNIT, "expert_id": EXPERT, "starts_on": starts_on,
                     "ends_on": date(starts_on.year + 2, starts_on.month, starts_on.day), "kind": "science_engineering",
                     "project_funds_fen": 40_000_000, "policy_edition": "vice-president-2.0-dated",
                     "appointed_by": "officer-1", "appointment_event_id": uuid.uuid4()}, starts_on)
    return funding


def test_a_placement_outlives_its_scheme_edition_but_no_new_decision_is_made_under_it(editions):
    editions.release("vice-president-2.0", "vice-president-2.0-dated", **VP_ISSUED)
    assert policy.in_force("B", date(2024, 12, 31))["edition"] == "vice-president-2.0-dated"
    with pytest.raises(Refused) as refused:
        policy.in_force("B", date(2025, 1, 1))                         # a new placement: refused
    assert refused.value.rule == "policy.edition.not_in_force"

    funding = appointed_placement(date(2024, 6, 1))
    funding.tick(date(2026, 6, 1))                                     # the living subsidy runs to the term's end
    living = [d for d in funding.disbursements.values() if d.obligation_id == "living_subsidy"]
    assert len(living) == 24 and {d.amount_fen for d in living} == {200_000}
    funding.expire(date(2026, 6, 1), date(2026, 6, 1))
    with pytest.raises(Refused) as refused:                           # a prize is a new decision
        funding.award_prize("wg-1", "first", 2026, "成果突出", date(2026, 7, 1))
    assert refused.value.rule == "policy.edition.not_in_force"
    assert funding.prize is None


def test_a_figure_changed_in_a_later_edition_leaves_the_living_subsidy_of_a_running_placement(editions):
    editions.release("vice-president-2.0", "vice-president-2.0-dated", **VP_ISSUED)
    funding = appointed_placement(date(2024, 6, 1))
    editions.release("vice-president-2.0", "vice-president-2.0-living3k", valid_from="2024-09-01",
                     valid_until="2024-12-31", replace={"monthly_yuan: 2000": "monthly_yuan: 3000"})
    funding.tick(date(2024, 12, 1))
    assert {d.amount_fen for d in funding.disbursements.values() if d.obligation_id == "living_subsidy"} == {200_000}
    assert appointed_placement(date(2024, 10, 1)).figures["living_monthly_fen"] == 200_000   # funding uses the
    # edition the appointment names; application names the one in force on the appointment's date:
    assert policy.in_force(policy.series_of("vice-president-2.0-dated"), date(2024, 10, 1))["edition"] \
        == "vice-president-2.0-living3k"


# -- stored events from before the figures were recorded ------------------------------------------------
def test_an_old_decision_is_upcast_with_the_figures_of_the_edition_it_names():
    state = {"award_fen": 0, "prior_changju_award_fen": 0, "national_or_beijing_talent": False,
             "category": "outstanding", "policy_edition": "changju-2024"}
    CaseFunding.EntitlementsGranted.upcast_v1_v2(state)
    assert state["figures"] == changju_figures(policy.edition("changju-2024"))
    assert state["figures"]["rent_monthly_cap_fen"] == 1_500_000
    placement = {"policy_edition": "vice-president-2.0"}
    PlacementFunding.EntitlementsGranted.upcast_v1_v2(placement)
    assert placement["figures"]["living_monthly_fen"] == 200_000


def test_a_service_refuses_to_start_on_a_changed_released_edition(tmp_path):
    """What build_store does at start: configure the editions; a changed one raises, naming the file."""
    folder = tmp_path / "extra"
    folder.mkdir()
    path = folder / "changju-2024-extra.yaml"
    path.write_text(_set_validity((policy.HERE / "changju-2024.yaml").read_text(encoding="utf-8")
                                  .replace("edition: changju-2024\n", "edition: changju-2024-extra\n"),
                                  "2026-01-01", "null"), encoding="utf-8")
    (folder / policy.MANIFEST).write_text(f"{policy.sha256_of(path)}  {path.name}\n")
    try:
        assert policy.configure([folder]).get("changju-2024-extra").validity.starts_on == date(2026, 1, 1)
        path.write_text(path.read_text(encoding="utf-8").replace("yearly_yuan: 50000", "yearly_yuan: 60000"),
                        encoding="utf-8")
        with pytest.raises(policy.PolicyError, match="changju-2024-extra.yaml changed after its release"):
            policy.configure([folder])
    finally:
        policy.configure()


def test_an_appointment_is_made_under_the_edition_in_force_on_its_day_and_names_it(editions):
    """application: a placement filed under 2.0 and appointed once a later edition of its series is in
    force is appointed under that edition (here a 30-month term) and the Appointed event names it."""
    from tests.unit.test_domain_placement import APPROVAL, agreed, filed as filed_placement, term_of
    editions.release("vice-president-2.0", "vice-president-2.0-term30", valid_from="2025-03-01",
                     replace={"  months: 24 ": "  months: 30 "})
    cooperation = agreed()
    term = term_of(cooperation)
    placement = filed_placement(cooperation, term)              # filed under vice-president-2.0
    placement.record_review(True, "project approved", APPROVAL, term)
    placement.record_office_filing("备案", APPROVAL)
    placement.record_agreement(date(2025, 3, 10), None, "成果归企业所有")
    in_force = policy.in_force(policy.series_of(placement.policy_edition), date(2025, 3, 12))
    placement.appoint("科技副总", date(2025, 3, 15), in_force, date(2025, 3, 12))
    appointed = placement.collect_events()[-1]
    assert (appointed.policy_edition, appointed.ends_on) == ("vice-president-2.0-term30", date(2027, 9, 15))


def test_a_service_with_a_changed_edition_in_its_policy_dirs_refuses_to_start_before_opening_its_store(tmp_path):
    from shared.config import Settings
    from shared.platform.store import build_store
    from services.registration.app import RegistrationApplication
    folder = tmp_path / "office-editions"
    folder.mkdir()
    (folder / "changju-2024-r9.yaml").write_text("edition: changju-2024-r9\n", encoding="utf-8")
    settings = Settings.from_mapping({"POLICY": {"dirs": f"{folder}:"}, "STORE": {"data_dir": str(tmp_path / "data")}})
    assert settings.policy_dirs == (str(folder),)
    try:
        with pytest.raises(policy.PolicyError, match=r"changju-2024-r9\.yaml is not released"):
            build_store(settings, "registration", RegistrationApplication)
        assert not (tmp_path / "data").exists()
    finally:
        policy.configure()
