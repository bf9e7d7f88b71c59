"""The auditor's command line: dates on the business calendar, and the caller token from configuration."""
from datetime import datetime, timedelta

import pytest

from services.audit.__main__ import auditor_token, moment, who
from shared.clock import BEIJING
from shared.identity import TrustedIssuers, verify_token
from tests.support.keys import keys_dir


def test_a_date_means_the_end_of_that_business_day_in_beijing():
    assert moment("2025-06-30") == datetime(2025, 7, 1, tzinfo=BEIJING) - timedelta(microseconds=1)
    assert moment("2025-06-30T09:00:00") == datetime(2025, 6, 30, 9, tzinfo=BEIJING)
    assert moment("2025-06-30T09:00:00+00:00").utcoffset() == timedelta(0)


def test_a_date_that_is_not_one_is_refused():
    import argparse

    with pytest.raises(argparse.ArgumentTypeError):
        moment("30/06/2025")


def test_the_token_is_minted_for_the_configured_auditor_with_the_issuers_key():
    token = auditor_token({"AUDIT_ACTOR": "auditor-9", "KEYS_DIR": keys_dir()})
    identity = verify_token(token, TrustedIssuers.load(keys_dir()))
    assert (identity.actor_id, identity.role) == ("auditor-9", "auditor")
    assert who(token) == {"actor_id": "auditor-9", "role": "auditor", "issuer": "officer-portal"}


def test_a_given_token_is_used_as_it_is():
    assert auditor_token({"AUDIT_TOKEN": "abc", "AUDIT_ACTOR": "x"}) == "abc"


def test_without_a_token_or_an_actor_the_command_says_what_to_set():
    with pytest.raises(SystemExit, match="AUDIT_TOKEN"):
        auditor_token({})
