"""What-if under a draft edition: every open case's entitlements beside the recorded ones, per-year totals,
nothing written."""
import uuid
from pathlib import Path

from shared import policy as policies

from services.funding.whatif import what_if
from tests.unit.test_funding_application import decided_v2, deliver, funding, opened, view  # noqa: F401
from tests.unit.test_funding_b_application import placed

AWARD = 150_000_000


def draft_from(tmp_path: Path, released: str, name: str, *replacements: tuple[str, str]) -> dict:
    source = policies.editions().get(released)
    text = Path(source.path).read_text(encoding="utf-8") if hasattr(source, "path") else None
    assert text is not None
    text = text.replace(f"edition: {released}", f"edition: {name}")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return policies.read_draft(path)


def test_a_draft_with_a_higher_living_subsidy_changes_every_open_placement_and_writes_nothing(funding, tmp_path):
    cases = [placed(funding) for _ in range(3)]
    views = view(funding)
    position = funding.position()
    draft = draft_from(tmp_path, "vice-president-2.0", "vice-president-2.1-draft",
                       ("monthly_yuan: 2000", "monthly_yuan: 2500"))
    report = what_if(views, draft)
    assert (report["open_cases"], report["cases_changed"]) == (3, 3)
    living = report["differences"][0]["changes"]["living_subsidy"]
    assert living["amount_fen"] == {"recorded": 200_000, "draft": 250_000}
    assert living["ceiling_fen"] == {"recorded": 24 * 200_000, "draft": 24 * 250_000}
    years = {y["year"]: y for y in report["years"]}
    assert years[2026]["recorded_fen"] == 3 * 12 * 200_000 and years[2026]["draft_fen"] == 3 * 12 * 250_000
    assert funding.position() == position and {d["case_id"] for d in report["differences"]} == set(map(str, cases))


def test_a_draft_that_would_refuse_a_recorded_award_says_so(funding, tmp_path):
    case_id = uuid.uuid4()
    deliver(funding, opened(case_id), decided_v2(case_id))
    draft = draft_from(tmp_path, "changju-2024", "changju-2025-draft", ("award_cap_yuan: 2000000}", "award_cap_yuan: 1000000}"))
    report = what_if(view(funding), draft)
    assert report["open_cases"] == 1
    assert report["differences"][0]["refused"]["rule"] == "A.award.cap"


def test_the_rpc_takes_the_drafts_text_and_refuses_one_that_is_not_an_edition(funding, tmp_path):
    from shared.errors import Refused
    from services.funding.whatif import read_draft_text
    draft_from(tmp_path, "vice-president-2.0", "vice-president-2.1-draft", ("monthly_yuan: 2000", "monthly_yuan: 2500"))
    text = (tmp_path / "vice-president-2.1-draft.yaml").read_text(encoding="utf-8")
    assert read_draft_text(text)["edition"] == "vice-president-2.1-draft"
    try:
        read_draft_text("edition: [unterminated")
    except Refused as error:
        assert error.code == "validation_error" and "edition" in error.fields
    else:
        raise AssertionError("an invalid draft was accepted")
