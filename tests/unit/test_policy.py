"""Policy editions: the figures each programme's rules read, by edition name; released editions are
frozen (their content hashes are held here and checked by the loader); validity and the edition in
force for a new decision."""
from datetime import date
from pathlib import Path

import pytest

from shared import policy
from shared.errors import RuleViolation
from shared.money import yuan

# Each released edition's SHA-256 (of the file's bytes). A released edition is never edited: a change
# to any figure — or filling in one the seed does not give — is a new edition file (docs/policy.md).
RELEASED = {
    "changju-2024.yaml": "dd63dc0a52361b0cd15d745d3a55e5677df7ac396afd130b11aab55fd600683a",
    "vice-president-2.0.yaml": "d08cbb2c52593fc53c828406999a310d18b20062ff3a966efcffed9c776fe69b",
}


@pytest.mark.parametrize("name", sorted(RELEASED))
def test_a_released_edition_is_byte_for_byte_what_was_released(name):
    assert policy.sha256_of(policy.HERE / name) == RELEASED[name], \
        f"{name} changed after its release: put the change in a new edition file"
    assert policy.read_manifest(policy.HERE)[name] == RELEASED[name]


def test_the_manifest_lists_every_shipped_edition_and_the_loader_verifies_them():
    assert set(RELEASED) <= set(policy.read_manifest(policy.HERE))
    loaded = policy.Editions([policy.HERE])
    assert {e.path.name for e in loaded.by_name.values()} == set(policy.read_manifest(policy.HERE))


@pytest.mark.parametrize("programme", ["A", "B"])
def test_each_programme_has_an_edition_that_names_itself(programme):
    edition = policy.current(programme)
    assert edition["programme"] == programme
    assert policy.edition(edition["edition"]) is edition


def test_programme_a_caps_the_award_at_two_million_yuan():
    assert policy.category_cap_fen(policy.edition("changju-2024"), "outstanding") == 200_000_000


def test_programme_b_subsidises_half_up_to_three_hundred_thousand_yuan():
    subsidy = policy.edition("vice-president-2.0")["money"]["project_subsidy"]
    assert subsidy["percent"] == 50
    assert yuan(subsidy["cap_yuan"]) == 30_000_000
    assert yuan(subsidy["cap_social_science_yuan"]) == 10_000_000


def test_an_unknown_edition_is_refused():
    with pytest.raises(KeyError):
        policy.edition("changju-1999")


# -- validity ------------------------------------------------------------------------------------------
def test_the_2024_call_is_in_force_from_its_window_and_refuses_a_decision_before_it():
    assert policy.validity("changju-2024") == policy.Validity(date(2024, 9, 14), None)
    assert policy.in_force("A", date(2024, 9, 14))["edition"] == "changju-2024"
    assert policy.in_force("changju-2024", date(2031, 1, 1))["edition"] == "changju-2024"
    with pytest.raises(RuleViolation) as refused:
        policy.in_force("A", date(2024, 9, 13))
    assert refused.value.rule == "policy.edition.not_in_force"


def test_the_vice_president_opinion_knows_its_five_years_but_not_its_date_of_issue():
    """六(二)2: valid five years from issue; the seed carries no date of issue, so no end is checked
    until an edition of the series names it (see test_policy_editions.py for one that does)."""
    data = policy.edition("vice-president-2.0")
    assert data["valid_years"] == 5
    assert policy.validity("vice-president-2.0") == policy.Validity(None, None)


# -- the loader refuses what was not released -----------------------------------------------------------
def copy_of_shipped(tmp_path: Path) -> Path:
    folder = tmp_path / "policy"
    folder.mkdir()
    for name in RELEASED:
        (folder / name).write_bytes((policy.HERE / name).read_bytes())
    (folder / policy.MANIFEST).write_text((policy.HERE / policy.MANIFEST).read_text())
    return folder


def test_a_figure_edited_in_a_released_edition_stops_the_loader_naming_the_file(tmp_path):
    folder = copy_of_shipped(tmp_path)
    path = folder / "changju-2024.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("monthly_cap_yuan: 15000", "monthly_cap_yuan: 16000"),
                    encoding="utf-8")
    with pytest.raises(policy.PolicyError, match=r"changju-2024\.yaml changed after its release"):
        policy.Editions([folder])


def test_an_edition_file_not_in_the_manifest_is_not_loaded(tmp_path):
    folder = copy_of_shipped(tmp_path)
    (folder / "changju-2024-b.yaml").write_text("edition: changju-2024-b\n", encoding="utf-8")
    with pytest.raises(policy.PolicyError, match=r"changju-2024-b\.yaml is not released"):
        policy.Editions([folder])


def test_a_released_edition_listed_but_missing_is_refused(tmp_path):
    folder = copy_of_shipped(tmp_path)
    (folder / "vice-president-2.0.yaml").unlink()
    with pytest.raises(policy.PolicyError, match="listed in .* but missing"):
        policy.Editions([folder])
