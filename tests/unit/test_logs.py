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


# -- no personal data -----------------------------------------------------------------------------
ID_NUMBER = "11010519491231002X"        # its check character holds


def test_personal_fields_are_redacted_at_any_depth(lines):
    logs.get_logger("test").info("declared", talent={"name": "王晓明", "birth_date": "1972-03-15"},
                                 delivery={"copies": 5, "spine_text": "某公司 王晓明"}, contact_phone_ok=1,
                                 form={"contact": {"phone": "13800138000"}, "category": "outstanding"})
    line = lines()[-1]
    assert line["talent"] == "[redacted]" and line["delivery"] == {"copies": 5, "spine_text": "[redacted]"}
    assert line["form"] == {"contact": "[redacted]", "category": "outstanding"} and line["contact_phone_ok"] == 1
    assert "王晓明" not in json.dumps(line, ensure_ascii=False)


def test_id_and_mobile_numbers_are_redacted_in_any_text_and_traceback(lines):
    logs.get_logger("test").info(f"expert {ID_NUMBER} called from 13912345678", position=12345678901)
    try:
        raise ValueError(f"bad id {ID_NUMBER.lower()}")
    except ValueError:
        logs.get_logger("test").exception("failed")
    logging.getLogger("nameko.other").warning("a library says 13800138000 and %s", ID_NUMBER)
    found = lines()
    text = json.dumps(found, ensure_ascii=False)
    assert ID_NUMBER not in text and ID_NUMBER.lower() not in text and "13912345678" not in text
    assert "13800138000" not in text and found[0]["position"] == 12345678901
    assert found[0]["event"] == "expert [redacted] called from [redacted]"


def test_numbers_that_only_look_like_an_id_number_stay():
    almost = ID_NUMBER[:-1] + "1"      # the check character does not hold
    assert logs.redact_personal(None, None, {"event": f"ref {almost}"})["event"] == f"ref {almost}"
