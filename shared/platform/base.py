"""What every service has, as mixins for the nameko service classes.

`PlatformService`: health, catch-up (`events_after`), the parked-event list and replay.
`InboxService`: the consumer of the service's inbox queue, for services that follow others.
"""
from __future__ import annotations

from shared.access import PLATFORM_ROWS
from shared.contracts import platform as contracts
from shared.messaging.translate import envelopes_after
from shared.platform.endpoints import command, public, query
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

    @query(contracts.EventsAfter, roles=CATCH_UP_ROLES)
    def events_after(self, call):
        """Integration events after a store position, for a consumer catching up."""
        events, last = envelopes_after(self.store.service, self.store.app, call.data["position"], call.data["limit"])
        return {"events": events, "last_position": last}

    @query(contracts.ParkedEvents, roles=tuple(PLATFORM_ROWS["parked_events"]))
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
