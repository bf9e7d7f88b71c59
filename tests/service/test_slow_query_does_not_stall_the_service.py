"""A slow query in one worker does not stop the same service answering other calls: the
hub keeps running while SQLite scans a large read model (and, in tests/unit, while
PostgreSQL sleeps). Counted, not timed: how many health() answers arrive meanwhile."""
import eventlet
from nameko.standalone.rpc import ClusterRpcProxy

from services.application.service import ApplicationService
from shared.eventstore.settings import StoreSettings
from shared.eventstore.views import ViewStore
from tests.service.conftest import service_config, token

DOCUMENTS = 150_000


def big_read_model(data_dir):
    settings = StoreSettings(service="application", data_dir=str(data_dir))
    settings.prepare()
    views = ViewStore(settings.view_store_env())
    try:
        views.apply({}, [("cases", f"case-{n:06d}", {"case_id": f"case-{n:06d}", "status": "submitted",
                                                      "filed_at": f"2024-10-{1 + n % 20:02d}", "title": "x" * 200})
                         for n in range(DOCUMENTS)])
    finally:
        views.close()


def test_health_is_answered_while_a_large_listing_scans(container_factory, rabbit_config, tmp_path):
    big_read_model(tmp_path)
    container = container_factory(ApplicationService, service_config(tmp_path, rabbit_config["AMQP_URI"]))
    container.start()
    config = {"AMQP_URI": rabbit_config["AMQP_URI"], "serializer": "json"}
    officer = {"authorization": token("officer-1", "officer")}
    with ClusterRpcProxy(config, context_data=officer) as slow_rpc, ClusterRpcProxy(config) as rpc:
        rpc.application.health()                          # connections made before measuring
        listing = eventlet.spawn(slow_rpc.application.cases_by_status, status="submitted", limit=10, offset=50_000)
        answered = 0
        while not listing.dead:
            rpc.application.health()
            answered += 1
        page = listing.wait()
    assert page["total"] == DOCUMENTS and len(page["items"]) == 10
    # A blocked hub answers nothing until the scan ends; a free one answers many times.
    assert answered >= 5, answered
