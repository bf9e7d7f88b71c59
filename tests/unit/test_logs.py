"""Structured logs: one JSON object per line, with the same keys on every line."""
import io
import json
import logging

import pytest
import structlog

from shared import logs


@pytest.fixture
def lines():
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    stream = io.StringIO()
    logs.configure_logging("review", level="DEBUG", stream=stream)
    logs.clear()
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logs.clear()
    root.handlers[:], level = saved
    root.setLevel(level)
    structlog.reset_defaults()


def test_every_line_has_service_entrypoint_case_and_correlation(lines):
    logs.get_logger("test").info("hello", answer=42)
    [line] = lines()
    assert line["event"] == "hello" and line["answer"] == 42 and line["level"] == "info"
    assert line["service"] == "review"
    assert {key: line[key] for key in ("entrypoint", "case_id", "correlation_id")} == dict.fromkeys(
        ("entrypoint", "case_id", "correlation_id"))
    assert "timestamp" in line


def test_bound_context_applies_inside_and_is_gone_after(lines):
    log = logs.get_logger("test")
    with logs.bound(case_id="case-1", correlation_id="corr-1", entrypoint=None):
        log.info("inside")
    log.info("outside")
    inside, outside = lines()
    assert (inside["case_id"], inside["correlation_id"], inside["entrypoint"]) == ("case-1", "corr-1", None)
    assert (outside["case_id"], outside["correlation_id"]) == (None, None)


def test_library_lines_are_rendered_the_same_way(lines):
    with logs.bound(correlation_id="corr-2"):
        logging.getLogger("kombu.connection").warning("reconnecting in %s s", 2)
    [line] = lines()
    assert line["event"] == "reconnecting in 2 s"
    assert (line["service"], line["correlation_id"], line["case_id"]) == ("review", "corr-2", None)


def test_nameko_tracebacks_for_expected_refusals_are_dropped(lines):
    logging.getLogger("nameko.containers").warning("(expected) error handling worker %s: %s", "w", "e")
    logging.getLogger("nameko.containers").error("error handling worker %s: %s", "w", "boom")
    assert [line["event"] for line in lines()] == ["error handling worker w: boom"]


def test_exceptions_are_logged_as_text_in_the_line(lines):
    try:
        raise ValueError("bad value")
    except ValueError:
        logs.get_logger("test").exception("failed")
    [line] = lines()
    assert "ValueError: bad value" in line["exception"]


def test_unicode_stays_readable(lines):
    logs.get_logger("test").info("审核通过")
    assert lines()[0]["event"] == "审核通过"
