"""`python -m services.rebuild`: a read model rebuilt from position zero equals the one it replaces,
whether the service is stopped (rebuilt by the command) or running (rebuilt by the service)."""
import os
import subprocess
import sys

from tests.support.cluster import ROOT, running_cluster
from tests.support.flows import walk_case
from tests.support.stores import all_documents

COLLECTIONS = ["cases", "parked"]


def documents(cluster):
    from shared.eventstore.settings import StoreSettings
    from shared.eventstore.views import ViewStore

    views = ViewStore(StoreSettings(service="application", data_dir=str(cluster.data_dir)).view_store_env())
    try:
        return all_documents(views, COLLECTIONS)
    finally:
        views.close()


def rebuild(cluster, *args):
    return subprocess.run([sys.executable, "-m", "services.rebuild", "application", *args],
                          cwd=ROOT, env={**os.environ, **cluster.env}, capture_output=True, text=True, timeout=120)


def test_rebuild_while_stopped_and_while_running(tmp_path):
    with running_cluster(tmp_path) as cluster:
        for _ in range(3):
            walk_case(cluster)
        before = documents(cluster)
        assert len([key for key in before if key[0] == "cases"]) == 3

        online = rebuild(cluster, "case_status")
        assert online.returncode == 0, online.stderr
        assert "by the running service" in online.stdout
        assert documents(cluster) == before

        cluster.kill("application")
        offline = rebuild(cluster)
        assert offline.returncode == 0, offline.stderr
        assert "here (the service is not running)" in offline.stdout
        assert "event" in offline.stderr          # tqdm's bar
        assert documents(cluster) == before
