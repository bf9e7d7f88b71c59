"""docs/reference.md is what the contracts say: regenerate it when an endpoint or event changes
(`python -m services.reference > docs/reference.md`)."""
from pathlib import Path

from services.reference import SERVICES, endpoints, render, service_class
from shared.contracts.events import PAYLOADS

DOC = Path(__file__).resolve().parents[2] / "docs" / "reference.md"


def test_the_committed_reference_is_current():
    assert DOC.read_text(encoding="utf-8") == render(), "run: python -m services.reference > docs/reference.md"


def test_every_endpoint_and_every_event_is_in_it():
    text = render()
    for service in SERVICES:
        names = [name for name, _, _ in endpoints(service_class(service))]
        assert "health" in names
        for name in names:
            assert f"### `{service}.{name}`" in text
    for event_type, version in PAYLOADS:
        assert f"### `{event_type}` v{version}" in text


def test_every_write_names_its_refusals():
    """A portal team must learn from the reference which rules a write can break."""
    bare = [f"{service}.{name}" for service in SERVICES for name, contract, doc in endpoints(service_class(service))
            if contract.write and name != "replay_parked" and "Refuses" not in doc]
    assert bare == []
