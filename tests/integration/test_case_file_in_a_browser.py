"""The auditor's case file, end to end: a 昌聚工程 case told through the four running services
(services/story.py), exported with `python -m services.audit export` as a deployed auditor would
(over the portal's broker account, with an auditor token minted from configuration), and the page
rendered by a real headless browser (Debian's chromium: deploy/ensure-services.sh installs it for
the tests). The access log then shows the auditor's reads."""
import json
import os
import shutil
import subprocess
import sys

import pytest

from services.story import AWARD_FEN, Story
from services.audit.casefile import yuan
from tests.support.cluster import ROOT, eventually, running_cluster
from tests.support.flows import credit_code

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
AUDITOR = "auditor-7"

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (deploy/test.sh installs it)")


def audit(cluster, *args) -> subprocess.CompletedProcess:
    env = {**os.environ, "AMQP_URI": cluster.caller_uri, "KEYS_DIR": cluster.keys_dir, "AUDIT_ACTOR": AUDITOR}
    env.pop("AUDIT_TOKEN", None)
    return subprocess.run([sys.executable, "-m", "services.audit", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def chromium(*args) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                           "--hide-scrollbars", *args], capture_output=True, text=True, timeout=120)


def test_an_exported_case_file_renders_in_a_browser_with_the_decision(tmp_path):
    out = tmp_path / "case-file"
    with running_cluster(tmp_path / "cluster", env={"LOG_LEVEL": "WARNING"}, accounts=True) as cluster:
        facts = Story(rpc=cluster.rpc, health=cluster.health, credit_code=credit_code()).tell()
        case_id = facts["case_id"]

        def exported():   # the funding events reach every read model shortly after the story's last call
            result = audit(cluster, "export", case_id, "--out", str(out))
            assert result.returncode == 0, result.stderr
            case_file = json.loads((out / f"case-{case_id}.json").read_text(encoding="utf-8"))
            assert any(r["type"].endswith("DisbursementPaid") for r in case_file["events"])
            return case_file
        case_file = eventually(exported, timeout=30, interval=1)
        history = audit(cluster, "history", case_id)
        with cluster.rpc(AUDITOR, "auditor") as rpc:
            reads = rpc.application.access_log(case_id=case_id, limit=200)["items"]
        access = audit(cluster, "access", case_id)

    # the JSON: every service's events, each as stored and signed
    assert {r["service"] for r in case_file["events"]} == {"registration", "application", "review", "funding"}
    assert all(r["envelope"]["signature"] and r["envelope"]["position"] == r["position"] for r in case_file["events"])
    assert case_file["key_facts"]["decided_by"] == "decider-1" and case_file["key_facts"]["award_fen"] == AWARD_FEN
    assert case_file["generated_by"]["actor_id"] == AUDITOR
    decision = next(t for t in case_file["timeline"] if t["type"] == "DecisionRecorded")
    assert (decision["actor_id"], decision["role"], decision["amount_fen"]) == ("decider-1", "decision_maker", AWARD_FEN)
    assert all(t["cause"]["in_file"] for t in case_file["timeline"] if t["cause"])
    award = next(r for r in case_file["totals"] if r["obligation_id"] == "award")
    assert award["paid_fen"] == AWARD_FEN

    # the page, in a real browser: it renders, names the decision-maker and the award
    page = out / f"case-{case_id}.html"
    dom = chromium("--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "decider-1" in dom.stdout and f"¥ {yuan(AWARD_FEN)}" in dom.stdout
    assert f"Case file {case_id}" in dom.stdout
    screenshot = tmp_path / "case-file.png"
    shot = chromium(f"--screenshot={screenshot}", "--window-size=1280,3000", page.as_uri())
    assert shot.returncode == 0, shot.stderr[-2000:]
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and screenshot.stat().st_size > 20_000

    # the terminal timeline, and who looked
    assert history.returncode == 0 and "decider-1 (decision_maker)" in history.stdout
    assert {(r["actor_id"], r["entrypoint"]) for r in reads} >= {(AUDITOR, "history"), (AUDITOR, "case_events")}
    assert access.returncode == 0 and AUDITOR in access.stdout and "case_events" in access.stdout
