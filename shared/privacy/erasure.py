"""Erasure by key (crypto-shredding): an operator's command, with its legal reason, recorded as an
event; the person's data keys, index entries and record subjects destroyed in this service, and
in every service that follows it (the integration event carries the person's random id only).

Every event, amount, rule and date stays; every stream stays replayable; the person's fields read
`erased` everywhere from then on (shared/privacy/vault.py). The keys are destroyed before the
erasure is recorded: if the recording fails, the client retries the command (same command id) and
it is recorded then; an erasure is never recorded while the keys still exist.
"""
from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from shared.contracts.commands import command_of
from shared.contracts.platform import ErasePerson as ErasePersonSchema
from shared.errors import forbidden, not_found
from shared.eventstore.aggregate import Stream
from shared.eventstore.application import handles

ERASURES = uuid5(NAMESPACE_URL, "urn:changping:erasures")
ErasePerson = command_of(ErasePersonSchema)


def erasure_id(person_id) -> UUID:
    return uuid5(ERASURES, str(person_id))


class Erasure(Stream):
    """The erasures of one person in this service (a person may be erased again after new data)."""
    STREAM = "person"

    @event("Erased")
    def __init__(self, id: UUID, person_id: str, legal_reason: str, destroyed: dict):  # noqa: A002
        self.person_id, self.erasures = person_id, 1

    def again(self, legal_reason: str, destroyed: dict) -> None:
        self._erased_again(person_id=self.person_id, legal_reason=legal_reason, destroyed=destroyed)

    @event("ErasedAgain")
    def _erased_again(self, person_id: str, legal_reason: str, destroyed: dict) -> None:
        self.erasures += 1

    @classmethod
    def case_id_of(cls, event) -> str | None:
        return None


class Erasing:
    """Mixed into the Applications that hold personal data and take erasure requests."""

    ACCESS = None   # the service's access table, where it takes erasure requests (registration, application)

    @handles(ErasePerson)
    def erase_person(self, command, uow) -> dict:
        if self.ACCESS is None:
            raise forbidden(f"{self.name} takes no erasure requests", rule="roles")
        self.ACCESS.check("erase_person", uow.actor)
        person_id = self.person_named(command)
        destroyed = self.vault.erase(person_id)
        erasure = uow.find(erasure_id(person_id))
        if erasure is None:
            uow.add(Erasure(id=erasure_id(person_id), person_id=person_id, legal_reason=command.legal_reason,
                            destroyed=destroyed))
        else:
            erasure.again(command.legal_reason, destroyed)
            uow.add(erasure)
        return {"person_id": person_id, "destroyed": destroyed}

    def person_named(self, command) -> str:
        if command.person_id is not None:
            return str(command.person_id)
        if command.id_number is not None:
            person = self.vault.find_person(command.id_number)
            if person is None:
                raise not_found("person with this ID number", "(not shown)")
            return person
        person = self.vault.keystore.find_subject(str(command.case_id))
        if person is None:
            raise not_found("talent of case (erased already, or no personal data recorded)", command.case_id)
        return person

    def erasure_handlers(self, *sources: str) -> dict:
        """Inbound: a person erased in a source is erased here too (nothing recorded but the tracking)."""
        return {f"{source}.person.{kind}": self._person_erased_elsewhere
                for source in sources for kind in ("Erased", "ErasedAgain")}

    def _person_erased_elsewhere(self, envelope, uow) -> None:
        if self.vault is not None:
            self.vault.erase(str(envelope["payload"]["person_id"]))
