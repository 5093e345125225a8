"""Webhooks may not point the server at itself or the intranet (SSRF) unless
DANGAN_WEBHOOK_ALLOW lets them; the address is checked again at delivery."""

from __future__ import annotations

import pytest
from conftest import run_cli
from test_integration import LOOPBACK, Receiver, _file

from dangan.archive import Archive
from dangan.config import Settings
from dangan.errors import ConfigError, ExitCode
from dangan.events import WebhookError, Webhooks
from dangan.webhook_url import Allow

INTERNAL = [
    "http://127.0.0.1:8000/hook",
    "http://localhost/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.1.2.3/hook",
    "http://192.168.0.10/hook",
    "http://100.64.0.1/hook",
    "http://0.0.0.0/hook",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[fd00:ec2::254]/hook",
    "http://2130706433/hook",  # 127.0.0.1 as one number
]


@pytest.fixture
def archive(tmp_path):
    archive = Archive.open(Settings.from_env({"DANGAN_HOME": str(tmp_path / "h")}))
    yield archive
    archive.close()


@pytest.mark.parametrize("url", INTERNAL)
def test_internal_addresses_are_refused_in_chinese(archive, url):
    with pytest.raises(WebhookError) as err:
        Webhooks(archive.catalog).add(url, ["record.filed"])
    assert "DANGAN_WEBHOOK_ALLOW" in err.value.message and "内部" in err.value.message
    assert Webhooks(archive.catalog).list() == []


@pytest.mark.parametrize("url", ["file:///etc/passwd", "gopher://example.org/", "http:///x"])
def test_other_schemes_are_refused(archive, url):
    with pytest.raises(WebhookError):
        Webhooks(archive.catalog).add(url, ["record.filed"])


def test_a_delivery_pass_without_webhooks_takes_no_write_lock(archive):
    """At 10 M records the fan-out scanned every event inside a write
    transaction on each pass, and audit appends failed (database is locked)."""
    import sqlite3

    other = sqlite3.connect(archive.catalog.db.path, isolation_level=None, timeout=0.1)
    other.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    try:
        assert Webhooks(archive.catalog).deliver_due() == {"delivered": 0, "failed": 0}
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_the_allow_list_lets_the_agencys_business_system_through(archive):
    allow = Allow.parse("10.20.0.0/16, localhost")
    hooks = Webhooks(archive.catalog, allow=allow)
    hooks.add("http://10.20.3.4:8080/hook", ["record.filed"])
    hooks.add("http://localhost:9000/hook", ["record.filed"])
    with pytest.raises(WebhookError):
        hooks.add("http://10.21.0.1/hook", ["record.filed"])
    assert len(hooks.list()) == 2


def test_the_address_is_checked_again_at_delivery(archive):
    receiver = Receiver(fail=0)
    try:
        Webhooks(archive.catalog, allow=LOOPBACK).add(receiver.url, ["record.filed"])
        _file(archive, "r1")
        # the allow-list no longer covers the address (or DNS now answers an internal one)
        counts = Webhooks(archive.catalog).deliver_due()
        assert counts == {"delivered": 0, "failed": 1} and receiver.received == []
        error = archive.catalog.connection().execute("SELECT last_error FROM deliveries").fetchone()
        assert "内部" in error[0]
        assert Webhooks(archive.catalog, allow=LOOPBACK).deliver_due()["failed"] == 0
    finally:
        receiver.close()


def test_the_cli_refuses_and_the_setting_allows(tmp_path):
    home = tmp_path / "h"
    refused = run_cli(home, "webhooks", "add", "http://127.0.0.1:9/x", "--event", "record.filed")
    assert refused.returncode == ExitCode.INVALID_INPUT and "DANGAN_WEBHOOK_ALLOW" in refused.stderr
    allowed = run_cli(
        home,
        *("webhooks", "add", "http://127.0.0.1:9/x", "--event", "record.filed"),
        env={"DANGAN_WEBHOOK_ALLOW": "127.0.0.0/8"},
    )
    assert allowed.returncode == 0, allowed.stderr
    with pytest.raises(ConfigError, match="DANGAN_WEBHOOK_ALLOW"):
        Settings.from_env({"DANGAN_HOME": str(home), "DANGAN_WEBHOOK_ALLOW": "10.0.0.0/33"})
