"""Every endpoint of every running service, fed hostile payloads generated from its own contract
(tests/support/hostile.py): the answer is a normal result or a structured refusal, never
`internal_error`, and a `validation_error` records nothing (no store position moves).

Bounded: a few examples per endpoint (HOSTILE_EXAMPLES, default 6), so the module stays within a
couple of minutes."""
from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.registry import endpoints
from shared.contracts.registry import SERVICES
from shared.errors import ServiceError
from tests.support.hostile import hostile_payloads

EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "6"))
ENDPOINTS = [(e.service, e.method, e) for e in endpoints()]


def positions(rpc) -> dict:
    return {service: getattr(rpc, service).health()["position"] for service in SERVICES}


@pytest.mark.parametrize("service, name, contract", ENDPOINTS, ids=[f"{s}.{n}" for s, n, _ in ENDPOINTS])
def test_hostile_payloads_get_structured_answers_and_refusals_record_nothing(cluster, service, name, contract):
    role = sorted(contract.roles)[0] if contract.roles else None
    answers = []
    with (cluster.rpc("fuzzer", role) if role else cluster.rpc()) as rpc:
        call = getattr(getattr(rpc, service), name)

        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(payload=hostile_payloads(contract.schema), with_command_id=st.booleans())
        def probe(payload, with_command_id):
            if contract.write and with_command_id:
                payload = {**payload, "command_id": "fuzz-" + os.urandom(8).hex()}
            before = positions(rpc)
            try:
                call(**payload)
                answers.append("ok")
            except ServiceError as error:
                assert error.code != "internal_error", (payload, error)
                answers.append(error.code)
                if error.code == "validation_error":
                    assert error.fields, error
                    assert positions(rpc) == before, (payload, error)

        probe()
    assert answers and "internal_error" not in answers
