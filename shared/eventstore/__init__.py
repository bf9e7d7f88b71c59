"""Event-store plumbing on top of the `eventsourcing` library: the aggregate base that
stamps every event with who/why/when, each service's Application, its storage settings,
idempotent commands and the read-model (projection) store."""
