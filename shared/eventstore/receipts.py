"""Command receipts make writes repeatable.

A receipt's id is derived from (actor, client command id), so it is recorded in the same
transaction as the command's events: either both exist or neither. A retry finds the
receipt and gets the first result back; two racing copies of one command collide on the
receipt's version, and the loser reads the winner's receipt.
"""
from __future__ import annotations

import hashlib
import json
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from shared.eventstore.aggregate import Stream

RECEIPTS = uuid5(NAMESPACE_URL, "urn:changping:command-receipts")


def receipt_id(actor_id: str, command_id: str) -> UUID:
    return uuid5(RECEIPTS, f"{actor_id}\x1f{command_id}")


def fingerprint(entrypoint: str, payload: dict) -> str:
    canonical = json.dumps({"entrypoint": entrypoint, "payload": payload}, sort_keys=True,
                           default=str, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


class CommandReceipt(Stream):
    PUBLISHED = False  # bookkeeping, not business: never leaves the service

    @event("Recorded")
    def __init__(self, id: UUID, command_id: str, fingerprint: str, result: dict):  # noqa: A002
        # An `id` parameter makes eventsourcing use it as the aggregate id.
        self.command_id = command_id
        self.fingerprint = fingerprint
        self.result = result
