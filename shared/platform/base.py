"""What every service has, as mixins for the nameko service classes.

`PlatformService`: health, catch-up (`events_after`), the parked-event list and replay.
`InboxService`: the consumer of the service's inbox queue, for services that follow others.
"""
from __future__ import annotations

from shared.contracts import platform as contracts
from shared.messaging.translate import envelopes_after
from shared.platform.endpoints import command, public, query
from shared.platform.inbox import InboxReceiver, inbox_consumer
from shared.platform.parking import PARKED, replay
from shared.platform.request import Request

CATCH_UP_ROLES = ("auditor", "operator")   # no caller token carries "system" (shared/identity.py)


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

    @query(contracts.ParkedEvents, roles=("operator",))
    def parked_events(self, call):
        return self.store.views.page(PARKED, {"status": call.data["status"]}, order_by="parked_at",
                                     limit=call.data["limit"], offset=call.data["offset"])

    @command(contracts.ReplayParked, roles=("operator",))
    def replay_parked(self, call):
        if call.data["event_id"]:
            wanted = [str(call.data["event_id"])]
        else:
            items, _ = self.store.views.find(PARKED, {"status": "parked"}, order_by="parked_at", limit=10_000)
            wanted = [item["event_id"] for item in items]
        replayed = [event_id for event_id in wanted if replay(self.store, call.meta, event_id)]
        return {"replayed": replayed}


class InboxService:
    inbox = InboxReceiver()

    @inbox_consumer
    def receive(self, body):
        self.inbox.receive(body)
