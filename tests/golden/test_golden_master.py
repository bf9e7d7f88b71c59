"""Behaviour unchanged, proven (issue 9): both stories, run in process, must produce exactly
the replies, stored events and read models recorded in golden_master.json (see harness.py
for what is captured and how it is normalised).

    .venv/bin/python -m pytest tests/golden -q                   # compare (a few seconds)
    GOLDEN_RECORD=1 .venv/bin/python -m pytest tests/golden      # rewrite golden_master.json

Re-record only when a change of behaviour is intended, and review the file's diff: it is
the behaviour being approved. On failure the test prints a unified diff of the first
differences; the full new rendering is written beside the golden file as
golden_master.actual.json (not committed) for a closer look.
"""
from __future__ import annotations

import difflib
import os

import pytest

from tests.golden.harness import GOLDEN_FILE, record, render

DIFF_LINES = 120
ACTUAL_FILE = GOLDEN_FILE.with_name("golden_master.actual.json")


def test_both_stories_behave_exactly_as_recorded():
    actual = render(record())
    if os.environ.get("GOLDEN_RECORD") == "1":
        GOLDEN_FILE.write_text(actual, encoding="utf-8")
        ACTUAL_FILE.unlink(missing_ok=True)
        pytest.skip(f"recorded {GOLDEN_FILE.name} ({actual.count(chr(10))} lines)")
    assert GOLDEN_FILE.exists(), f"no {GOLDEN_FILE.name}: record it with GOLDEN_RECORD=1"
    expected = GOLDEN_FILE.read_text(encoding="utf-8")
    if actual == expected:
        ACTUAL_FILE.unlink(missing_ok=True)
        return
    ACTUAL_FILE.write_text(actual, encoding="utf-8")
    diff = list(difflib.unified_diff(expected.splitlines(), actual.splitlines(), GOLDEN_FILE.name,
                                     "this run", n=6, lineterm=""))
    shown = "\n".join(diff[:DIFF_LINES])
    more = f"\n... {len(diff) - DIFF_LINES} more diff lines; the whole run is in {ACTUAL_FILE}" \
        if len(diff) > DIFF_LINES else f"\n(the whole run is in {ACTUAL_FILE})"
    pytest.fail(f"behaviour differs from the golden master:\n{shown}{more}", pytrace=False)
