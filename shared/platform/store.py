"""`EventStore`: the dependency that owns a service's store and everything that follows it.

On setup it prepares the storage and builds the service's Application, its projections
(read models), the outbox relay and the inbox. On start it runs the relay and the
projection runners as managed green threads, woken after every commit. On stop it stops
them and closes the stores (psycopg_pool's threads complain at exit otherwise).
"""
from __future__ import annotations

from dataclasses import dataclass

from nameko.extensions import DependencyProvider

from shared import policy
from shared.config import Settings
from shared.eventstore.projection import ProjectionRunner
from shared.eventstore.settings import StoreSettings
from shared.eventstore.views import ViewStore
from shared.logs import configure_logging, get_logger
from shared.messaging.inbox import Inbox
from shared.messaging.publisher import BatchPublisher, Publisher
from shared.messaging.relay import Relay
from shared.messaging.translate import EventSigning
from shared.platform.parking import ParkedProjection
from shared.platform.signals import dump_stacks_on_sigusr1, guard_after_start
from shared.signing import EventVerifier, event_keys

READ_YOUR_WRITES_TIMEOUT = 2.0


@dataclass
class Store:
    """What a worker sees of the store."""
    service: str
    settings: StoreSettings
    app: object
    views: ViewStore
    projections: ProjectionRunner
    relay: Relay
    inbox: Inbox
    retry_publisher: Publisher
    lease: object = None
    verifier: EventVerifier | None = None   # checks every inbound event's signature (shared/signing.py)

    def wait_for(self, position: int, timeout: float = READ_YOUR_WRITES_TIMEOUT) -> bool:
        return self.projections.wait_for(position, timeout)

    def close(self) -> None:
        """Close everything, each part on its own: an error here would make nameko stop the
        container a second time, and nameko 2.14 hangs when it does."""
        for part, close in (("relay", self.relay.follower.stop), ("projections", self.projections.follower.stop),
                            ("relay publisher", self.relay.publisher.close),
                            ("retry publisher", self.retry_publisher.close), ("read models", self.views.close),
                            ("event store", self.app.close), ("lease", self.lease.release)):
            try:
                close()
            except Exception:
                get_logger("store").exception("could not close cleanly", part=part)

    def health(self) -> dict:
        return {
            "service": self.service,
            "store": self.settings.describe(),
            "position": self.app.position(),
            "relay_position": self.relay.position,
            "relay_paused": self.relay.paused,
            "projections": self.projections.positions(),
            "business_time": self.app.clock.now().isoformat(),
            "runs_followers": self.lease.is_leader(),
        }


def build_store(config: Settings, service: str, application_class, busy=None) -> Store:
    """Prepare the storage and wire the Application, projections, relay and inbox.
    `busy()` tells the followers that workers are serving calls (see Follower)."""
    policy.configure(config.policy_dirs)   # PolicyError: a released edition changed; refuse to start, naming it
    signer, verifier = event_keys(config.keys_dir, service)   # KeyProblem: refuse to start, saying why
    settings = StoreSettings.of(config, service)
    settings.prepare()
    lease = settings.lease()
    if settings.kind == "sqlite":
        lease.acquire_or_refuse()   # one process per SQLite store, before anything opens it
    app = application_class(env=settings.event_store_env(), clock=config.clock.clock(), settings=config)
    app.sign_event = EventSigning(service, signer)
    get_logger("store").info("signing with key", kid=signer.kid, first_position=app.position() + 1)
    views = ViewStore(settings.view_store_env())
    poll = config.relay_poll_seconds
    projections = ProjectionRunner(app, views, (*app.projections(), ParkedProjection()), poll, busy=busy)
    relay = Relay(service, app, views, BatchPublisher(config.amqp_uri, service, ssl=config.amqp_ssl),
                  batch_size=config.relay_batch_size,
                  poll_seconds=poll, busy=busy, paused=config.relay_paused)
    for follower in (relay.follower, projections.follower):
        follower.leader = lease.is_leader
        app.on_commit(follower.wake)
    return Store(service=service, settings=settings, app=app, views=views, projections=projections, relay=relay,
                 inbox=Inbox(service, app, app.inbound_handlers()),
                 retry_publisher=Publisher(config.amqp_uri, service, ssl=config.amqp_ssl), lease=lease,
                 verifier=verifier)


class EventStore(DependencyProvider):
    def __init__(self, application_class):
        self.application_class = application_class
        self.store: Store | None = None

    def setup(self):
        config = Settings.of(self.container)
        configure_logging(self.container.service_name, config.log_level)
        # nameko keeps its running workers in _worker_threads; followers let them finish first
        self.store = build_store(config, self.container.service_name, self.application_class,
                                 busy=lambda: bool(self.container._worker_threads))
        get_logger("store").info("store ready", **self.store.settings.describe())
        # What this service owns, in setup: nameko starts all extensions at once, and the inbox
        # consumer binds to the sources' exchanges, which must exist by then (topology.py)
        self.store.relay.publisher.declare_topology()

    def start(self):
        self.container.spawn_managed_thread(self.store.relay.follower.run)
        self.container.spawn_managed_thread(self.store.projections.follower.run)
        guard_after_start()
        dump_stacks_on_sigusr1()

    def stop(self):
        if self.store is not None:   # close once, however often nameko stops us
            store, self.store = self.store, None
            store.close()

    def get_dependency(self, worker_ctx):
        return self.store
