"""Policy editions: the figures each programme's rules read, by edition name."""
import pytest

from shared import policy
from shared.money import yuan


@pytest.mark.parametrize("programme", sorted(policy.CURRENT))
def test_each_programme_has_a_current_edition_that_names_itself(programme):
    edition = policy.current(programme)
    assert edition["edition"] == policy.CURRENT[programme]
    assert edition["programme"] == programme


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
