"""The expert pool's entrypoints on a real store, without a broker: nameko's worker_factory builds the
registration service with our own dependencies injected."""
from __future__ import annotations

import pytest
from nameko.testing.services import worker_factory

from services import samples
from services.registration.app import RegistrationApplication
from services.registration.service import RegistrationService
from shared.errors import ServiceError
from shared.identity import Identity, verify_token
from shared.messaging.translate import envelopes_after
from tests.service.conftest import token, trusted

FORM = dict(institution_name="北京航空航天大学", institution_kind="key_university", name="赵工程师",
            id_number="110108198502023456", contact={"phone": "13700001111"}, degree="master",
            title="intermediate", work_years=3, fields=["先进制造"], expertise=["航空发动机", "增材制造"])


class FakeRequest:
    def __init__(self, token, entrypoint):
        self.token, self.entrypoint, self.correlation_id = token, entrypoint, "corr-expert"

    def identity(self) -> Identity:
        return verify_token(self.token, trusted())


@pytest.fixture
def registration(store_for):
    store = store_for("registration", RegistrationApplication)
    runner = store.projections
    runner.follower.wake = runner.step          # what the running follower does when woken
    counter = iter(range(10_000_000, 99_999_999))

    def call(entrypoint, actor="officer-1", role="officer", unit=None, /, **payload):
        """Call `entrypoint` as (actor, role, the unit the token names) with the payload's fields."""
        service = worker_factory(RegistrationService, store=store,
                                 request=FakeRequest(token(actor, role, unit), entrypoint))
        if getattr(RegistrationService, entrypoint).contract.write:
            payload.setdefault("command_id", f"cmd-{next(counter)}")
        return getattr(service, entrypoint)(**payload)
    call.store = store
    return call


def refused(registration, entrypoint, *args, **kwargs) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        registration(entrypoint, *args, **kwargs)
    return caught.value


def test_recommend_waive_publish_and_find_in_the_pool(registration):
    written = registration("recommend_expert", **FORM)
    expert_id = written["expert_id"]
    assert (written["status"], written["version"]) == ("recommended", 1)

    error = refused(registration, "publish_expert", expert_id=expert_id)
    assert (error.code, error.rule) == ("rule_violation", "B.expert.qualification")
    registration("record_expert_waiver", "officer-2", expert_id=expert_id, waiver="mature_results",
                 reason="成熟科技成果，昌平企业急需")
    published = registration("publish_expert", expert_id=expert_id, expected_version=2)
    assert (published["status"], published["version"]) == ("published", 3)
    assert refused(registration, "publish_expert", expert_id=expert_id).rule == "B.expert.publish.once"

    page = registration("experts", "company-1", "unit_contact", "unit-9", keyword="增材制造",
                        min_position=published["position"])
    assert page["total"] == 1 and page["items"][0]["name"] == "赵工程师"
    assert registration("experts", "expert-1", "expert", field="生物医药")["total"] == 0

    # officers see the waiver and the personal data; a company sees the public profile only
    as_officer = registration("get_expert", "auditor-1", "auditor", expert_id=expert_id)
    assert as_officer["waiver"]["decided_by"] == "officer-2" and as_officer["id_number"] == FORM["id_number"]
    public = registration("get_expert", "company-1", "unit_contact", "unit-9", expert_id=expert_id)
    assert public["status"] == "published" and public["published_on"] == published["published_on"]
    assert not {"id_number", "contact", "waiver", "waived"} & set(public)

    envelopes, _ = envelopes_after("registration", registration.store.app, 0, 10)
    assert [e["type"] for e in envelopes] == ["registration.expert.Recommended", "registration.expert.WaiverRecorded",
                                              "registration.expert.Published"]
    assert envelopes[1]["actor"]["actor_id"] == "officer-2"
    for secret in ("赵工程师", FORM["id_number"], "13700001111"):
        assert secret not in str(envelopes)


def test_roles(registration):
    expert_id = registration("recommend_expert", **FORM)["expert_id"]
    for entrypoint, payload in (("publish_expert", {"expert_id": expert_id}),
                                ("record_expert_waiver", {"expert_id": expert_id, "waiver": "core_ip", "reason": "x"}),
                                ("withdraw_expert", {"expert_id": expert_id, "reason": "x"})):
        assert refused(registration, entrypoint, "contact-1", "unit_contact", "u-1", **payload).code == "forbidden"
    assert refused(registration, "recommend_expert", "expert-1", "expert", **FORM).code == "forbidden"
    assert refused(registration, "experts", "reviewer-1", "reviewer").code == "forbidden"
    # an unpublished candidate is not visible outside the office
    assert refused(registration, "get_expert", "expert-1", "expert", expert_id=expert_id).code == "not_found"
    listed = registration("expert_recommendations", min_position=registration.store.app.position())
    assert [item["expert_id"] for item in listed["items"]] == [expert_id]


def test_a_university_recommends_for_itself(registration):
    unit = samples.unit_registration("12110000400000009X", unit_type="university")
    unit_id = registration("register_unit", "contact-1", "unit_contact", **unit)["unit_id"]
    assert refused(registration, "recommend_expert", "contact-1", "unit_contact", unit_id,
                   **{**FORM, "institution_name": unit["name"]}).rule == "B.expert.recommender"   # not yet approved
    registration("audit_unit", unit_id=unit_id, outcome="approve", reason="材料齐全")
    written = registration("recommend_expert", "contact-1", "unit_contact", unit_id,
                           **{**FORM, "institution_name": unit["name"]})
    mine = registration("get_expert", "contact-1", "unit_contact", unit_id, expert_id=written["expert_id"],
                        min_position=written["position"])
    assert (mine["status"], mine["recommending_unit_id"]) == ("recommended", unit_id)
    assert refused(registration, "recommend_expert", "contact-2", "unit_contact", **FORM).rule == "roles.own_unit"


def test_the_form_is_validated_at_the_edge(registration):
    error = refused(registration, "recommend_expert", **{**FORM, "degree": "doctor", "fields": [], "work_years": -1})
    assert (error.code, set(error.fields)) == ("validation_error", {"degree", "fields", "work_years"})
    assert refused(registration, "recommend_expert", **{**FORM, "institution_kind": "company"}).rule \
        == "B.expert.institution"


def test_a_technology_company_registers_through_the_rpc(registration):
    unit = samples.unit_registration("91110114MA01TECH01")
    written = registration("register_unit", "contact-1", "unit_contact", technology_company=True, **unit)
    doc = registration("get_unit", unit_id=written["unit_id"], min_position=written["position"])
    assert doc["technology_company"] is True
    university = samples.unit_registration("12110000400000008X", unit_type="university")
    assert refused(registration, "register_unit", "contact-1", "unit_contact", technology_company=True,
                   **university).rule == "B.company.enterprise"
