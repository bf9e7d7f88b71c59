"""The routing keys docs/funding.md tells the funding office to bind, and the token examples of
docs/caller-tokens.md, checked without a broker (tests/integration/test_documented_examples.py binds and
runs them against running services)."""
import re
from pathlib import Path

import pytest

from shared.contracts.events import PAYLOADS
from shared.identity import TrustedIssuers, verify_token
from tests.integration.test_documented_examples import MONEY, documented_binding_keys, documented_consumer
from tests.support import keys

ROOT = Path(__file__).resolve().parents[2]
TOKENS_DOC = ROOT / "docs" / "caller-tokens.md"
FUNDING_TYPES = sorted({t for t, _ in PAYLOADS if t.startswith("funding.")})


def topic_matches(pattern: str, key: str) -> bool:
    """RabbitMQ's topic matching: `*` is exactly one word, `#` zero or more words."""
    def match(p: list[str], k: list[str]) -> bool:
        if not p:
            return not k
        if p[0] == "#":
            return any(match(p[1:], k[i:]) for i in range(len(k) + 1))
        return bool(k) and (p[0] == "*" or p[0] == k[0]) and match(p[1:], k[1:])
    return match(pattern.split("."), key.split("."))


def test_the_matcher_is_rabbitmqs():
    assert topic_matches("funding.*.DisbursementScheduled", "funding.case_funding.DisbursementScheduled")
    assert topic_matches("funding.#", "funding.placement_funding.RecoveryClaimed")
    assert not topic_matches("funding.*.Disbursement*", "funding.case_funding.DisbursementScheduled")   # the old doc
    assert not topic_matches("funding.*", "funding.case_funding.DisbursementScheduled")


def test_the_documented_keys_receive_every_money_event_of_both_programmes_and_nothing_else():
    keys_ = documented_binding_keys()
    received = {t for t in FUNDING_TYPES if any(topic_matches(k, t) for k in keys_)}
    money = {t for t in FUNDING_TYPES if t.rsplit(".", 1)[1] in MONEY}
    assert {t.split(".")[1] for t in money} == {"case_funding", "placement_funding"}
    assert received == money
    assert all(any(topic_matches(k, t) for t in FUNDING_TYPES) for k in keys_), "a documented key matches nothing"


def test_the_example_consumer_binds_exactly_the_documented_keys():
    namespace = {"__name__": "not_main"}
    exec(compile(documented_consumer(), "docs/funding.md", "exec"), namespace)   # noqa: S102 - our own docs
    assert namespace["BINDING_KEYS"] == documented_binding_keys()
    assert set(namespace["MONEY_EVENTS"]) == set(MONEY)


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, re.S)


@pytest.fixture
def portal_key(tmp_path):
    """docs/caller-tokens.md's examples read keys/unit-portal.token-issuer.pem: a folder with one."""
    (tmp_path / "keys").symlink_to(keys.keys_dir())
    return tmp_path


def test_the_caller_token_examples_mint_tokens_the_services_accept(portal_key, monkeypatch):
    monkeypatch.chdir(portal_key)
    trusted = TrustedIssuers.load(keys.keys_dir())
    [kid] = [k.kid for k in trusted.entries.values() if k.owner == "unit-portal"]
    unit_id = "5b0c7a56-0c1b-4e8e-9a57-1b8f0f6c2d11"
    blocks = python_blocks(TOKENS_DOC.read_text(encoding="utf-8"))
    assert len(blocks) == 2
    for block in blocks:
        namespace = {"unit_id": unit_id, "UNIT_PORTAL_KID": kid}
        exec(compile(block, str(TOKENS_DOC), "exec"), namespace)   # noqa: S102 - our own docs
        identity = verify_token(namespace["token"], trusted)
        assert (identity.actor_id, identity.role, identity.unit_id) == ("zhang.san", "unit_contact", unit_id)
