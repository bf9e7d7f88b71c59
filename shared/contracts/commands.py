"""Commands as data: each write's validated payload as a frozen dataclass.

A command class is derived from the write's RPC schema, so its fields are the schema's fields
(less `command_id`, which identifies the request rather than the command, and travels in the
event metadata, and `after`, which says when to handle it, not what):

    Submit = command_of(contracts.Submit)      # Submit(case_id=..., expected_version=None)

The schema stays the one place where a field is declared and validated; the Application's
handler for the class (`@handles(Submit)`) receives the object.
"""
from __future__ import annotations

import copy
from dataclasses import asdict, field, make_dataclass

from marshmallow import missing


REQUEST_ONLY = ("command_id", "after")


class Command:
    """The base of every command class."""

    def to_dict(self, *leave_out: str) -> dict:
        """The command's fields as a dict, without `expected_version` and the named ones."""
        return {k: v for k, v in asdict(self).items() if k not in ("expected_version", *leave_out)}


def command_of(schema_class) -> type[Command]:
    """The command class of a write schema; an optional field defaults as the schema loads it."""
    declared = [(name, object, _default(f)) for name, f in schema_class().fields.items() if name not in REQUEST_ONLY]
    command_class = make_dataclass(schema_class.__name__, declared, bases=(Command,), frozen=True, kw_only=True)
    command_class.__module__ = schema_class.__module__.replace("shared.contracts.", "commands.")
    command_class.__doc__ = f"The command of `{schema_class.__module__}.{schema_class.__name__}`."
    return command_class


def _default(schema_field):
    if schema_field.required:
        return field()
    default = schema_field.load_default
    if default is missing:
        return field(default=None)
    if callable(default):
        return field(default_factory=default)
    return field(default_factory=lambda: copy.deepcopy(default))
