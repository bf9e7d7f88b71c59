"""A service's personal data at rest: the inventory's fields sealed under each person's data key
when an event is stored, opened when it is read (or read as `erased` once the key is gone), and
the same for the few personal values a read model keeps.

`PersonalDataMapper` is the event mapper of every service's Application (shared/eventstore/
application.py): eventsourcing calls it for every event stored and every event read, so
aggregates, history, exports, the relay and rebuilt projections all see the same thing. Events
are sealed once, when recorded, and never re-sealed.
"""
from __future__ import annotations

from eventsourcing.persistence import Mapper, MapperDeserialisationError, StoredEvent, find_id_convertor
from eventsourcing.utils import get_topic, resolve_topic

from shared.privacy.inventory import ERASED, copy_along, locate, personal_events
from shared.privacy.keystore import Keystore
from shared.privacy.sealing import Unreadable, associated_data, is_sealed, open_sealed, seal

ID_NUMBERS = "id"   # one index for every role a person plays: the same ID number is the same person


class Vault:
    """The service's keystore. `ENCRYPT` is a switch of the benchmark harness only (bench/plaintext.py),
    never of the configuration: a deployment always seals."""
    ENCRYPT = True

    def __init__(self, service: str, keystore: Keystore):
        self.service, self.keystore = service, keystore
        self.personal = personal_events(service)

    # -- people -------------------------------------------------------------------------------
    def person_for_id_number(self, id_number: str) -> str:
        """The person an ID number names (found through the keyed index, or made)."""
        return self.keystore.person_for(ID_NUMBERS, id_number)

    def find_person(self, id_number: str) -> str | None:
        return self.keystore.find_person(ID_NUMBERS, id_number)

    def subject(self, entry, stream_id: str, state: dict) -> str:
        """Whose key seals this event's personal fields (the inventory's `subject`); the key is made
        with the record's person in one keystore transaction when new."""
        if entry.subject == "stream":
            return stream_id
        if entry.subject == "record":
            return self.keystore.record_key(stream_id)[0]
        found = locate(state, entry.subject.split(":", 1)[1])
        if not found:
            return self.keystore.record_key(stream_id)[0]
        container, key = found[0]
        return self.keystore.record_key(stream_id, self.person_for_id_number(container[key]))[0]

    def erase(self, person_id: str) -> dict:
        return self.keystore.erase(person_id)

    # -- sealing ------------------------------------------------------------------------------
    def seal_value(self, person_id: str, plaintext: bytes, stream: str, version, field: str) -> dict:
        kid, key = self.keystore.key_for(str(person_id))
        return seal(key, kid, plaintext, associated_data(self.service, stream, version, field, kid))

    def open_value(self, sealed: dict, stream: str, version, field: str) -> bytes | None:
        """The plaintext, or None if the person was erased. Unreadable if the value was moved or altered."""
        key = self.keystore.key_by_kid(sealed["kid"])
        if key is None:
            return None
        return open_sealed(key, sealed, associated_data(self.service, stream, version, field, sealed["kid"]))

    # -- read models --------------------------------------------------------------------------
    def seal_for_view(self, person_id: str, value: str, collection: str, doc_key: str, field: str) -> dict | str:
        """A personal text a read model keeps, sealed under the person's key (plain when the
        benchmark switch is off)."""
        if not self.ENCRYPT or value is None:
            return value
        return self.seal_value(person_id, value.encode(), f"view:{collection}", doc_key, field)

    def open_from_view(self, value, collection: str, doc_key: str, field: str):
        if not is_sealed(value):
            return value
        plaintext = self.open_value(value, f"view:{collection}", doc_key, field)
        return ERASED if plaintext is None else plaintext.decode()


class PersonalDataMapper(Mapper):
    """eventsourcing's mapper, sealing the inventory's fields of each personal event it stores and
    opening them when it reads. Without a vault (an Application built bare, in unit tests) it
    stores plainly and refuses to read a sealed value."""

    def __init__(self, *args, service: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.personal = personal_events(service)
        self.vault: Vault | None = None

    def to_stored_event(self, domain_event) -> StoredEvent:
        vault = self.vault
        entry = None if vault is None or not vault.ENCRYPT else self.personal.get(type(domain_event).__qualname__)
        if entry is None:
            return super().to_stored_event(domain_event)
        event_state = dict(vars(domain_event))
        originator_id = event_state.pop("originator_id")
        originator_version = event_state.pop("originator_version")
        class_version = getattr(type(domain_event), "class_version", 1)
        if class_version > 1:
            event_state["class_version"] = class_version
        event_state = self._seal(entry, str(originator_id), originator_version, event_state)
        stored_state = self.transcoder.encode(event_state)
        if self.compressor:
            stored_state = self.compressor.compress(stored_state)
        if self.cipher:
            stored_state = self.cipher.encrypt(stored_state)
        return StoredEvent(originator_id=originator_id, originator_version=originator_version,
                           topic=get_topic(type(domain_event)), state=stored_state)

    def _seal(self, entry, stream: str, version: int, state: dict) -> dict:
        present = [path for path in entry.fields if locate(state, path)]
        if not present:
            return state
        person = self.vault.subject(entry, stream, state)
        for path in present:
            state = copy_along(state, path)
            for container, key in locate(state, path):
                plaintext = self.transcoder.encode({"v": container[key]})
                container[key] = self.vault.seal_value(person, plaintext, stream, version, path)
        return state

    def to_domain_event(self, stored_event: StoredEvent):
        """The library's, with the personal fields opened between decoding and upcasting."""
        cls = resolve_topic(stored_event.topic)
        stored_state = stored_event.state
        try:
            if self.cipher:
                stored_state = self.cipher.decrypt(stored_state)
            if self.compressor:
                stored_state = self.compressor.decompress(stored_state)
            event_state = self.transcoder.decode(stored_state)
        except Exception as e:
            raise MapperDeserialisationError(
                f"Failed to deserialise state of stored event with topic '{stored_event.topic}', originator_id "
                f"'{stored_event.originator_id}' and originator_version {stored_event.originator_version}: {e}"
            ) from e
        entry = self.personal.get(cls.__qualname__)
        if entry is not None:
            self._open(entry, str(stored_event.originator_id), stored_event.originator_version, event_state)
        event_state["originator_id"] = find_id_convertor(cls, type(stored_event.originator_id))(
            stored_event.originator_id)
        event_state["originator_version"] = stored_event.originator_version
        class_version = getattr(cls, "class_version", 1)
        from_version = event_state.pop("class_version", 1)
        while from_version < class_version:
            getattr(cls, f"upcast_v{from_version}_v{from_version + 1}")(event_state)
            from_version += 1
        domain_event = object.__new__(cls)
        object.__setattr__(domain_event, "__dict__", event_state)
        return domain_event

    def _open(self, entry, stream: str, version: int, state: dict) -> None:
        """Every sealed personal field of `state` opened in place (ERASED once the key is gone)."""
        for path in entry.fields:
            for container, key in locate(state, path):
                if not is_sealed(container[key]):
                    continue   # stored before encryption, or by the benchmark with encryption off
                if self.vault is None:
                    raise Unreadable(f"{stream} v{version} holds a sealed {path} and this Application has no "
                                     "keystore (build it through shared.privacy.attach)")
                plaintext = self.vault.open_value(container[key], stream, version, path)
                container[key] = ERASED if plaintext is None else self.transcoder.decode(plaintext)["v"]
