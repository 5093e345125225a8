"""The business system: attach scans to a case, list them, events to a webhook."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from conftest import login
from dangan.api.app import create_app
from dangan.catalog.base import PageText, Record
from dangan.retention.filing import apply_filing
from fastapi.testclient import TestClient

from dangan.access.store import SqliteAccountStore
from dangan.archive import Archive
from dangan.config import Settings
from dangan.events import MAX_ATTEMPTS, WebhookError, Webhooks
from dangan.webhook_url import Allow

LOOPBACK = Allow.parse("127.0.0.1")  # the test receiver: allowed explicitly (DANGAN_WEBHOOK_ALLOW)


class Receiver:
    """A webhook receiver on loopback that fails the first `fail` requests."""

    def __init__(self, fail: int):
        self.fail = fail
        self.received: list[tuple[dict, bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.received.append((dict(self.headers), body))
                status = 500 if len(outer.received) <= outer.fail else 204
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


def _file(archive, rid, status_conf=1.0):
    record = Record(
        id=rid,
        sha256=rid.ljust(64, "0"),
        filename=f"{rid}.png",
        media_type="image/png",
        size=1,
        page_count=1,
        title="参保单位登记表",
        ocr_mode="ocr",
        created_at="2026-01-01T00:00:00+00:00",
        pages=[PageText(1, "参保单位登记表")],
    )
    apply_filing(
        record,
        doc_type="unit_registration",
        confidence=status_conf,
        fields={"business_date": "2024-01-01", "serial": "YB1"},
        schedule=archive.schedule(),
        policy=archive.filing_policy(),
        today=date(2026, 1, 1),
    )
    archive.catalog.add_record(record)


def test_filed_records_reach_the_webhook_signed_and_retried_until_taken(tmp_path: Path):
    archive = Archive.open(Settings.from_env({"DANGAN_HOME": str(tmp_path / "h")}))
    receiver = Receiver(fail=2)
    try:
        _file(archive, "before")  # before registration: not sent
        hooks = Webhooks(archive.catalog, base_delay_s=10, allow=LOOPBACK)
        hook_id, secret = hooks.add(receiver.url, ["record.filed"])
        _file(archive, "r1")
        _file(archive, "r2", status_conf=0.1)  # review, not filed: no event
        now = datetime.now(UTC)
        assert hooks.deliver_due(now) == {"delivered": 0, "failed": 1}
        assert hooks.deliver_due(now) == {"delivered": 0, "failed": 0}  # not due yet
        assert hooks.deliver_due(now + timedelta(seconds=11)) == {"delivered": 0, "failed": 1}
        assert hooks.deliver_due(now + timedelta(seconds=32)) == {"delivered": 1, "failed": 0}
        headers, body = receiver.received[-1]
        event = json.loads(body)
        assert event["event"] == "record.filed" and event["data"]["record_id"] == "r1"
        assert event["data"]["archival_code"] == "Q001-YW·2024-Y-GL-0002"
        expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        assert headers["X-Dangan-Signature"] == expected
        # a clerk files the doubtful one: that is an event too
        from dangan.ingest.review import confirm

        confirm(archive, "r2")
        assert hooks.deliver_due(now + timedelta(seconds=40))["delivered"] == 1
        assert json.loads(receiver.received[-1][1])["data"]["record_id"] == "r2"
        (listed,) = hooks.list()
        assert listed["delivered"] == 2 and listed["pending"] == 0
        with pytest.raises(WebhookError):
            hooks.add("ftp://x", ["record.filed"])
        with pytest.raises(WebhookError):
            hooks.add(receiver.url, ["record.eaten"])
    finally:
        receiver.close()
        archive.close()


def test_a_receiver_that_never_answers_is_given_up_after_the_last_attempt(tmp_path: Path):
    archive = Archive.open(Settings.from_env({"DANGAN_HOME": str(tmp_path / "h")}))
    receiver = Receiver(fail=10**6)
    try:
        hooks = Webhooks(archive.catalog, base_delay_s=1, allow=LOOPBACK)
        hooks.add(receiver.url, ["record.filed"])
        _file(archive, "r1")
        moment = datetime.now(UTC)
        for _ in range(MAX_ATTEMPTS + 3):
            hooks.deliver_due(moment)
            moment += timedelta(hours=1)
        assert len(receiver.received) == MAX_ATTEMPTS
        assert hooks.list()[0]["failed"] == 1
    finally:
        receiver.close()
        archive.close()


def test_a_business_system_attaches_a_scan_to_a_case_and_lists_it(tmp_path: Path, corpus):
    settings = Settings.from_env({"DANGAN_HOME": str(tmp_path / "h"), "DANGAN_OCR_JOBS": "2"})
    archive = Archive.open(settings)
    token = SqliteAccountStore(archive.catalog).issue_token("经办系统", "system", "t")[1]
    archive.close()
    doc = next(d for d in corpus if d.format == "png")
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(settings)) as client:
        files = [("files", (doc.path.name, doc.path.read_bytes(), "image/png"))]
        attached = client.post("/api/cases/yb-2026-0001/records", files=files, headers=headers)
        assert attached.status_code == 200, attached.text
        (result,) = attached.json()["results"]
        assert result["status"] == "archived"
        listed = client.get("/api/cases/YB-2026-0001/records", headers=headers).json()
        assert [h["record_id"] for h in listed["hits"]] == [result["record_id"]]
        # the same scan attached to a second case: one record, in both cases
        again = client.post("/api/cases/YB-2026-0002/records", files=files, headers=headers)
        assert again.json()["results"][0]["status"] == "duplicate"
        second = client.get("/api/cases/YB-2026-0002/records", headers=headers).json()
        assert [h["record_id"] for h in second["hits"]] == [result["record_id"]]
        bad = client.get("/api/cases/x/records", headers=headers)
        assert bad.status_code == 422 and "业务流水号" in bad.json()["error"]
        # the embeddable case view, for a person logged in to dangan
        login(client, "caseworker")
        page = client.get("/cases/YB-2026-0001", params={"embed": 1})
        assert page.status_code == 200 and "业务档案" in page.text
        assert 'class="top"' not in page.text  # no navigation inside the business system
