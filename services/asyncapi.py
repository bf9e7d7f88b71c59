"""Machine-readable contracts for portal teams and the funding office in any language: an AsyncAPI 3.0
document of every RPC request/reply channel and every events exchange, and a JSON Schema (draft 2020-12)
for every RPC request, reply and integration event, generated from the marshmallow contracts the
services enforce (shared/contracts/json_schema.py converts them).

    python -m services.asyncapi --out docs/     # docs/asyncapi.yaml and docs/schemas/**.json

A test fails when the committed files are not what this writes; another validates real messages
captured on a running cluster against them. Output is deterministic (sorted keys, sorted files).

How nameko 2.14 speaks AMQP (nameko/rpc.py, nameko/messaging.py, nameko/standalone/rpc.py):
a request is published to the topic exchange `nameko-rpc` with routing key `<service>.<method>`,
body `{"args": [], "kwargs": {…}}` (JSON, content type application/json), the AMQP properties
`reply_to` (the caller's reply routing key, a uuid4) and `correlation_id`, and the context data as
application headers `nameko.<key>`: the caller token (`nameko.authorization`) and the caller's
correlation id for the logs (`nameko.correlation_id`). The service replies on the same exchange with
routing key `reply_to`, the request's `correlation_id`, and body `{"result": …, "error": …}`.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml
from nameko.exceptions import serialize

from services.registry import endpoints
from shared import errors
from shared.contracts.base import SHORT
from shared.contracts.envelope import ENVELOPE, PERSONAL_FIELDS
from shared.contracts.events import CURRENT_VERSION, PAYLOADS
from shared.contracts.json_schema import END, JsonSchemas
from shared.contracts.registry import reply_schema as reply_schema_of
from shared.identity import MAX_TOKEN_LENGTH
from shared.messaging.accounts import FUNDING_OFFICE_BINDING, FUNDING_OFFICE_QUEUE, PORTAL_REPLY_QUEUE, UUID4
from shared.messaging.topology import RPC_EXCHANGE, events_exchange
from shared.platform.request import CORRELATION_HEADER, TOKEN_HEADER
from shared.platform.wire import MAX_CALL_STACK, MAX_HEADER, MAX_HEADERS
from shared.signing import MAX_SIGNATURE_LENGTH

DRAFT = "https://json-schema.org/draft/2020-12/schema"
ASYNCAPI_REF = "#/components/schemas/{}"
HEADER_PREFIX = "nameko"            # nameko.constants.HEADER_PREFIX
REPLY_QUEUE_TTL_MS = 300_000        # nameko.rpc.RPC_REPLY_QUEUE_TTL
ERROR_CODES = tuple(errors.ERROR_CODES)   # every code a caller can receive, with an example each
AMQP_BINDING = "0.3.0"


# -- the schemas ----------------------------------------------------------------------------------
def rpc_endpoints() -> list[tuple[str, str, object, str]]:
    """(service, method, contract, docstring) of every endpoint (services/registry.py)."""
    return [(e.service, e.method, e, e.doc) for e in endpoints()]


def response_schema(service: str, method: str, converter: JsonSchemas) -> dict:
    """What `result` holds: the endpoint's reply schema (shared/contracts/registry.py)."""
    return converter.of(reply_schema_of(f"{service}.{method}"))


def error_schema() -> dict:
    """A refusal as nameko serialises `shared.errors.ServiceError` (nameko.exceptions.serialize)."""
    return {
        "title": "ServiceError",
        "type": "object",
        "description": "A refusal. `exc_args` is [code, message, fields, rule] (rule is the string \"None\" when the "
                       "refusal names no rule); `value` is the same as a JSON object text "
                       "{\"code\", \"message\", \"fields\", \"rule\"?}. Nothing was changed.",
        "required": ["exc_type", "exc_path", "exc_args", "value"],
        "additionalProperties": False,
        "properties": {
            "exc_type": {"const": "ServiceError"},
            "exc_path": {"const": "shared.errors.ServiceError"},
            "exc_args": {"type": "array", "minItems": 4, "maxItems": 4,
                         "items": {"anyOf": [{"type": "string"}, {"type": "object"}]},
                         "description": "code (one of " + ", ".join(ERROR_CODES) + "), message, fields by name "
                                        "(what is wrong with each), rule"},
            "value": {"type": "string", "contentMediaType": "application/json"},
        },
        "examples": [serialize(example) for _, _, example in errors.ERROR_CODES.values()],
    }


def reply_schema(result: dict, error_ref: dict) -> dict:
    return {
        "type": "object",
        "required": ["result", "error"],
        "additionalProperties": False,
        "properties": {"result": {}, "error": {}},
        "oneOf": [
            {"title": "answered", "properties": {"result": result, "error": {"type": "null"}}},
            {"title": "refused", "properties": {"result": {"type": "null"}, "error": error_ref}},
        ],
    }


def request_headers() -> dict:
    """The context data, as the AMQP application headers nameko sends (wire.py bounds them)."""
    return {
        "title": "rpc.request.headers",
        "type": "object",
        "description": f"nameko's context data, each key as header `{HEADER_PREFIX}.<key>`; at most {MAX_HEADERS} "
                       f"headers, each a plain string of at most {MAX_HEADER} characters.",
        "maxProperties": MAX_HEADERS,
        "properties": {
            f"{HEADER_PREFIX}.{TOKEN_HEADER}": {
                "type": "string", "maxLength": MAX_TOKEN_LENGTH,
                "description": "the caller token: a compact JWT signed EdDSA by a portal's issuer key "
                               "(docs/caller-tokens.md); every endpoint but health() requires it"},
            f"{HEADER_PREFIX}.{CORRELATION_HEADER}": {
                "type": "string", "maxLength": SHORT,
                "description": "the caller's correlation id: on every log line and every event the call causes"},
            f"{HEADER_PREFIX}.call_id_stack": {
                "type": "array", "maxItems": MAX_CALL_STACK, "items": {"type": "string", "maxLength": SHORT},
                "description": "nameko's chain of call ids (optional)"},
        },
        "additionalProperties": {"type": ["string", "integer", "boolean", "null"]},
    }


def request_properties() -> dict:
    return {
        "title": "rpc.request.properties",
        "type": "object",
        "description": "The AMQP basic properties of a request (not application headers).",
        "required": ["content_type", "reply_to", "correlation_id"],
        "properties": {
            "content_type": {"const": "application/json"},
            "content_encoding": {"const": "utf-8"},
            "reply_to": {"type": "string", "pattern": f"^{UUID4}{END}",
                         "description": f"the routing key the caller's reply queue is bound with on `{RPC_EXCHANGE}`: "
                                        "a uuid4; a request without one is dropped"},
            "correlation_id": {"type": "string", "maxLength": SHORT,
                               "description": "any unique string; the reply carries it back"},
            "delivery_mode": {"enum": [1, 2]},
        },
    }


def reply_properties() -> dict:
    return {
        "title": "rpc.reply.properties",
        "type": "object",
        "description": "The AMQP basic properties of a reply.",
        "required": ["content_type", "correlation_id"],
        "properties": {
            "content_type": {"const": "application/json"},
            "correlation_id": {"type": "string", "description": "the request's correlation_id"},
        },
    }


def event_schema(converter: JsonSchemas, payload: dict, event_type: str, version: int) -> dict:
    """One event type and version as it travels: the envelope, with its type, version, source and payload
    pinned (the envelope refuses any other field, so nothing more is needed here)."""
    if "envelope" not in converter.definitions:
        converter.definitions["envelope"] = {"title": "envelope", **envelope_schema(converter)}
    return {"allOf": [{"$ref": converter.ref("envelope")}],
            "type": "object",
            "required": ["type", "schema_version", "source", "payload"],
            "properties": {"type": {"const": event_type}, "schema_version": {"const": version},
                           "source": {"const": event_type.split(".", 1)[0]}, "payload": payload}}


def event_properties() -> dict:
    return {
        "title": "event.properties",
        "type": "object",
        "description": "The AMQP basic properties of an integration event (shared/messaging/publisher.py).",
        "required": ["content_type", "delivery_mode", "message_id"],
        "properties": {
            "content_type": {"const": "application/json"},
            "delivery_mode": {"const": 2, "description": "persistent"},
            "message_id": {"type": "string", "format": "uuid", "description": "the envelope's event_id"},
        },
    }


def envelope_schema(converter: JsonSchemas) -> dict:
    """The envelope as it travels (shared/contracts/envelope.py, with `position` and `signature`)."""
    schema = converter.of(ENVELOPE)
    properties = schema["properties"]
    properties["signature"] = {
        "type": "string", "maxLength": MAX_SIGNATURE_LENGTH, "pattern": "^[A-Za-z0-9_-]+\\.\\.[A-Za-z0-9_-]+" + END,
        "description": "a compact JWS with a detached payload (RFC 7515 appendix F), EdDSA over Ed25519, by the "
                       "source's event-signing key: the signed bytes are the canonical JSON (RFC 8785) of the "
                       "envelope without `position` and `signature`. See shared/signing.py and docs/funding.md."}
    schema["required"] = sorted({*schema.get("required", ()), "position", "signature"})
    properties["payload"]["description"] = (
        "the event's facts: exactly the fields of its type and version's payload schema. A consumer ignores "
        "fields it does not know of a version it knows (docs/compatibility.md), except names of personal data "
        "(" + ", ".join(sorted(PERSONAL_FIELDS)) + "), which never travel: refuse such an event.")
    schema["description"] = ("An integration event as it travels: the envelope of shared/contracts/envelope.py, "
                              "its store position and its signature. Consumers verify the signature first, then "
                              "apply a stream's events in `sequence` order, once each (by `event_id`).")
    return schema


def _error_definition(converter: JsonSchemas) -> dict:
    converter.definitions["rpc.error"] = error_schema()
    return {"$ref": converter.ref("rpc.error")}


def standalone(build) -> dict:
    """One self-contained JSON Schema file: `build(converter)` and the definitions it nests."""
    converter = JsonSchemas()
    schema = {"$schema": DRAFT, **build(converter)}
    if converter.definitions:
        schema["$defs"] = converter.definitions
    return schema


def schema_files() -> dict[str, dict]:
    """docs/schemas/…: path relative to docs/ -> JSON Schema."""
    files = {"schemas/envelope.json": standalone(lambda c: {"title": "envelope", **envelope_schema(c)}),
             "schemas/rpc/error.json": {"$schema": DRAFT, **error_schema()}}
    for service, method, contract, _ in rpc_endpoints():
        key = f"{service}.{method}"
        files[f"schemas/rpc/{key}.request.json"] = standalone(
            lambda c, schema=contract.request: {"title": f"{key}.request", **c.of(schema)})
        files[f"schemas/rpc/{key}.reply.json"] = standalone(
            lambda c, s=service, m=method, k=key: {"title": f"{k}.reply", **reply_schema(
                response_schema(s, m, c), _error_definition(c))})
    for (event_type, version), cls in PAYLOADS.items():
        files[f"schemas/events/{event_type}.v{version}.json"] = standalone(
            lambda c, t=event_type, v=version, k=cls: {"title": f"{t}.v{v}", **event_schema(c, c.of(k()), t, v)})
    return files


# -- the AsyncAPI document --------------------------------------------------------------------------
def ref(*parts: str) -> dict:
    return {"$ref": "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)}


def exchange_binding(name: str) -> dict:
    return {"amqp": {"bindingVersion": AMQP_BINDING, "is": "routingKey",
                     "exchange": {"name": name, "type": "topic", "durable": True, "autoDelete": False, "vhost": "/"}}}


def asyncapi() -> dict:
    converter = JsonSchemas(lambda name: ASYNCAPI_REF.format(name))
    schemas: dict[str, dict] = {
        "rpc.request.headers": request_headers(),
        "rpc.request.properties": request_properties(),
        "rpc.reply.properties": reply_properties(),
        "rpc.error": error_schema(),
        "event.properties": event_properties(),
    }
    channels: dict[str, dict] = {}
    operations: dict[str, dict] = {}
    messages: dict[str, dict] = {}
    reply_channel = "rpc.reply"
    channels[reply_channel] = {
        "address": None,
        "title": "RPC replies",
        "description": f"Each caller's own reply queue, bound to `{RPC_EXCHANGE}` with the caller's `reply_to` "
                       "(a uuid4). Under the portal's broker account the queue must be named "
                       f"`rpc.reply-standalone_rpc_proxy-<that uuid4>` (nameko's standalone proxy's name; the account "
                       "may declare no other) with `x-expires`, and declared without declaring the exchange.",
        "bindings": exchange_binding(RPC_EXCHANGE),
        "messages": {},
        "x-reply-queue": {"name": "rpc.reply-standalone_rpc_proxy-{reply_to}", "pattern": f"^{PORTAL_REPLY_QUEUE}{END}",
                          "durable": True, "arguments": {"x-expires": REPLY_QUEUE_TTL_MS}},
    }
    for service, method, contract, doc in rpc_endpoints():
        key = f"{service}.{method}"
        roles = "anyone (no token)" if contract.roles is None else ", ".join(sorted(contract.roles))
        schemas[f"{key}.request"] = {"title": f"{key}.request", **converter.of(contract.request)}
        schemas[f"{key}.reply"] = {"title": f"{key}.reply", **reply_schema(
            response_schema(service, method, converter), ref("components", "schemas", "rpc.error"))}
        request_message = {
            "name": f"{key}.request", "title": f"{key} request", "contentType": "application/json",
            "summary": f"{'write' if contract.write else 'query'}; roles: {roles}",
            "description": doc or key,
            "headers": ref("components", "schemas", "rpc.request.headers"),
            "payload": {"type": "object", "required": ["args", "kwargs"], "additionalProperties": False,
                        "properties": {"args": {"type": "array", "maxItems": 0,
                                                "description": "always empty: every field is passed by name"},
                                       "kwargs": ref("components", "schemas", f"{key}.request")}},
            "correlationId": {"location": "$message.header#/correlation_id",
                              "description": "the AMQP property correlation_id (not an application header)"},
            "x-amqp-properties": ref("components", "schemas", "rpc.request.properties"),
        }
        reply_message = {
            "name": f"{key}.reply", "title": f"{key} reply", "contentType": "application/json",
            "payload": ref("components", "schemas", f"{key}.reply"),
            "correlationId": {"location": "$message.header#/correlation_id",
                              "description": "the AMQP property correlation_id: the request's"},
            "x-amqp-properties": ref("components", "schemas", "rpc.reply.properties"),
        }
        messages[f"{key}.request"] = request_message
        messages[f"{key}.reply"] = reply_message
        channel = f"rpc.{key}"
        channels[channel] = {"address": key, "title": f"{key} requests", "bindings": exchange_binding(RPC_EXCHANGE),
                             "messages": {"request": ref("components", "messages", f"{key}.request")}}
        channels[reply_channel]["messages"][key] = ref("components", "messages", f"{key}.reply")
        operations[key] = {
            "action": "receive", "title": key, "summary": request_message["summary"],
            "channel": ref("channels", channel),
            "messages": [ref("channels", channel, "messages", "request")],
            "bindings": {"amqp": {"bindingVersion": AMQP_BINDING, "deliveryMode": 2, "mandatory": True}},
            "reply": {"address": {"location": "$message.header#/reply_to",
                                  "description": "the AMQP property reply_to of the request"},
                      "channel": ref("channels", reply_channel),
                      "messages": [ref("channels", reply_channel, "messages", key)]},
        }
    office_messages = {}
    for (event_type, version), cls in sorted(PAYLOADS.items()):
        name = f"{event_type}.v{version}"
        source = event_type.split(".", 1)[0]
        schemas[f"events.{name}"] = {"title": name, **event_schema(converter, converter.of(cls()), event_type, version)}
        current = CURRENT_VERSION[event_type] == version
        messages[name] = {
            "name": name, "title": f"{event_type} v{version}", "contentType": "application/json",
            "summary": "current version" if current else f"older version (current: v{CURRENT_VERSION[event_type]})",
            "payload": ref("components", "schemas", f"events.{name}"),
            "correlationId": {"location": "$message.payload#/correlation_id"},
            "bindings": {"amqp": {"bindingVersion": AMQP_BINDING, "messageType": event_type}},
            "x-amqp-properties": ref("components", "schemas", "event.properties"),
        }
        channel = event_type
        channels.setdefault(channel, {"address": event_type, "title": f"{event_type} on {events_exchange(source).name}",
                                      "bindings": exchange_binding(events_exchange(source).name), "messages": {}})
        channels[channel]["messages"][f"v{version}"] = ref("components", "messages", name)
        operation = operations.setdefault(f"publish.{event_type}", {
            "action": "send", "title": f"{source} publishes {event_type}", "channel": ref("channels", channel),
            "messages": [], "bindings": {"amqp": {"bindingVersion": AMQP_BINDING, "deliveryMode": 2,
                                                  "mandatory": False}}})
        operation["messages"].append(ref("channels", channel, "messages", f"v{version}"))
        if source == "funding":
            office_messages[name] = ref("components", "messages", name)
    channels[FUNDING_OFFICE_QUEUE] = {
        "address": FUNDING_OFFICE_QUEUE, "title": "the funding office's queue",
        "description": f"Provisioned with the broker (shared/messaging/accounts.py), bound to "
                       f"`{events_exchange('funding').name}` with `{FUNDING_OFFICE_BINDING}`; the `funding-office` "
                       "account reads it and may do nothing else.",
        "bindings": {"amqp": {"bindingVersion": AMQP_BINDING, "is": "queue",
                              "queue": {"name": FUNDING_OFFICE_QUEUE, "durable": True, "exclusive": False,
                                        "autoDelete": False, "vhost": "/"}}},
        "messages": office_messages,
        "x-bound-to": {"exchange": events_exchange("funding").name, "routingKey": FUNDING_OFFICE_BINDING},
    }
    schemas.update(converter.definitions)
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Changping talent programmes: RPC and integration events",
            "version": "1.0.0",
            "description": "Generated by `python -m services.asyncapi --out docs/` from the contracts the services "
                           "enforce; do not edit. RPC follows nameko 2.14's AMQP conventions (services/asyncapi.py "
                           "says them in full); events are signed envelopes on `<service>.events` with the event "
                           "type as routing key. The same schemas are in docs/schemas/ as JSON Schema 2020-12 "
                           "files. A client in Node.js: clients/node/.",
        },
        "defaultContentType": "application/json",
        "servers": {"broker": {"host": "127.0.0.1:5672", "protocol": "amqp", "protocolVersion": "0.9.1",
                               "description": "RabbitMQ; each caller connects as its own account (README, "
                                              "\"Broker accounts\")"}},
        "channels": channels,
        "operations": operations,
        "components": {"schemas": schemas, "messages": messages},
    }


def render_yaml(document: dict) -> str:
    return yaml.safe_dump(document, sort_keys=True, allow_unicode=True, width=120, default_flow_style=False)


def render_json(schema: dict) -> str:
    return json.dumps(schema, sort_keys=True, ensure_ascii=False, indent=2) + "\n"


def outputs() -> dict[str, str]:
    """Every generated file, by path relative to docs/."""
    files = {"asyncapi.yaml": render_yaml(asyncapi())}
    files.update({path: render_json(schema) for path, schema in schema_files().items()})
    return dict(sorted(files.items()))


def write(out: Path) -> list[str]:
    """Writes the files under `out`, removing generated schema files that no longer exist."""
    files = outputs()
    for stale in sorted((out / "schemas").rglob("*.json")) if (out / "schemas").exists() else ():
        if str(stale.relative_to(out)) not in files:
            stale.unlink()
    for path, text in files.items():
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return list(files)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.asyncapi", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("docs"), help="the docs folder (default: docs)")
    args = parser.parse_args(argv)
    written = write(args.out)
    print(f"wrote {len(written)} files under {args.out}/ (asyncapi.yaml, schemas/)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
