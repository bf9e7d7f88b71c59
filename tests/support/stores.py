"""Reading what services recorded, straight from their stores (for fault tests: counted, not assumed)."""
from __future__ import annotations

from collections import Counter

from services.catalog import APPLICATIONS
from shared.messaging.parked import ParkedEvent
from shared.eventstore.settings import StoreSettings


def open_app(data_dir, service: str, keys_dir=None):
    """The service's Application on its SQLite store, with its keystore (the cluster's keys are in
    <data_dir>/keys), so personal fields read as the service reads them."""
    import os

    from shared.config import Settings
    from shared.privacy import attach

    app = APPLICATIONS[service](env=StoreSettings(service=service, data_dir=str(data_dir)).event_store_env())
    keys_dir = str(keys_dir or os.path.join(str(data_dir), "keys"))
    if os.path.exists(os.path.join(keys_dir, "privacy-keys.json")):
        attach(app, Settings(keys_dir=keys_dir, data_dir=str(data_dir)), service)
    return app


def recorded_events(data_dir, service: str) -> list:
    """Every domain event in a service's SQLite store, in notification order."""
    app = open_app(data_dir, service)
    try:
        events, start = [], 1
        while batch := app.recorder.select_notifications(start=start, limit=1000):
            events.extend(app.mapper.to_domain_event(n) for n in batch)
            start = batch[-1].id + 1
        return events
    finally:
        app.close()


def effects_per_inbound_event(events) -> Counter:
    """How many times each inbound integration event took effect (keyed by its id).

    One handling records its effects together, beginning with one event of one stream and kind
    (funding's answer to a decision begins with EntitlementsGranted, then sets deadlines and
    schedules the award); a second handling would begin with that event again. Parking
    records are bookkeeping about an event, not its effect."""
    first_effect, handled = {}, Counter()
    for event in events:
        cause = event.meta.get("causation_id")
        if not cause or isinstance(event, ParkedEvent.Event):
            continue
        effect = (str(event.originator_id), type(event).__qualname__)
        if first_effect.setdefault(cause, effect) == effect:
            handled[cause] += 1
    return handled


def applied_twice(events) -> dict:
    return {event_id: n for event_id, n in effects_per_inbound_event(events).items() if n > 1}


def all_documents(views, collections) -> dict:
    return {(collection, doc_key(doc)): doc for collection in collections
            for doc in views.find(collection, limit=10**9)[0]}


def doc_key(doc: dict) -> str:
    return str(doc.get("case_id") or doc.get("unit_id") or doc.get("idempotency_key") or doc.get("event_id"))


def live_and_rebuilt_projections(data_dir, service: str, scratch_dir) -> tuple[dict, dict]:
    """The service's read models as they stand, and as rebuilt from its events into scratch_dir."""
    from shared.eventstore.projection import ProjectionRunner
    from shared.eventstore.views import ViewStore
    from shared.platform.projections import platform_projections

    app = open_app(data_dir, service)
    StoreSettings(service=service, data_dir=str(scratch_dir)).prepare()
    live = ViewStore(StoreSettings(service=service, data_dir=str(data_dir)).view_store_env())
    fresh = ViewStore(StoreSettings(service=service, data_dir=str(scratch_dir)).view_store_env())
    try:
        projections = (*app.projections(), *platform_projections())
        runner = ProjectionRunner(app, fresh, projections)
        while runner.step():
            pass
        collections = [c for p in projections for c in p.collections]
        return all_documents(live, collections), all_documents(fresh, collections)
    finally:
        for closable in (app, live, fresh):
            closable.close()
