"""Programme B's expert pool (科技副总 拟聘专家人才库): the Expert aggregate's rules at their edges, and
the pool's read model (filters, paging). No broker."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone
from uuid import UUID

import pytest
from uuid import uuid4

from shared import policy
from shared.contracts.envelope import load_envelope
from shared.errors import Refused
from shared.eventstore.projection import ProjectionRunner
from shared.eventstore.settings import StoreSettings
from shared.eventstore.views import ViewStore
from shared.messaging.translate import envelopes_after

from services.registration.app import EXPERTS, RegistrationApplication, opened, pool_page
from shared.privacy.sealing import is_sealed
from services.registration.domain import Expert, legacy_expert_id, unit_id_for
from services.registration import commands as registering
from tests.unit.unit_helpers import handled, unit_details

POLICY_B = policy.current("B")
TODAY = date(2024, 10, 8)
ID_NUMBER = "11010119800101123X"


def form(id_number=ID_NUMBER, **overrides) -> dict:
    return {"institution_name": "中国农业大学", "institution_kind": "key_university", "name": "王专家",
            "id_number": id_number, "contact": {"phone": "13911112222", "email": "wang@example.edu.cn"},
            "degree": "phd", "title": "associate_senior", "work_years": 5,
            "fields": ["生物医药"], "expertise": ["基因编辑"], **overrides}


def recommended(**overrides) -> Expert:
    details = form(**overrides)
    return Expert.recommend(uuid4(), details, POLICY_B)


def refusal(call, *args, **kwargs) -> Refused:
    with pytest.raises(Refused) as caught:
        call(*args, **kwargs)
    return caught.value


def as_officer(call, *args, **kwargs):
    return call(*args, **kwargs)


# -- recommendation ------------------------------------------------------------------------------
def test_a_recommended_candidate_awaits_publication():
    expert = recommended()
    assert (expert.status, expert.policy_edition) == ("recommended", "vice-president-2.0")
    assert [type(e).__name__ for e in expert.collect_events()] == ["Recommended"]


@pytest.mark.parametrize("kind", [k["code"] for k in POLICY_B["expert"]["institution_kinds"]])
def test_every_institution_kind_of_the_edition_may_recommend(kind):
    assert recommended(institution_kind=kind).institution_kind == kind


@pytest.mark.parametrize("kind", ["enterprise", "KEY_UNIVERSITY", "provincial_university", ""])
def test_other_institutions_are_refused_naming_the_rule(kind):
    error = refusal(recommended, institution_kind=kind)
    assert (error.code, error.rule, list(error.fields)) == ("rule_violation", "B.expert.institution",
                                                           ["institution_kind"])


# -- publication: 二(二)1 degree or title, 二(二)2 work years ---------------------------------------
@pytest.mark.parametrize("degree, title, work_years, refused_by", [
    ("phd", "none", 2, None),                              # a PhD suffices ...
    ("master", "associate_senior", 2, None),               # ... or an associate-senior title
    ("bachelor", "senior", 2, None),                       # ... or above
    ("master", "intermediate", 2, "B.expert.qualification"),
    ("other", "none", 30, "B.expert.qualification"),
    ("phd", "senior", 1, "B.expert.work_years"),           # 1 year: refused; 2: accepted (above)
    ("phd", "senior", 0, "B.expert.work_years"),
])
def test_publication_needs_a_phd_or_an_associate_senior_title_and_two_years(degree, title, work_years, refused_by):
    expert = recommended(degree=degree, title=title, work_years=work_years)
    if refused_by is None:
        as_officer(expert.publish, POLICY_B, TODAY)
        assert (expert.status, expert.published_on) == ("published", TODAY)
    else:
        error = refusal(as_officer, expert.publish, POLICY_B, TODAY)
        assert (error.code, error.rule) == ("rule_violation", refused_by)
        assert expert.status == "recommended" and expert.version == 1


def test_both_unmet_conditions_are_named():
    error = refusal(as_officer, recommended(degree="master", title="intermediate", work_years=1).publish,
                    POLICY_B, TODAY)
    assert error.rule == "B.expert.qualification"
    assert set(error.fields) == {"degree", "work_years"}


@pytest.mark.parametrize("degree, title, work_years, waived", [
    ("master", "intermediate", 5, ["B.expert.qualification"]),
    ("phd", "none", 1, ["B.expert.work_years"]),
    ("bachelor", "none", 0, ["B.expert.qualification", "B.expert.work_years"]),
    ("phd", "senior", 9, []),                             # nothing to waive: the waiver is kept, nothing waived
])
def test_a_recorded_waiver_relaxes_either_condition(degree, title, work_years, waived):
    expert = recommended(degree=degree, title=title, work_years=work_years)
    as_officer(expert.record_waiver, "core_ip", "拥有核心发明专利，昌平企业急需", "officer-7", POLICY_B)
    assert expert.waiver == {"waiver": "core_ip", "reason": "拥有核心发明专利，昌平企业急需", "decided_by": "officer-7"}
    as_officer(expert.publish, POLICY_B, TODAY)
    published = expert.collect_events()[-1]
    assert (type(published).__name__, published.waived, published.published_on) == ("Published", waived, TODAY)
    assert (published.institution_kind, published.fields) == ("key_university", ["生物医药"])


def test_only_the_grounds_of_the_edition_waive():
    expert = recommended(work_years=1)
    error = refusal(as_officer, expert.record_waiver, "urgent", "急需", "officer-1", POLICY_B)
    assert (error.rule, list(error.fields)) == ("B.expert.waiver", ["waiver"])
    as_officer(expert.record_waiver, "mature_results", "成熟科技成果", "officer-1", POLICY_B)
    assert refusal(as_officer, expert.record_waiver, "core_ip", "again", "officer-1", POLICY_B).rule \
        == "B.expert.waiver.once"


def test_a_waiver_comes_before_publication():
    expert = recommended()
    as_officer(expert.publish, POLICY_B, TODAY)
    assert refusal(as_officer, expert.record_waiver, "core_ip", "late", "officer-1", POLICY_B).rule \
        == "B.expert.waiver.before_publication"


def test_an_expert_is_published_once():
    expert = recommended()
    as_officer(expert.publish, POLICY_B, TODAY)
    error = refusal(as_officer, expert.publish, POLICY_B, date(2024, 10, 9))
    assert (error.rule, expert.published_on, expert.version) == ("B.expert.publish.once", TODAY, 2)


@pytest.mark.parametrize("publish_first", [True, False])
def test_withdrawal_is_final(publish_first):
    expert = recommended(work_years=1)
    if publish_first:
        as_officer(expert.record_waiver, "core_ip", "核心知识产权", "officer-1", POLICY_B)
        as_officer(expert.publish, POLICY_B, TODAY)
    as_officer(expert.withdraw, "派出单位召回")
    assert (expert.status, expert.withdrawal_reason) == ("withdrawn", "派出单位召回")
    for call, args in ((expert.withdraw, ("again",)), (expert.publish, (POLICY_B, TODAY)),
                       (expert.record_waiver, ("core_ip", "x", "officer-1", POLICY_B))):
        assert refusal(as_officer, call, *args).rule == "B.expert.withdrawn"


# -- through the application: uniqueness, recommenders, integration events -----------------------
@pytest.fixture
def app(make_app):
    return make_app(RegistrationApplication)


def run(app, command, actor="officer-1", role="officer", unit_id=None) -> dict:
    return handled(app, command, actor, role, unit_id=unit_id)


def recommend(form: dict) -> registering.RecommendExpert:
    return registering.RecommendExpert(**form)


def test_an_expert_id_is_random_and_found_only_through_the_keyed_index(app):
    expert_id = run(app, recommend(form()))["expert_id"]
    assert expert_id != str(legacy_expert_id(ID_NUMBER))            # nobody can compute it from the number
    assert app.vault.find_person(" 11010119800101123x ") == expert_id


def test_the_same_person_is_never_in_the_pool_twice(app):
    run(app, recommend(form()))
    error = refusal(run, app, recommend(form(id_number=ID_NUMBER.lower(), institution_name="北京大学")))
    assert (error.code, error.rule) == ("conflict", "B.expert.unique")


def approved_unit(app, unit_type="university", credit_code="12110000400000001A", name="中国农业大学") -> str:
    details = unit_details(credit_code, unit_type=unit_type, name=name)
    unit_id = run(app, registering.RegisterUnit(**details), "contact-1", "unit_contact")["unit_id"]
    run(app, registering.AuditUnit(unit_id=UUID(unit_id), outcome="approve", reason="ok"))
    return unit_id


@pytest.mark.parametrize("unit_type", ["university", "research_institute"])
def test_an_approved_university_or_institute_recommends_for_itself(app, unit_type):
    unit_id = approved_unit(app, unit_type)
    result = run(app, recommend(form()), "contact-1", "unit_contact", unit_id)
    expert = app.expert(result["expert_id"])
    assert (expert.status, expert.recommending_unit_id) == ("recommended", unit_id)


def test_other_units_do_not_recommend(app):
    enterprise = approved_unit(app, "enterprise", "91110114MA01ABCD12")
    contact = ("contact-1", "unit_contact")
    assert refusal(run, app, recommend(form()), *contact, enterprise).rule == "B.expert.recommender"
    pending = run(app, registering.RegisterUnit(**unit_details("12110000400000002B", unit_type="university",
                                                               name="中国农业大学")))["unit_id"]
    assert refusal(run, app, recommend(form()), *contact, pending).rule == "B.expert.recommender"
    university = approved_unit(app, "university", "12110000400000003C")
    error = refusal(run, app, recommend(form(institution_name="北京大学")), *contact, university)
    assert (error.rule, list(error.fields)) == ("B.expert.recommender", ["institution_name"])


def test_integration_events_carry_no_personal_data(app):
    expert_id = run(app, recommend(form(work_years=1)))["expert_id"]
    run(app, registering.RecordExpertWaiver(expert_id=expert_id, waiver="core_ip", reason="核心知识产权"), "officer-2")
    app.clock.set(datetime(2024, 10, 1, 17, 30, tzinfo=timezone.utc))   # already the 2nd in Beijing
    run(app, registering.PublishExpert(expert_id=expert_id))
    run(app, registering.WithdrawExpert(expert_id=expert_id, reason="服务调整"))
    envelopes, _ = envelopes_after("registration", app, 0, 100)
    loaded = [load_envelope(json.loads(json.dumps(e))) for e in envelopes]
    assert [(e["type"], e["schema_version"]) for e in loaded] == [
        ("registration.expert.Recommended", 1), ("registration.expert.WaiverRecorded", 1),
        ("registration.expert.Published", 1), ("registration.expert.Withdrawn", 1)]
    assert loaded[0]["payload"] == {"institution_name": "中国农业大学", "institution_kind": "key_university",
                                    "degree": "phd", "title": "associate_senior", "work_years": 1,
                                    "fields": ["生物医药"], "expertise": ["基因编辑"]}
    assert loaded[1]["payload"] == {"waiver": "core_ip", "reason": "核心知识产权"}
    assert loaded[2]["payload"] == {"published_on": date(2024, 10, 2), "institution_kind": "key_university",
                                    "fields": ["生物医药"]}
    assert loaded[3]["payload"] == {"reason": "服务调整"}
    text = json.dumps(envelopes, ensure_ascii=False)
    for secret in ("王专家", ID_NUMBER, "13911112222", "wang@example.edu.cn"):
        assert secret not in text


# -- the pool's read model ---------------------------------------------------------------------------
@pytest.fixture
def views(tmp_path):
    store = ViewStore(StoreSettings(service="registration", data_dir=str(tmp_path)).view_store_env())
    yield store
    store.close()


def project(app, views) -> None:
    runner = ProjectionRunner(app, views, app.projections())
    while runner.step():
        pass


def publish(app, n: int, day: int = 1, **overrides) -> str:
    expert_id = run(app, recommend(form(id_number=f"1101011980010{n:05d}", name=f"专家{n}", **overrides)))["expert_id"]
    app.clock.set(app.clock.now().replace(day=day))
    run(app, registering.PublishExpert(expert_id=expert_id))
    return expert_id


def names(page: dict) -> list[str]:
    return [item["name"] for item in page["items"]]


@pytest.fixture
def pool(app, views):
    publish(app, 1, 3, fields=["生物医药", "Medical Devices"], expertise=["基因编辑", "CRISPR"])
    publish(app, 2, 2, fields=["先进制造"], expertise=["工业机器人", "crispr"], institution_kind="changping_institution",
            institution_name="北京化工大学昌平校区")
    publish(app, 3, 1, fields=["先进能源", "先进制造"], expertise=["氢能"], institution_kind="national_or_beijing_institute",
            institution_name="中国科学院工程热物理研究所")
    waiting = run(app, recommend(form(id_number="110101198001019999", name="待发布")))["expert_id"]
    project(app, views)
    return {"waiting": waiting}


def test_the_pool_lists_published_experts_once_each_earliest_publication_first(app, views, pool):
    page = pool_page(views, app=app)
    assert names(page) == ["专家3", "专家2", "专家1"] and page["total"] == 3
    assert page["items"][0] == {
        "expert_id": page["items"][0]["expert_id"], "name": "专家3", "institution_name": "中国科学院工程热物理研究所",
        "institution_kind": "national_or_beijing_institute", "degree": "phd", "title": "associate_senior",
        "work_years": 5, "fields": ["先进能源", "先进制造"], "expertise": ["氢能"], "status": "published",
        "published_on": "2024-10-01", "version": 2}
    assert "id_number" not in json.dumps(page) and "13911112222" not in json.dumps(page)


@pytest.mark.parametrize("filters, expected", [
    ({"field": "先进制造"}, ["专家3", "专家2"]),
    ({"field": "  medical   devices "}, ["专家1"]),                        # case and spaces ignored
    ({"keyword": "CRISPR"}, ["专家2", "专家1"]),
    ({"keyword": "crispr", "field": "生物医药"}, ["专家1"]),
    ({"institution": "北京化工大学昌平校区"}, ["专家2"]),
    ({"institution_kind": "key_university"}, ["专家1"]),
    ({"institution_kind": "key_university", "field": "先进制造"}, []),
    ({"keyword": "量子"}, []),
])
def test_the_pool_filters(app, views, pool, filters, expected):
    page = pool_page(views, app=app, **filters)
    assert (names(page), page["total"]) == (expected, len(expected))


def test_the_pool_pages(app, views, pool):
    first, second = pool_page(views, app=app, limit=2), pool_page(views, app=app, limit=2, offset=2)
    assert (names(first), names(second)) == (["专家3", "专家2"], ["专家1"])
    assert first["total"] == second["total"] == 3 and (second["limit"], second["offset"]) == (2, 2)
    assert names(pool_page(views, app=app, field="先进制造", limit=1, offset=1)) == ["专家2"]


def test_a_withdrawn_expert_leaves_the_pool_and_candidates_are_listed_for_officers(app, views, pool):
    gone = pool_page(views, app=app, keyword="氢能")["items"][0]["expert_id"]
    run(app, registering.WithdrawExpert(expert_id=gone, reason="派出单位召回"))
    project(app, views)
    assert names(pool_page(views, app=app)) == ["专家2", "专家1"]
    assert pool_page(views, app=app, field="先进能源")["total"] == 0
    assert views.get(EXPERTS, gone)["status"] == "withdrawn"
    waiting, total = views.find(EXPERTS, {"status": "recommended"})
    assert ([d["expert_id"] for d in waiting], total) == ([pool["waiting"]], 1)
    assert "id_number" not in waiting[0] and "contact" not in waiting[0]


def test_the_pool_rebuilds_identically(app, views, pool):
    run(app, registering.WithdrawExpert(expert_id=pool_page(views, app=app)["items"][0]["expert_id"], reason="调整"))
    project(app, views)
    def index():   # the names are sealed afresh (random nonces): compare what they open to
        items, total = views.find("expert_pool", None, limit=1000)
        return [opened(app, item) for item in items], total

    before = (pool_page(views, app=app, limit=200), index())
    assert all(is_sealed(item["name"]) for item in views.find("expert_pool", None, limit=1000)[0])
    runner = ProjectionRunner(app, views, app.projections())
    runner.rebuild("experts")
    assert (pool_page(views, app=app, limit=200), index()) == before


def test_the_pool_filters_and_pages_the_same_on_postgresql(app, views, pool):
    """The index is plain equality on JSON fields: the same answers from the PostgreSQL view store."""
    from tests.unit.test_views import postgres_view_store

    pg_views, drop = postgres_view_store()
    try:
        project(app, pg_views)
        for filters in ({}, {"field": "先进制造", "limit": 1, "offset": 1}, {"keyword": "CRISPR"},
                        {"institution_kind": "key_university", "keyword": "crispr"}):
            assert pool_page(pg_views, app=app, **filters) == pool_page(views, app=app, **filters)
    finally:
        drop()


def test_same_day_publications_are_listed_in_the_order_they_were_published_not_by_expert_id(app, views):
    """Defect (d): "earliest publication first" orders publications of one day by their time, then by the
    order they were recorded; never by expert id."""
    ids = {}
    for n in range(1, 7):
        ids[n] = run(app, recommend(form(id_number=f"1101011980020{n:05d}", name=f"同日{n}")))["expert_id"]
    order = sorted(ids, key=lambda n: ids[n], reverse=True)       # the highest expert id is published first
    start = app.clock.now().replace(day=5, hour=9, minute=0)
    for i, n in enumerate(order[:4]):
        app.clock.set(start.replace(hour=9 + i))                   # 09:00, 10:00, 11:00, 12:00
        run(app, registering.PublishExpert(expert_id=ids[n]))
    app.clock.set(start.replace(hour=15))
    for n in order[4:]:                                            # two at the same instant: recorded order
        run(app, registering.PublishExpert(expert_id=ids[n]))
    project(app, views)
    assert names(pool_page(views, app=app)) == [f"同日{n}" for n in order]
    assert names(pool_page(views, app=app, limit=3, offset=3)) == [f"同日{n}" for n in order[3:]]
