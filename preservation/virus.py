"""The pluggable virus scan: ClamAV's clamd over its socket (INSTREAM).

DANGAN_CLAMD names the daemon: `unix:/run/clamav/clamd.ctl` (or a bare socket
path) or `tcp://host:3310`. Unset, every scan answers NOT_RUN with 未配置: the
report never claims a scan that did not happen."""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterable

from dangan.preservation.items import FAIL, NOT_RUN, PASS, WARNING

CHUNK = 1 << 20


class Scanner:
    def __init__(self, address: str | None, timeout: float = 60):
        self.address = address
        self.timeout = timeout

    @property
    def configured(self) -> bool:
        return bool(self.address)

    def _connect(self) -> socket.socket:
        address = self.address or ""
        if address.startswith("tcp://"):
            host, _, port = address[len("tcp://") :].rpartition(":")
            sock = socket.create_connection((host, int(port)), timeout=self.timeout)
        else:
            path = address[len("unix:") :] if address.startswith("unix:") else address
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(self.timeout)
            sock.connect(path.removeprefix("//"))
        return sock

    def _command(self, sock: socket.socket, command: bytes) -> None:
        sock.sendall(b"z" + command + b"\0")

    @staticmethod
    def _reply(sock: socket.socket) -> str:
        data = b""
        while not data.endswith(b"\0"):
            part = sock.recv(4096)
            if not part:
                break
            data += part
        return data.rstrip(b"\0").decode("utf-8", "replace").strip()

    def version(self) -> str | None:
        if not self.configured:
            return None
        try:
            with self._connect() as sock:
                self._command(sock, b"VERSION")
                return self._reply(sock)
        except OSError:
            return None

    def scan(self, chunks: Iterable[bytes]) -> tuple[str, str]:
        """(outcome, evidence) for the bytes."""
        if not self.configured:
            return NOT_RUN, "未配置病毒扫描（DANGAN_CLAMD 未设置），未检测。"
        try:
            with self._connect() as sock:
                self._command(sock, b"INSTREAM")
                for chunk in chunks:
                    for start in range(0, len(chunk), CHUNK):
                        part = chunk[start : start + CHUNK]
                        sock.sendall(struct.pack("!L", len(part)) + part)
                sock.sendall(struct.pack("!L", 0))
                reply = self._reply(sock)
        except OSError as exc:
            return WARNING, f"无法连接病毒扫描服务 {self.address}（{exc}），本次未扫描。"
        if reply.endswith("OK"):
            return PASS, "ClamAV 扫描未发现病毒。"
        if reply.endswith("FOUND"):
            name = reply.split(":", 1)[-1].removesuffix("FOUND").strip()
            return FAIL, f"ClamAV 发现病毒：{name}。"
        return WARNING, f"ClamAV 返回：{reply}。"
