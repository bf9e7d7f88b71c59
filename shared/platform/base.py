"""What every service has, as mixins for the nameko service classes.

`PlatformService`: health, catch-up (`events_after`), the parked-event list and replay.
`InboxService`: the consumer of the service's inbox queue, for services that follow others.
"""
from __future__ import annotations

from shared.access import PLATFORM_ROWS
from shared.contracts import platform as contracts
from shared.errors import validation_error
from shared.messaging.translate import envelopes_after
from shared.platform.access_log import reads_field, reads_items
from shared.platform.endpoints import command, public, query
from shared.platform.event_index import CASE_EVENTS, STREAM_EVENTS, indexed_envelopes
from shared.platform.inbox import InboxReceiver, inbox_consumer
from shared.messaging.parked import parked_id
from shared.platform.parking import PARKED, replay
from shared.platform.request import Request

CATCH_UP_ROLES = tuple(PLATFORM_ROWS["events_after"])   # no caller token carries "system" (shared/identity.py)


class PlatformService:
    request = Request()
    # each service adds:  store = EventStore(ItsApplication)

    @public(contracts.Health)
    def health(self, call):
        return self.store.health()

    @query(contracts.EventsAfter, roles=CATCH_UP_ROLES, reads=reads_items("case_id", key="events"))
    def events_after(self, call):
        """Integration events after a store position, for a consumer catching up."""
        events, last = envelopes_after(self.store.service, self.store.app, call.data["position"], call.data["limit"])
        return {"events": events, "last_position": last}

    @query(contracts.CaseEvents, roles=tuple(PLATFORM_ROWS["case_events"]), reads=reads_field("case_id"))
    def case_events(self, call):
        """One case's events recorded by this service (its case streams, and other events naming the
        case), oldest first, each with its full envelope as relayed: position, signature, actor,
        business and record time. Pages of `limit`; pass `next_after` back as `after` for the next
        (null: no more). An unknown case has no events here (an empty list, not an error)."""
        d = call.data
        return {"case_id": str(d["case_id"]),
                **indexed_envelopes(self.store, CASE_EVENTS, str(d["case_id"]), d["after"], d["limit"])}

    @query(contracts.StreamEvents, roles=tuple(PLATFORM_ROWS["stream_events"]), reads=reads_field("stream_id"))
    def stream_events(self, call):
        """One stream's events (a unit's registration and audits, a pool expert) with their full
        envelopes, oldest first, paged as `case_events`. Case streams are read with `case_events`."""
        d = call.data
        return {"stream_id": str(d["stream_id"]),
                **indexed_envelopes(self.store, STREAM_EVENTS, str(d["stream_id"]), d["after"], d["limit"])}

    @query(contracts.AccessLog, roles=tuple(PLATFORM_ROWS["access_log"]))
    def access_log(self, call):
        """Who read personal data through this service: one row per subject an answer held (a case, a
        unit, an expert, a cooperation), with the reader (actor, role, unit), the query, the wall-clock
        and business time and the correlation id, oldest first, paged. Give `case_id`, `subject_id` or
        `actor_id` (or several). Rows reach the table within `ACCESS_LOG.flush_seconds` of the read
        (this instance's are written before answering). docs/audit.md."""
        d = call.data
        where = {column: str(d[column]) for column in ("case_id", "subject_id", "actor_id") if d[column]}
        if not where:
            raise validation_error({"case_id": ["give case_id, subject_id or actor_id"]})
        self.store.access_log.flush()
        return self.store.access_log.table.page(where, d["limit"], d["offset"])

    @query(contracts.ParkedEvents, roles=tuple(PLATFORM_ROWS["parked_events"]), reads=reads_items("case_id"))
    def parked_events(self, call):
        return self.store.views.page(PARKED, {"status": call.data["status"]}, order_by="parked_at",
                                     limit=call.data["limit"], offset=call.data["offset"])

    @command(contracts.ReplayParked, roles=tuple(PLATFORM_ROWS["replay_parked"]))
    def replay_parked(self, call):
        """Send parked events back to the inbox, which verifies each one's signature again."""
        event_id = call.data["event_id"] and str(call.data["event_id"])
        where = {"status": "parked", **({"event_id": event_id} if event_id else {})}
        items, _ = self.store.views.find(PARKED, where, order_by="parked_at", limit=10_000)
        wanted = {str(parked_id(event_id)): event_id} if event_id else {}   # without waiting for the list
        for item in items:   # a refused (unsigned, forged) event is parked under its own key
            wanted[item.get("parked_id") or str(parked_id(str(item["event_id"])))] = str(item["event_id"])
        replayed = [eid for key, eid in wanted.items() if replay(self.store, call.meta, eid, key)]
        return {"replayed": replayed}


class InboxService:
    inbox = InboxReceiver()

    @inbox_consumer
    def receive(self, body):
        self.inbox.receive(body)
