"""Crypto-shredding end to end, on the running services: a programme A case walked to its scheduled
payments, its talent erased by an operator; then history, the case, the funding record and a read
model rebuilt from zero show `erased` where the talent's fields were, while every amount, rule and
date stays and the stream replays. Nothing personal is ever in clear in any store file."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from services import samples
from shared.privacy import ERASED
from tests.support.cluster import ROOT, command_id, eventually, running_cluster
from tests.support.flows import walk_case
from tests.support.stores import open_app

REASON = "PIPL art. 47: the retention period has ended and the talent asked for erasure"
IN_CLEAR = [samples.TALENT_NAME.encode(), b"1972-03-15", samples.CONTACT["id_number"].encode(),
            samples.CONTACT["phone"].encode()]


def history(cluster, case_id) -> list[dict]:
    with cluster.rpc("auditor-1", "auditor") as rpc:
        return rpc.application.history(case_id=case_id)["entries"]


def first(entries, kind: str) -> dict:
    return next(entry for entry in entries if entry["type"] == kind)


def money(cluster, case_id) -> dict:
    with cluster.rpc("auditor-1", "auditor") as rpc:
        return {"entitlements": rpc.funding.entitlements(case_id=case_id),
                "disbursements": rpc.funding.disbursements(case_id=case_id)}


def stored_in_clear(data_dir: Path) -> list[str]:
    """Store files (events, read models, keystores, their WAL) holding a personal value in clear."""
    found = []
    for path in data_dir.rglob("*"):
        if path.is_file() and ".sqlite" in path.name:
            content = path.read_bytes()
            found += [f"{path.name}: {value.decode()}" for value in IN_CLEAR if value in content]
    return found


def test_erasing_a_talent_keeps_the_record_and_shreds_the_person(tmp_path):
    with running_cluster(tmp_path) as cluster:
        case_id = walk_case(cluster)
        before = history(cluster, case_id)
        assert first(before, "TalentDeclared")["data"]["talent"]["name"] == samples.TALENT_NAME
        paid_before = money(cluster, case_id)
        assert stored_in_clear(tmp_path) == []

        with cluster.rpc("ops-1", "operator") as rpc:
            erased = rpc.application.erase_person(command_id=command_id(), case_id=case_id, legal_reason=REASON)
        assert erased["destroyed"]["data_keys"] == 1

        after = history(cluster, case_id)
        talent = first(after, "TalentDeclared")["data"]["talent"]
        assert (talent["name"], talent["birth_date"]) == (ERASED, ERASED)
        assert talent["commits_years"] == samples.talent()["commits_years"]          # facts stay
        age_check = next(c for c in first(after, "Submitted")["data"]["assessment"]["checks"]
                         if c["rule"] == "A.talent.age")
        assert age_check["inputs"]["birth_date"] == ERASED and age_check["inputs"]["age"] == 52 and age_check["passed"]
        assert first(after, "PaperDeliveryRecorded")["data"]["delivery"]["spine_text"] == ERASED
        assert [(e["sequence"], e["type"], e["occurred_at"]) for e in after] == \
            [(e["sequence"], e["type"], e["occurred_at"]) for e in before]           # every entry stays
        assert money(cluster, case_id) == paid_before                                # every amount stays

        with cluster.rpc("auditor-1", "auditor") as rpc:
            published = rpc.application.events_after(position=0, limit=1000)["events"]
        shred = [e for e in published if e["type"] == "application.person.Erased"]
        assert [e["payload"] for e in shred] == [{"person_id": erased["person_id"]}]   # the id, nothing else
        assert REASON not in json.dumps(published, ensure_ascii=False)

        with cluster.rpc("ops-1", "operator") as rpc:   # review and funding took it without parking anything
            for service in ("review", "funding"):
                eventually(lambda: getattr(rpc, service).health()["position"] >= 0)
                assert getattr(rpc, service).parked_events()["items"] == []

        cluster.kill("application")
        rebuilt = subprocess.run([sys.executable, "-m", "services.rebuild", "application"], cwd=ROOT,
                                 env={**os.environ, **cluster.env}, capture_output=True, text=True, timeout=120)
        assert rebuilt.returncode == 0, rebuilt.stderr

        app = open_app(tmp_path, "application")                                       # the stream replays
        try:
            case = app.case(case_id)
            assert case.status == "disbursement_scheduled" and case.talent["name"] == ERASED
            assert len(list(app.events.get(case.id))) == len(before)
        finally:
            app.close()
            app.vault.keystore.close()
        assert stored_in_clear(tmp_path) == []
