"""Moving events between services: the topology, the outbox relay and the inbox."""
