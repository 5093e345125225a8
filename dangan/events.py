"""Webhooks: events (record.filed, record.destroyed, preservation.failed: a 四性检测
run found failing items) delivered to the business
system, signed, retried with growing delays until they are taken.

Events are written by the catalog in the same transaction as the change they
report (catalog/sql.py `emit_event`); this module fans them out to the
registered webhooks and delivers them. A delivery is retried until the
receiver answers 2xx or MAX_ATTEMPTS have failed; each attempt is recorded."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import secrets
from datetime import UTC, datetime, timedelta

from dangan import webhook_url
from dangan.catalog.stores.webhooks import WebhookRows
from dangan.errors import DanganError, ExitCode
from dangan.periodic import Periodic
from dangan.webhook_url import AddressRefused, Allow

log = logging.getLogger(__name__)

EVENT_KINDS = ("record.filed", "record.destroyed", "preservation.failed")
MAX_ATTEMPTS = 8
BASE_DELAY_S = 10  # 10 s, 20 s, 40 s … between attempts
TIMEOUT_S = 10


class WebhookError(DanganError):
    exit_code = ExitCode.INVALID_INPUT
    http_status = 422
    code = "webhook"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class Webhooks:
    def __init__(self, catalog, base_delay_s: float = BASE_DELAY_S, allow: Allow | None = None):
        self.catalog = catalog
        self.rows = WebhookRows(catalog)
        self.base_delay_s = base_delay_s
        self.allow = allow or Allow()  # DANGAN_WEBHOOK_ALLOW: intranet targets let through

    def add(self, url: str, events: list[str]) -> tuple[int, str]:
        """Register `url` for `events` from now on; returns (id, signing secret)."""
        if not url.startswith(("http://", "https://")):
            raise WebhookError(f"回调地址“{url}”必须以 http:// 或 https:// 开头。")
        try:
            webhook_url.check(url, self.allow)
        except AddressRefused as exc:
            raise WebhookError(exc.message) from None
        unknown = [e for e in events if e not in EVENT_KINDS]
        if not events or unknown:
            raise WebhookError(
                f"事件类型无效：{'、'.join(unknown) or '（未指定）'}。可用：{'、'.join(EVENT_KINDS)}。"
            )
        secret = secrets.token_hex(24)
        with self.catalog.transaction() as conn:
            webhook_id = self.rows.add(conn, url, ",".join(events), secret, _iso(datetime.now(UTC)))
        return webhook_id, secret

    def remove(self, webhook_id: int) -> None:
        with self.catalog.transaction() as conn:
            found = self.rows.disable(conn, webhook_id)
        if not found:
            raise WebhookError(f"没有编号为 {webhook_id} 的回调。")

    def list(self) -> list[dict]:
        rows = self.rows.summaries(MAX_ATTEMPTS)
        return [{**dict(r), "events": r["events"].split(",")} for r in rows]

    def _fan_out(self, now: datetime) -> None:
        # No enabled webhook: nothing to fan out, so no write lock and no scan of
        # the events (a 10 M-record archive holds tens of millions; that scan held
        # the write lock past the 60 s busy timeout, and audit appends failed).
        if not self.rows.any_enabled():
            return
        with self.catalog.transaction() as conn:
            self.rows.fan_out(conn, _iso(now))

    def deliver_due(self, now: datetime | None = None) -> dict:
        """One pass: fan out new events, attempt every delivery that is due."""
        now = now or datetime.now(UTC)
        self._fan_out(now)
        due = self.rows.due(_iso(now), MAX_ATTEMPTS)
        counts = {"delivered": 0, "failed": 0}
        for row in due:
            body = json.dumps(
                {
                    "event": row["kind"],
                    "id": row["event_seq"],
                    "at": row["created_at"],
                    "data": json.loads(row["payload"]),
                },
                ensure_ascii=False,
            ).encode()
            error = _post(
                row["url"], body, row["kind"], row["event_seq"], row["secret"], self.allow
            )
            attempts = row["attempts"] + 1
            with self.catalog.transaction() as conn:
                if error is None:
                    self.rows.delivered(
                        conn, row["event_seq"], row["webhook_id"], attempts, _iso(now)
                    )
                    counts["delivered"] += 1
                else:
                    delay = timedelta(seconds=self.base_delay_s * 2 ** (attempts - 1))
                    self.rows.failed(
                        conn, row["event_seq"], row["webhook_id"], attempts,
                        _iso(now + delay), error,
                    )  # fmt: skip
                    counts["failed"] += 1
                    log.warning("webhook %s: attempt %d failed: %s", row["url"], attempts, error)
        return counts


def _post(url: str, body: bytes, kind: str, seq: int, secret: str, allow: Allow) -> str | None:
    """One attempt; None when taken, else what went wrong. The address is
    checked again now (DNS may have changed since registration) and the
    connection goes to the address checked; redirects are not followed."""
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "X-Dangan-Event": kind,
        "X-Dangan-Delivery": str(seq),
        "X-Dangan-Signature": sign(secret, body),
    }
    try:
        status = webhook_url.post(url, body, headers, allow, TIMEOUT_S)
    except AddressRefused as exc:
        return exc.message
    except (OSError, http.client.HTTPException) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None if 200 <= status < 300 else f"HTTP {status}"


def delivery_worker(webhooks: Webhooks, interval: float = 5) -> Periodic:
    """Delivers due webhooks every `interval` seconds in a background thread."""
    return Periodic("webhooks", webhooks.deliver_due, interval)
