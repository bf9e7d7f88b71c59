"""The contracts between services and with their callers: marshmallow schemas for every RPC
payload and every integration event, and the envelope every event travels in."""
