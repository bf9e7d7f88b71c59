"""Structured JSON logs: one object per line, with service, entrypoint, case id and
correlation id on every line (null where a line has none, so every line has the keys).

Context is held in contextvars; greenlets each have their own context, so a worker's
bindings never leak into another worker. Lines from nameko, kombu and eventsourcing go
through the same renderer.

No line carries personal data. The code logs ids and facts only; as a second line of defence,
`redact_personal` (the last step before rendering, tracebacks included) replaces the value of
any field named like personal data (PERSONAL_FIELDS, at any depth) and any ID number (18
characters whose check character holds) or mainland mobile number inside a string with
`[redacted]`.
"""
from __future__ import annotations

import logging
import re
import sys
from contextlib import contextmanager

import structlog

ALWAYS = ("service", "entrypoint", "case_id", "correlation_id")
_service_name: str | None = None

REDACTED = "[redacted]"
PERSONAL_FIELDS = frozenset({
    "talent", "talent_name", "expert_name", "person_name", "full_name", "contact", "contact_name",
    "id_number", "id_card", "passport_number", "phone", "mobile", "telephone", "email",
    "birth_date", "birthday", "born_on", "date_of_birth", "spine_text",
})
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _id_number(match: re.Match) -> str:
    text = match.group()
    check = "10X98765432"[sum(int(d) * w for d, w in zip(text[:17], _WEIGHTS)) % 11]
    return REDACTED if check == text[17].upper() else text


def _scrub(value, depth: int = 0):
    if isinstance(value, str):
        return _MOBILE.sub(REDACTED, _ID_NUMBER.sub(_id_number, value))
    if depth > 8:
        return value
    if isinstance(value, dict):
        return {k: REDACTED if str(k).lower() in PERSONAL_FIELDS else _scrub(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(v, depth + 1) for v in value]
    return value


def redact_personal(_, __, event_dict):
    """Personal fields and personal-looking numbers out of the line (see the module's docstring)."""
    return _scrub(event_dict)


def _add_logger_name(_, __, event_dict):
    """Our loggers carry their name bound as `logger_name`; stdlib records carry it as .name."""
    record = event_dict.get("_record")
    name = event_dict.pop("logger_name", None) or (record.name if record is not None else None)
    if name:
        event_dict["logger"] = name
    return event_dict


def _ensure_keys(_, __, event_dict):
    event_dict.setdefault("service", _service_name)
    for key in ALWAYS:
        event_dict.setdefault(key, None)
    return event_dict


def configure_logging(service: str, level: str | int = "INFO", stream=None) -> None:
    global _service_name
    _service_name = service
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        _add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _ensure_keys,
    ]
    stream = stream or sys.stderr
    numeric_level = logging.getLevelName(level.upper()) if isinstance(level, str) else level
    # Our own lines: rendered by structlog directly, and dropped before any rendering when
    # below the level (the filtering logger's methods for those levels do nothing).
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, redact_personal,
                    structlog.processors.JSONRenderer(ensure_ascii=False)],
        logger_factory=structlog.WriteLoggerFactory(stream),
        wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
        cache_logger_on_first_use=True,
    )
    # Lines from nameko, kombu and eventsourcing: the same JSON through the stdlib handler.
    handler = logging.StreamHandler(stream)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redact_personal,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
    ))
    handler.addFilter(_drop_expected_worker_errors)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric_level)


def _drop_expected_worker_errors(record: logging.LogRecord) -> bool:
    """nameko logs each expected (declared) refusal with a traceback; our endpoint already
    logged it as one 'refused' line with its code, so the traceback is noise."""
    return not (record.name == "nameko.containers" and str(record.msg).startswith("(expected) error"))


def get_logger(name: str = "app"):
    # bound lazily, so a module-level logger made before configure_logging() still obeys it
    return structlog.get_logger(logger_name=name)


def bind(**values) -> None:
    structlog.contextvars.bind_contextvars(**{k: v for k, v in values.items() if v is not None})


@contextmanager
def bound(**values):
    tokens = structlog.contextvars.bind_contextvars(**{k: v for k, v in values.items() if v is not None})
    try:
        yield
    finally:
        structlog.contextvars.reset_contextvars(**tokens)


def clear() -> None:
    structlog.contextvars.clear_contextvars()
