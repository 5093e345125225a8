"""A two-node Elasticsearch cluster on this machine for the scale benchmark:
scripts/services/elasticsearch.sh started twice, on loopback, with separate
ports and data folders. Node 1 is master-eligible and holds data; node 2 holds
data only. Indexes get 2 primary shards and 1 replica: each node holds a full
copy (one primary and one replica of the other shard), so when node 2 dies the
replicas on node 1 are promoted and every document is still there.

Why node 2 is not master-eligible: with two master-eligible nodes the voting
configuration holds only one of them, so losing that one stops the cluster
either way; a third master-eligible node (or a voting-only tiebreaker) is what
lets any single node die.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

SCRIPT = Path(__file__).parent.parent / "scripts" / "services" / "elasticsearch.sh"
SHARDS, REPLICAS = 2, 1


class Cluster:
    def __init__(self, data: Path, base_port: int = 9210, heap: str = "1g"):
        self.data = data
        self.heap = heap
        self.nodes = {n: {"http": base_port + n, "transport": base_port + 100 + n} for n in (1, 2)}

    @property
    def url(self) -> str:
        return ",".join(f"http://127.0.0.1:{n['http']}" for n in self.nodes.values())

    def _env(self, n: int) -> dict:
        seeds = ",".join(f"127.0.0.1:{m['transport']}" for m in self.nodes.values())
        env = {
            **os.environ,
            "DANGAN_TEST_ES_NODE": f"bench-{n}",
            "DANGAN_TEST_ES_PORT": str(self.nodes[n]["http"]),
            "DANGAN_TEST_ES_TRANSPORT": str(self.nodes[n]["transport"]),
            "DANGAN_TEST_ES_SEEDS": seeds,
            "DANGAN_TEST_ES_MASTERS": "bench-1",
            "DANGAN_TEST_ES_CLUSTER": "dangan-bench",
            "DANGAN_TEST_ES_DATA": str(self.data / f"node-{n}"),
            "ES_JAVA_HEAP": self.heap,
        }
        if n == 2:
            env["DANGAN_TEST_ES_ROLES"] = "data,ingest"
        return env

    def start(self) -> None:
        procs = [
            subprocess.Popen(["bash", str(SCRIPT), "start"], env=self._env(n)) for n in self.nodes
        ]
        if any(p.wait() for p in procs):
            raise RuntimeError("the Elasticsearch cluster did not start")
        self.wait_nodes(2)
        self.disk_watermarks()

    def disk_watermarks(self) -> None:
        """Free space, not a share of the disk, decides where shards may go.
        Both nodes share one disk here, so the default percentages (no new
        shard past 85 % used) would refuse the replica copy of a 10 M index on
        a disk that still has tens of GB free. A 10 M catalog and its index with
        a replica leave only a few GB of this machine's 92 GB free, and a node
        back from the failover must get its replica again; a node still stops
        taking writes when under 1 GB is left."""
        from elasticsearch import Elasticsearch

        es = Elasticsearch(self.url.split(","))
        es.cluster.put_settings(
            persistent={
                "cluster.routing.allocation.disk.watermark.low": "5gb",
                "cluster.routing.allocation.disk.watermark.high": "3gb",
                "cluster.routing.allocation.disk.watermark.flood_stage": "1gb",
            }
        )

    def start_node(self, n: int) -> None:
        subprocess.run(["bash", str(SCRIPT), "start"], env=self._env(n), check=True)

    def stop(self) -> None:
        for n in self.nodes:
            subprocess.run(["bash", str(SCRIPT), "stop"], env=self._env(n), check=False)

    def pid(self, n: int) -> int:
        cache = Path(os.environ.get("DANGAN_TEST_SERVICES_CACHE", Path.home() / ".cache/dangan"))
        return int((cache / "elasticsearch" / f"bench-{n}.pid").read_text().strip())

    def kill(self, n: int) -> None:
        """kill -9: no clean shutdown, as a crash or a pulled plug."""
        os.kill(self.pid(n), signal.SIGKILL)

    def wait_nodes(self, count: int, timeout: float = 120) -> None:
        from elasticsearch import Elasticsearch

        es = Elasticsearch(self.url.split(","))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if es.cluster.health()["number_of_nodes"] >= count:
                    return
            except Exception:
                pass
            time.sleep(1)
        raise RuntimeError(f"the cluster did not reach {count} nodes")
