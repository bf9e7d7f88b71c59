import pytest

from tests.support.cluster import running_cluster


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """The four services as real processes, on a private vhost and data folder."""
    with running_cluster(tmp_path_factory.mktemp("cluster")) as running:
        yield running
