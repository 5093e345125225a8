"""Tickets for the embedded case view (业务系统嵌入查看).

The business system runs on another host, so its frame gets no dangan cookie
(SameSite=Strict). With its API token it asks for a ticket for one case
(业务流水号); the ticket rides in the frame's URL, names the token, the case
and an expiry, and is signed (HMAC-SHA256) with a key from the KeyStore. A
ticket opens that case's records only, read-only, for a few minutes, and
dies with the token that asked for it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass

from dangan.access.store import Forbidden
from dangan.errors import DanganError

MAX_MINUTES = 30


class TicketInvalid(DanganError):
    http_status = 403
    code = "ticket"


@dataclass(frozen=True)
class Ticket:
    token_id: int
    serial: str
    expires: int  # epoch seconds


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue(token_id: int, serial: str, minutes: int, now: float | None = None) -> Ticket:
    if not 1 <= minutes <= MAX_MINUTES:
        raise DanganError(f"有效期应为 1–{MAX_MINUTES} 分钟。")
    return Ticket(token_id, serial, int((now or time.time()) + minutes * 60))


def encode(key: bytes, ticket: Ticket) -> str:
    payload = json.dumps(
        {"t": ticket.token_id, "c": ticket.serial, "e": ticket.expires}, separators=(",", ":")
    ).encode()
    mac = hmac.new(key, payload, hashlib.sha256).digest()
    return f"{_b64(payload)}.{_b64(mac)}"


def decode(key: bytes, text: str, now: float | None = None) -> Ticket:
    """The ticket, if its signature holds and it has not expired."""
    try:
        body, mac = text.split(".", 1)
        payload = _unb64(body)
        good = hmac.compare_digest(_unb64(mac), hmac.new(key, payload, hashlib.sha256).digest())
        data = json.loads(payload) if good else None
        ticket = Ticket(int(data["t"]), str(data["c"]), int(data["e"])) if data else None
    except (ValueError, KeyError, TypeError):
        ticket = None
    if ticket is None:
        raise TicketInvalid("查看链接无效。请从业务系统重新打开。")
    if ticket.expires < (now or time.time()):
        raise TicketInvalid("查看链接已过期。请从业务系统重新打开。")
    return ticket


def require_scope(ticket: Ticket, record_cases: list[str] | None) -> None:
    """A ticket opens the records of its own case only."""
    if ticket.serial not in (record_cases or []):
        raise Forbidden(f"此链接只能查看业务流水号 {ticket.serial} 的档案。")
