"""Where a webhook may point, and a POST that goes exactly where was checked.

A webhook makes the server send requests on a registrant's behalf, so its
address is checked: http or https only, and every address the host name
resolves to must be public, unless DANGAN_WEBHOOK_ALLOW lets it (the agency's
business system is often on an intranet address: list its network or host
there). Loopback, link-local (cloud metadata at 169.254.169.254), private,
shared, multicast and reserved ranges are refused otherwise.

The check runs again at every delivery, and the connection goes to the very
address that passed it (no second lookup a rebinding DNS server could answer
differently); redirects are not followed."""

from __future__ import annotations

import http.client
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from dangan.errors import DanganError, ExitCode

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class AddressRefused(DanganError):
    exit_code = ExitCode.INVALID_INPUT
    http_status = 422
    code = "webhook"


@dataclass(frozen=True)
class Allow:
    """DANGAN_WEBHOOK_ALLOW: networks (CIDR or single addresses) and host names."""

    networks: tuple[Network, ...] = ()
    hosts: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, raw: str | None) -> Allow:
        """Comma-separated entries; raises ValueError naming a bad one."""
        networks, hosts = [], set()
        for entry in (e.strip() for e in (raw or "").split(",")):
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                name = entry.lower().rstrip(".")
                if not all(part and part.replace("-", "").isalnum() for part in name.split(".")):
                    raise ValueError(entry) from None
                hosts.add(name)
        return cls(tuple(networks), frozenset(hosts))

    def permits(self, address: Address) -> bool:
        return any(address in net for net in self.networks if net.version == address.version)


def _public(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[str, ...]  # the checked addresses, tried in order


def check(url: str, allow: Allow) -> Target:
    """The URL's destination, checked; AddressRefused (Chinese) when not allowed."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise AddressRefused(f"回调地址“{url}”格式无效。") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AddressRefused(f"回调地址“{url}”必须以 http:// 或 https:// 开头，并写明主机。")
    host = parts.hostname.lower().rstrip(".")
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise AddressRefused(f"回调地址“{url}”的主机 {host} 无法解析，请确认地址正确。") from exc
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if host not in allow.hosts:
        refused = [a for a in addresses if not _public(a) and not allow.permits(a)]
        if refused:
            raise AddressRefused(
                f"回调地址“{url}”指向内部或保留地址 {refused[0]}（本机、内网、链路本地或云元数据地址），"
                "未登记。若这是本单位的业务系统，请由管理员在设置 DANGAN_WEBHOOK_ALLOW"
                "中加入该网段或主机名后重试。"
            )
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    unique = tuple(dict.fromkeys(str(a) for a in addresses))
    return Target(parts.scheme, host, port, path, unique)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to a fixed address, the certificate checked against the host name."""

    def __init__(self, target: Target, address: str, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(url: str, body: bytes, headers: dict[str, str], allow: Allow, timeout: float) -> int:
    """POST `body` to the checked address of `url`; returns the HTTP status.
    Raises AddressRefused, OSError or http.client.HTTPException."""
    target = check(url, allow)
    for address in target.addresses[:-1]:
        try:
            return _post_to(target, address, body, headers, timeout)
        except OSError:  # refused, unreachable or silent there: the next address
            continue
    return _post_to(target, target.addresses[-1], body, headers, timeout)


def _post_to(target: Target, address: str, body: bytes, headers: dict, timeout: float) -> int:
    if target.scheme == "https":
        conn: http.client.HTTPConnection = _PinnedHTTPS(target, address, timeout)
    else:
        conn = http.client.HTTPConnection(address, target.port, timeout=timeout)
    try:
        host = target.host if ":" not in target.host else f"[{target.host}]"
        default = 443 if target.scheme == "https" else 80
        conn.request(
            "POST",
            target.path,
            body=body,
            headers={
                "Host": host if target.port == default else f"{host}:{target.port}",
                **headers,
            },
        )
        response = conn.getresponse()
        response.read(65536)
        return response.status
    finally:
        conn.close()
