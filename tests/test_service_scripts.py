"""The test-server scripts themselves: what the bench and the test setup rely on."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
pytestmark = pytest.mark.slow  # compiles the Elasticsearch launcher (jars from ~/.m2)


def test_two_nodes_starting_at_once_build_elasticsearch_once_not_into_each_other(tmp_path):
    # the bench's cluster starts both nodes together on a fresh machine: two
    # builds sharing one build.tmp deleted each other's jars and neither started
    env = {**os.environ, "DANGAN_TEST_SERVICES_CACHE": str(tmp_path)}
    script = ROOT / "scripts" / "services" / "elasticsearch.sh"
    builds = [
        subprocess.Popen(["bash", str(script), "build"], env=env, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    errors = [p.communicate(timeout=600)[1] for p in builds]
    assert [p.returncode for p in builds] == [0, 0], errors
    cache = tmp_path / "elasticsearch"
    assert (cache / "build.stamp").is_file() and not (cache / "build.tmp").exists()
    assert list((cache / "lib").glob("elasticsearch-8*.jar"))
    assert list((cache / "home" / "modules" / "modules-lite").glob("*.jar"))
    assert sum("building" in e for e in errors) == 1  # the second found the first's build
